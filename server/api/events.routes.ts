import { z } from 'zod';
import { SEVERITIES, SOURCE_KINDS } from '../contracts/events.js';
import type { EventRepository } from '../store/event.repository.js';
import { NotFoundError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

const csv = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)));

const time = z.union([z.coerce.number().int().nonnegative(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]);

const querySchema = z
  .object({
    source: csv(SOURCE_KINDS).optional(),
    severity: z.enum(SEVERITIES).optional(),
    device: z.coerce.number().int().positive().optional(),
    q: z.string().max(200).optional(),
    from: time.optional(),
    to: time.optional(),
    cursor: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  })
  .strict();

export function registerEventRoutes(api: ApiRegistry, deps: { events: EventRepository }): void {
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
    ({ query }) =>
      deps.events.query({
        source: query.source,
        minSeverity: query.severity,
        deviceId: query.device,
        text: query.q || undefined,
        from: query.from,
        to: query.to,
        beforeId: query.cursor,
        limit: query.limit,
      }),
  );

  api.add({ method: 'get', path: '/events/:id', summary: 'One event with all its params', tag, access: 'viewer', response: 'Event' }, ({ params }) => {
    const e = deps.events.get(idParam(params));
    if (!e) throw new NotFoundError('No such event');
    return e;
  });
}
