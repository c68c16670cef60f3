import { z } from 'zod';
import type { Reads } from '../store/read-ops.js';
import type { ApiRegistry } from './registry.js';

const listQuery = z.object({
  user: z.string().min(1).max(200).optional(),
  object: z.string().min(1).max(100).optional(),
  objectId: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(100).optional(),
  outcome: z.enum(['ok', 'denied', 'failed']).optional(),
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Who changed what: read-only, admins only. Entries are written by the API registry (see `audit` on each route). */
export function registerAuditRoutes(api: ApiRegistry, { reads }: { reads: Reads }): void {
  const tag = 'audit';
  api.add(
    {
      method: 'get', path: '/audit', tag, access: 'admin', query: listQuery, response: '{items: AuditEntry[], nextCursor}',
      summary: 'Audit log, newest first: every change with user, time, source address, object and its state before/after (secrets redacted). Filters: user, object, objectId, action (e.g. device or device.update), outcome, from/to (ms), before (cursor)',
    },
    ({ query }) =>
      reads.run('audit.list', {
        username: query.user, objectType: query.object, objectId: query.objectId, action: query.action, outcome: query.outcome,
        from: query.from, to: query.to, beforeId: query.before, limit: query.limit,
      }),
  );
  api.add({ method: 'get', path: '/audit/object-types', summary: 'Object types that appear in the audit log (for filters)', tag, access: 'admin', response: '{items: string[]}' }, async () => ({
    items: await reads.run('audit.objectTypes', null),
  }));
}
