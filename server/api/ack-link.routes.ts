import type { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { AlarmDto } from '../contracts/alarms.js';
import type { AlarmService } from '../events/engine/alarm-service.js';
import { AckLinks } from '../notify/ack-link.js';
import type { AlarmRepository } from '../store/alarm.repository.js';
import { ForbiddenError, NotFoundError, TooManyRequestsError } from './errors.js';
import type { ApiRegistry } from './registry.js';

export interface AckLinkRoutesDeps {
  links: AckLinks;
  alarms: AlarmRepository;
  service: AlarmService;
}

/** Who acknowledged, in the alarm and the audit trail, when it was done by a signed link. */
export const LINK_ACTOR = 'link';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} - Netwatch</title></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

function describe(a: AlarmDto): string {
  return `<p id="alarm">Alarm #${a.id}: <strong>${esc(a.title)}</strong> (${esc(a.severity)}, ${esc(a.state)})</p>`;
}

/**
 * `GET /ack/:token`: a small page naming the alarm with a button; `POST /ack/:token` acknowledges it.
 * No login: the token is the authority (signed, one alarm, expires). A bad or expired token is a 403
 * (audited as refused); acknowledging again, or an alarm cleared meanwhile, changes nothing.
 */
/** Refused link attempts per minute per client address (each is an audit entry; guessing a signature is hopeless anyway). */
export const ACK_LINK_FAILURES_PER_MINUTE = 30;

export function registerAckLinkRoutes(api: ApiRegistry, { links, alarms, service }: AckLinkRoutesDeps, router?: Router): void {
  const tag = 'alarms';
  router?.use(
    '/ack',
    rateLimit({
      windowMs: 60_000,
      limit: ACK_LINK_FAILURES_PER_MINUTE,
      skipSuccessfulRequests: true,
      identifier: 'ack-link-client',
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      validate: { xForwardedForHeader: false },
      handler: (_req, _res, next) => next(new TooManyRequestsError('Too many refused acknowledge links, wait a minute and try again')),
    }),
  );
  const verify = (token: string) => {
    const r = links.verify(token);
    if (!r.ok) throw new ForbiddenError(r.reason === 'expired' ? 'This acknowledge link has expired' : 'This acknowledge link is not valid');
    const a = alarms.dto(r.alarmId);
    if (!a) throw new NotFoundError('No such alarm');
    return a;
  };

  api.add({ method: 'get', path: '/ack/:token', summary: 'Confirmation page of a signed acknowledge link (HTML; no login)', tag, access: 'public', response: 'text/html' }, ({ params, res }) => {
    const check = links.verify(params.token ?? '');
    if (!check.ok) {
      // A browser gets a page, not JSON (a refused POST is still audited through the error path).
      const why = check.reason === 'expired' ? 'This acknowledge link has expired.' : 'This acknowledge link is not valid.';
      res.status(403).type('html').set('cache-control', 'no-store').send(page('Cannot acknowledge', `<p id="result">${why} Open the alarm in the Netwatch console instead.</p>`));
      return;
    }
    const a = verify(params.token ?? '');
    const body =
      a.state === 'active'
        ? `${describe(a)}<form method="post"><button type="submit" id="confirm">Acknowledge alarm</button></form>`
        : `${describe(a)}<p id="result">Nothing to do: the alarm is ${esc(a.state)}${a.acknowledgedBy ? ` (by ${esc(a.acknowledgedBy)})` : ''}.</p>`;
    res.status(200).type('html').set('cache-control', 'no-store').send(page('Acknowledge alarm', body));
  });

  api.add(
    {
      method: 'post', path: '/ack/:token', summary: 'Acknowledge the alarm of a signed link (no login; audited as "link")', tag, access: 'public', response: 'text/html',
      audit: { object: 'alarm', action: 'ack', actor: LINK_ACTOR, load: (id: number) => alarms.dto(id), objectId: ({ params }) => AckLinks.claimedAlarmId(params.token ?? '') },
    },
    ({ params, res }) => {
      const a = verify(params.token ?? '');
      const done = a.state === 'active' ? service.ack(a.id, LINK_ACTOR) : undefined;
      const now = done ?? alarms.dto(a.id) ?? a;
      const msg = done ? 'The alarm is acknowledged. Escalation has stopped.' : `Nothing to do: the alarm is ${now.state}.`;
      res.status(200).type('html').set('cache-control', 'no-store').send(page(done ? 'Alarm acknowledged' : 'Acknowledge alarm', `${describe(now)}<p id="result">${esc(msg)}</p>`));
    },
  );
}
