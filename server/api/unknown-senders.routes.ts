import { isIP } from 'node:net';
import { z } from 'zod';
import type { Reads } from '../store/read-ops.js';
import type { UnknownSenderRepository } from '../store/unknown-sender.repository.js';
import { NotFoundError, ValidationError } from './errors.js';
import type { ApiRegistry } from './registry.js';

const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    /** `<lastSeen>:<address>` as the previous page's nextCursor gave it. */
    cursor: z.string().regex(/^\d{1,16}:.{1,100}$/s, 'not a cursor this list gave').optional(),
  })
  .strict();

/**
 * Senders whose events match no device (address, events stored, first and
 * last seen, last message), most recently seen first. "Add as device" in the
 * console creates the device with `POST /devices`; the address then leaves
 * this list.
 */
export function registerUnknownSenderRoutes(api: ApiRegistry, deps: { reads: Reads; unknownSenders: UnknownSenderRepository }): void {
  const tag = 'events';
  api.add(
    {
      method: 'get',
      path: '/unknown-senders',
      summary: 'Senders that are no device: address, count of stored events, firstSeen, lastSeen, lastMessage; newest first, with a cursor',
      tag,
      access: 'viewer',
      query: listQuery,
      response: '{items: {address, count, firstSeen, lastSeen, lastMessage}[], nextCursor}',
    },
    ({ query }) => deps.reads.run('unknownSenders.list', { limit: query.limit, cursor: query.cursor }),
  );

  api.add(
    {
      method: 'delete',
      path: '/unknown-senders/:address',
      summary: 'Dismiss an unknown sender (it is listed again when it sends again)',
      tag,
      access: 'operator',
      status: 204,
      audit: { object: 'unknown-sender', action: 'dismiss', objectId: ({ params }) => params.address },
    },
    ({ params }) => {
      const address = params.address ?? '';
      if (isIP(address) === 0) throw new ValidationError('address: must be an IPv4 or IPv6 address');
      if (!deps.unknownSenders.remove(address)) throw new NotFoundError('No such unknown sender');
    },
  );
}
