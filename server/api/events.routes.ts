import { z } from 'zod';
import { SEVERITIES, SOURCE_KINDS } from '../contracts/events.js';
import type { EventQuery } from '../store/event.repository.js';
import { compileEventSearch, EventSearchError } from '../store/event-search.parser.js';
import type { Reads } from '../store/read-ops.js';
import { NotFoundError, ValidationError } from './errors.js';
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
  /** `fulltext` (default): q in the search language; `substring`: q as a plain substring, a bounded window of events per request. */
  match: z.enum(['fulltext', 'substring']).default('fulltext'),
  type: z.string().min(1).max(200).optional(),
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

/**
 * The repository's query for the API's filter parameters (without limit and cursor).
 * A search the language cannot read is a 400 here, on the main thread, so a reader never sees it.
 */
export function toEventFilter(query: EventFilterQuery): Omit<EventQuery, 'limit' | 'beforeId'> {
  const q = query.q?.trim() || undefined;
  const substring = query.match === 'substring';
  if (q && !substring) {
    try {
      compileEventSearch(q);
    } catch (err) {
      if (err instanceof EventSearchError) throw new ValidationError(`Invalid query: q: ${err.message}`);
      throw err;
    }
  }
  return {
    source: query.source,
    minSeverity: query.severity,
    deviceId: query.device,
    search: substring ? undefined : q,
    text: substring ? q : undefined,
    type: query.type,
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
      summary:
        'Stored events, newest first; filters: source (csv), severity (at least), device, type (exact, or prefix with a trailing *), ' +
        'q (full-text: words, "phrases", prefix*, host:/app:/type:/msg: fields, -exclusions; with match=substring a plain substring, ' +
        'read 100,000 events per request), from/to (ms or ISO), cursor. `partial: true` means the request stopped on its scan bound: continue with nextCursor',
      tag,
      access: 'viewer',
      query: querySchema,
      response: '{items: Event[], nextCursor, partial?}',
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
