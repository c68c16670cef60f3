import { z } from 'zod';
import { SEVERITIES, SOURCE_KINDS } from '../contracts/events.js';
import type { EventQuery } from '../store/event.repository.js';
import type { Reads } from '../store/read-ops.js';
import { NotFoundError } from './errors.js';
import { registerEventExportRoute, type EventExportDeps } from './event-export.routes.js';
import { idParam, type ApiRegistry } from './registry.js';

const csv = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)));

const time = z.union([z.coerce.number().int().nonnegative(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]);

/** The filters of GET /events, shared by GET /events/export (one definition, so both always agree). */
export const eventFilterFields = {
  source: csv(SOURCE_KINDS).optional(),
  severity: z.enum(SEVERITIES).optional(),
  device: z.coerce.number().int().positive().optional(),
  q: z.string().max(200).optional(),
  from: time.optional(),
  to: time.optional(),
  cursor: z.coerce.number().int().positive().optional(),
};

const querySchema = z
  .object({
    ...eventFilterFields,
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  })
  .strict();

type EventFilterQuery = z.infer<z.ZodObject<typeof eventFilterFields>>;

/** The repository's query for the API's filter parameters (without limit and cursor). */
export function toEventFilter(query: EventFilterQuery): Omit<EventQuery, 'limit' | 'beforeId'> {
  return {
    source: query.source,
    minSeverity: query.severity,
    deviceId: query.device,
    text: query.q || undefined,
    from: query.from,
    to: query.to,
  };
}

export function registerEventRoutes(api: ApiRegistry, deps: { reads: Reads; export: Omit<EventExportDeps, 'reads'> }): void {
  const tag = 'events';
  api.add(
    {
      method: 'get',
      path: '/events',
      summary: 'Stored events, newest first; filters: source (csv), severity (at least), device, q (text), from/to (ms or ISO), cursor',
      tag,
      access: 'viewer',
      query: querySchema,
      response: '{items: Event[], nextCursor}',
    },
    ({ query }) => deps.reads.run('events.query', { ...toEventFilter(query), beforeId: query.cursor, limit: query.limit }),
  );

  // Before /events/:id, which would take "export" for an id.
  registerEventExportRoute(api, { ...deps.export, reads: deps.reads }, eventFilterFields, toEventFilter);

  api.add({ method: 'get', path: '/events/:id', summary: 'One event with all its params', tag, access: 'viewer', response: 'Event' }, async ({ params }) => {
    const e = await deps.reads.run('events.get', idParam(params));
    if (!e) throw new NotFoundError('No such event');
    return e;
  });
}
