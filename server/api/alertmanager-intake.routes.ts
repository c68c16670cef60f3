import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Router } from 'express';
import type { Severity } from '../contracts/events.js';
import { webhookToEvents } from '../collectors/alertmanager/alertmanager.mapping.js';
import { webhookSchema } from '../collectors/alertmanager/alertmanager.schema.js';
import { submitDurably, type EventIntake, type IntakeOutcome } from '../events/event-intake.js';
import type { Logger } from '../log/logger.js';
import { AppError, ForbiddenError, UnauthorizedError } from './errors.js';
import type { ApiRegistry } from './registry.js';

export const ALERTMANAGER_PATH = '/intake/alertmanager';

/** An identical message again within this long (Alertmanager retrying one it saw fail) is acknowledged, not stored again. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;
const MAX_REMEMBERED = 10_000;

export interface AlertmanagerIntakeDeps {
  /** Config `alertmanagerToken`; unset = every request refused (403). */
  token: string | undefined;
  /** Where the events go: the event writer (2xx only once it reports them committed). */
  intake: EventIntake;
  /** Host named in a label -> device id (AlertDeviceMatcher). */
  findDevice: (host: string) => number | null;
  deviceLabels: readonly string[];
  defaultSeverity: Severity;
  log: Logger;
  clock?: () => number;
}

export class AlertmanagerIntakeStats {
  readonly stats = { messages: 0, alerts: 0, firing: 0, resolved: 0, device_matched: 0, duplicates: 0, truncated_alerts: 0, refused_unauthorized: 0, refused_disabled: 0, invalid: 0, busy: 0, failed: 0 };
  counters(): Record<string, number> {
    return { ...this.stats };
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization: Bearer <token>` equal to `expected`, compared in constant time (hashes of equal length). */
export function bearerMatches(authorization: string | undefined, expected: string): boolean {
  const m = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  return !!m && timingSafeEqual(sha256(m[1]!), sha256(expected));
}

class IntakeUnavailableError extends AppError {
  constructor(code: string, message: string) {
    super(503, code, message);
  }
}

/**
 * POST /api/v1/intake/alertmanager: Alertmanager's webhook receiver. Authenticated by the dedicated
 * `alertmanagerToken` only (checked before the body is validated), never by a console session or an
 * API token: the secret kept in Alertmanager's configuration can hand in alerts and do nothing else.
 * Each alert becomes an event of source `alertmanager` (see alertmanager.mapping.ts); the default
 * rules raise an alarm per fingerprint on `firing` and clear it on `resolved`. Answered 200 only once
 * the events are committed (and their alarms applied); 503 when the store's queue is full or the
 * write failed, which Alertmanager retries. The same message again within DUPLICATE_WINDOW_MS is
 * answered 200 without storing it twice (a retry after a lost answer).
 */
export function registerAlertmanagerIntake(api: ApiRegistry, router: Router, deps: AlertmanagerIntakeDeps, counters: AlertmanagerIntakeStats): void {
  const s = counters.stats;
  const clock = deps.clock ?? Date.now;
  /** Message hash -> when it was committed (insertion order = age order). */
  const recent = new Map<string, number>();
  const inFlight = new Map<string, Promise<IntakeOutcome>>();

  const gate: RequestHandler = (req, res, next) => {
    if (req.method !== 'POST') return next();
    if (deps.token === undefined) {
      s.refused_disabled++;
      return next(new ForbiddenError('The Alertmanager intake is off: set alertmanagerToken (NMS_ALERTMANAGER_TOKEN, at least 16 characters) and send it as "Authorization: Bearer <token>"'));
    }
    if (!bearerMatches(req.headers.authorization, deps.token)) {
      s.refused_unauthorized++;
      res.set('WWW-Authenticate', 'Bearer realm="alertmanager"');
      return next(new UnauthorizedError('POST /api/v1/intake/alertmanager needs "Authorization: Bearer <alertmanagerToken>"'));
    }
    res.on('finish', () => {
      if (res.statusCode === 400) s.invalid++;
    });
    next();
  };
  router.use(ALERTMANAGER_PATH, gate);

  api.add(
    {
      method: 'post',
      path: ALERTMANAGER_PATH,
      summary:
        'Alertmanager webhook receiver (webhook_configs, message version 4): firing alerts become events and alarms, resolved ones clear them. Needs "Authorization: Bearer <alertmanagerToken>"; answered once stored, 503 when busy (retry)',
      tag: 'intake',
      access: 'public',
      body: webhookSchema,
      response: '{received: number, duplicate: boolean}',
      // Not audited: this is intake, not a change of configuration. What arrives is kept as events
      // (immutable, with receiver and externalURL); refused attempts are counted (/metrics).
      audit: false,
      allowNul: true,
    },
    async ({ body, req, res }) => {
      s.messages++;
      const now = clock();
      while (recent.size > 0) {
        const [key, at] = recent.entries().next().value!;
        if (now - at < DUPLICATE_WINDOW_MS && recent.size <= MAX_REMEMBERED) break;
        recent.delete(key);
      }
      const hash = sha256(JSON.stringify(req.body)).toString('base64');
      if (recent.has(hash)) {
        s.duplicates++;
        return { received: body.alerts.length, duplicate: true };
      }
      const pending = inFlight.get(hash);
      if (pending) {
        // The same message is being stored right now (a retry that overtook the first answer).
        if ((await pending) === 'committed') {
          s.duplicates++;
          return { received: body.alerts.length, duplicate: true };
        }
      }
      const events = webhookToEvents(body, { deviceLabels: deps.deviceLabels, defaultSeverity: deps.defaultSeverity, findDevice: deps.findDevice, now });
      const outcome = submitDurably(deps.intake, events);
      inFlight.set(hash, outcome);
      let result: IntakeOutcome;
      try {
        result = await outcome;
      } finally {
        inFlight.delete(hash);
      }
      if (result !== 'committed') res.set('Retry-After', '5');
      if (result === 'dropped') {
        s.busy++;
        throw new IntakeUnavailableError('intake_busy', 'The event store is busy; the alerts were not stored. Alertmanager retries');
      }
      if (result === 'failed') {
        s.failed++;
        deps.log.warn({ alerts: events.length, receiver: body.receiver }, 'alertmanager alerts not stored: the write failed or the server is stopping; answered 503 for a retry');
        throw new IntakeUnavailableError('intake_failed', 'The alerts could not be stored; Alertmanager retries');
      }
      recent.set(hash, clock());
      s.alerts += events.length;
      if (body.truncatedAlerts) {
        // Alertmanager left alerts out of this message (its max_alerts): they never reach us.
        s.truncated_alerts += body.truncatedAlerts;
        deps.log.warn({ truncatedAlerts: body.truncatedAlerts, receiver: body.receiver }, 'Alertmanager truncated a message (max_alerts): those alerts are not here');
      }
      for (const e of events) {
        if (e.params.status === 'resolved') s.resolved++;
        else s.firing++;
        if (e.deviceId !== null) s.device_matched++;
      }
      return { received: events.length, duplicate: false };
    },
  );
}
