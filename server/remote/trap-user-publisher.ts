import type { NatsLink } from '../bus/nats-link.js';
import { TRAP_USER_BUCKET } from '../contracts/assignment.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log/logger.js';
import { SealedSitePublisher } from './sealed-site-publisher.js';
import type { SealTarget } from './site-assignment.js';
import { buildTrapUsers, type PlainTrapUser } from './trap-user-assignment.js';

export interface TrapUserSource {
  /** The centre's v3 trap users, keys in plaintext (users whose stored keys cannot be read are left out). */
  users(): PlainTrapUser[];
  /** The collectors of a site that sent a public key. */
  keysOf(site: string): SealTarget[];
  /** Sites with registered collectors. */
  sites(): string[];
}

/**
 * The centre's side of v3 trap users at collectors: for every site with collectors, all trap users with their
 * keys sealed for each collector of that site, as the value of key <site> in the KV bucket `netwatch-trap-users`.
 * Written at start, when the users change (bus `trapUsers.changed`: added or deleted in the console), when a
 * site's set of collector keys changes, and every minute. Counters `trap_user_sets_written`, `trap_user_errors`, `trap_user_sites`.
 */
export class TrapUserPublisher extends SealedSitePublisher<PlainTrapUser[]> {
  constructor(deps: { link: NatsLink; source: TrapUserSource; bus: EventBus; log: Logger; debounceMs?: number; refreshMs?: number }) {
    const { source, ...rest } = deps;
    super(
      {
        bucket: TRAP_USER_BUCKET,
        what: 'trap users',
        counters: { written: 'trap_user_sets_written', errors: 'trap_user_errors', sites: 'trap_user_sites' },
        rewriteAllOn: ['trapUsers.changed'],
        snapshot: () => source.users(),
        sites: () => source.sites(),
        build: (site, users, keys) => buildTrapUsers(site, users, keys),
        keysOf: (site) => source.keysOf(site),
      },
      rest,
    );
  }
}
