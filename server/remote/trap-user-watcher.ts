import type { KeyObject } from 'node:crypto';
import type { KvWatchEntry } from '@nats-io/kv';
import type { NatsLink } from '../bus/nats-link.js';
import type { TrapUser } from '../collectors/trap/trap.receiver.js';
import { TRAP_USER_BUCKET } from '../contracts/assignment.js';
import type { Logger } from '../log/logger.js';
import { SiteKeyFollower } from './site-key-follower.js';
import { openTrapUsers } from './trap-user-assignment.js';

/** The v3 trap users a collector accepts, in memory only (keys opened here, never written to disk). */
export class RemoteTrapUsers {
  private users: TrapUser[] = [];
  private signature = '[]';
  private readonly watchers = new Set<(users: TrapUser[]) => void>();

  current(): TrapUser[] {
    return this.users.slice();
  }

  get size(): number {
    return this.users.length;
  }

  /** Calls `changed` with the new users whenever they change; returns the unsubscribe. */
  watch(changed: (users: TrapUser[]) => void): () => void {
    this.watchers.add(changed);
    return () => this.watchers.delete(changed);
  }

  /** True when the users changed (the watchers were told). */
  replace(next: TrapUser[]): boolean {
    const sig = JSON.stringify(next.map((u) => [u.name, u.level, u.authProtocol, u.authKey, u.privProtocol, u.privKey]));
    if (sig === this.signature) return false;
    this.signature = sig;
    this.users = next.slice();
    for (const w of this.watchers) w(this.current());
    return true;
  }
}

/**
 * Follows this site's key in the trap-user bucket and hands each new value, keys opened with this collector's
 * private key, to `RemoteTrapUsers` (the trap receiver follows it). A value that does not check out is refused and
 * counted (the users so far stay); a deleted key means no v3 users. Until the centre makes the bucket, it looks again every 5 s.
 *
 * Counters: `trap_users_received` (values seen), `trap_users_invalid` (refused), `trap_users_applied` (changes handed
 * to the receiver), `trap_users` (users now accepted), `trap_users_unopened` (users of the last value left out: not sealed for this collector).
 */
export class TrapUserWatcher {
  private readonly follower: SiteKeyFollower;
  private readonly stats = { trap_users_received: 0, trap_users_invalid: 0, trap_users_applied: 0, trap_users_unopened: 0 };

  constructor(private readonly deps: { link: NatsLink; site: string; collectorId: string; privateKey: KeyObject; users: RemoteTrapUsers; log: Logger }) {
    this.follower = new SiteKeyFollower({ link: deps.link, bucket: TRAP_USER_BUCKET, site: deps.site, what: 'SNMPv3 trap users', log: deps.log, take: (e) => this.take(e) });
  }

  start(linkStarted: Promise<boolean>): void {
    this.follower.start(linkStarted);
  }

  halt(): void {
    this.follower.halt();
  }

  async stop(): Promise<void> {
    await this.follower.stop();
  }

  counters(): Record<string, number> {
    return { ...this.stats, trap_users: this.deps.users.size };
  }

  private take(entry: KvWatchEntry): void {
    this.stats.trap_users_received++;
    if (entry.operation !== 'PUT') {
      if (this.deps.users.replace([])) this.stats.trap_users_applied++;
      return;
    }
    let raw: unknown;
    try {
      raw = entry.json();
    } catch {
      raw = undefined;
    }
    const r = openTrapUsers(raw, this.deps.site, this.deps.collectorId, this.deps.privateKey);
    if (!r.ok) {
      this.stats.trap_users_invalid++;
      this.deps.log.warn({ reason: r.reason, revision: entry.revision }, 'trap users refused: the users accepted so far stay');
      return;
    }
    this.stats.trap_users_unopened = r.unopened.length;
    if (r.unopened.length) this.deps.log.warn({ users: r.unopened }, 'some trap users have keys this collector cannot open; their traps are refused until the centre seals them for it');
    if (this.deps.users.replace(r.users)) {
      this.stats.trap_users_applied++;
      this.deps.log.info({ users: r.users.length, revision: entry.revision }, 'trap users received');
    }
  }
}
