import { z } from 'zod';
import type { AlarmDto } from '../contracts/alarms.js';
import type { AlarmService } from '../events/engine/alarm-service.js';
import type { AlarmRepository } from '../store/alarm.repository.js';
import type { Reads } from '../store/read-ops.js';
import { ConflictError, NotFoundError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

export interface AlarmRoutesDeps {
  alarms: AlarmRepository;
  service: AlarmService;
  /** The list and one alarm with its events are read on a reader thread. */
  reads: Reads;
}

const listQuery = z.object({
  state: z.enum(['open', 'active', 'cleared', 'archived', 'all']).default('open'),
  device: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  before: z.coerce.number().int().positive().optional(),
  /** Root cause (issue 17): only alarms that are not suppressed (causes and standalone problems). */
  root: z.enum(['true', 'false']).optional(),
});
const noteBody = z.object({ text: z.string().trim().min(1).max(4000) }).strict();
const ACTIONS = ['ack', 'unack', 'clear'] as const;
const bulkBody = z.object({ ids: z.array(z.number().int().positive()).min(1).max(1000), action: z.enum(ACTIONS) }).strict();

export function registerAlarmRoutes(api: ApiRegistry, { alarms, service, reads }: AlarmRoutesDeps): void {
  const tag = 'alarms';
  const audit = { object: 'alarm', load: (id: number) => alarms.dto(id) };
  const exists = (id: number) => {
    const a = alarms.get(id);
    if (!a) throw new NotFoundError('No such alarm');
    return a;
  };
  /** Runs an operator action; 409 when the alarm is not in a state the action applies to. */
  const act = (id: number, what: string, fn: () => AlarmDto | undefined): AlarmDto => {
    const before = exists(id);
    const after = fn();
    if (!after) throw new ConflictError(`Cannot ${what} an alarm that is ${before.state}`);
    return after;
  };
  const run = (action: (typeof ACTIONS)[number], id: number, user: string) =>
    action === 'ack' ? service.ack(id, user) : action === 'unack' ? service.unack(id) : service.clear(id, user);

  api.add(
    {
      method: 'get', path: '/alarms', tag, access: 'viewer', query: listQuery,
      summary: 'List alarms: open ones by severity then time (default), or ?state=cleared|archived|all (newest first, ?before= cursor); ?root=true: not suppressed ones only',
      response: '{items: Alarm[], nextCursor}',
    },
    ({ query }) => reads.run('alarms.list', { state: query.state === 'active' ? 'open' : query.state, deviceId: query.device, root: query.root === 'true', limit: query.limit, beforeId: query.before }),
  );

  api.add(
    { method: 'get', path: '/alarms/:id', summary: 'Get an alarm with its notes and its latest events', tag, access: 'viewer', query: z.object({ events: z.coerce.number().int().min(0).max(1000).default(100) }), response: 'Alarm & {events: Event[]}' },
    async ({ params, query }) => {
      const alarm = await reads.run('alarms.detail', { id: idParam(params), events: query.events });
      if (!alarm) throw new NotFoundError('No such alarm');
      return alarm;
    },
  );

  api.add({ method: 'post', path: '/alarms/:id/ack', summary: 'Acknowledge an active alarm', tag, access: 'operator', response: 'The alarm', audit }, ({ params, user }) => {
    const id = idParam(params);
    return act(id, 'acknowledge', () => service.ack(id, user.username));
  });

  api.add({ method: 'post', path: '/alarms/:id/unack', summary: 'Take back an acknowledgement', tag, access: 'operator', response: 'The alarm', audit }, ({ params }) => {
    const id = idParam(params);
    return act(id, 'unacknowledge', () => service.unack(id));
  });

  api.add({ method: 'post', path: '/alarms/:id/clear', summary: 'Clear an alarm by hand', tag, access: 'operator', response: 'The alarm', audit }, ({ params, user }) => {
    const id = idParam(params);
    return act(id, 'clear', () => service.clear(id, user.username));
  });

  api.add(
    { method: 'post', path: '/alarms/:id/notes', summary: 'Add a note to an alarm', tag, access: 'operator', body: noteBody, status: 201, response: 'The alarm', audit: { ...audit, action: 'note' } },
    ({ params, body, user }) => {
      const id = idParam(params);
      exists(id);
      return service.note(id, user.username, body.text)!;
    },
  );

  api.add(
    { method: 'post', path: '/alarms/bulk', summary: 'Acknowledge, unacknowledge or clear several alarms', tag, access: 'operator', body: bulkBody, response: '{updated: Alarm[], skipped: {id, reason}[]}',
      audit: { object: 'alarm', action: 'bulk', objectId: ({ body }) => (body as { ids: number[] }).ids.slice(0, 50).join(',') } },
    ({ body, user }) => {
      const updated: AlarmDto[] = [];
      const skipped: { id: number; reason: string }[] = [];
      for (const id of [...new Set(body.ids)]) {
        const a = alarms.get(id);
        if (!a) {
          skipped.push({ id, reason: 'not found' });
          continue;
        }
        const r = run(body.action, id, user.username);
        if (r) updated.push(r);
        else skipped.push({ id, reason: `alarm is ${a.state}` });
      }
      return { updated, skipped };
    },
  );
}
