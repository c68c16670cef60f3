import { Kvm, type KV } from '@nats-io/kv';
import type { NatsLink } from '../bus/nats-link.js';
import { TRAP_USER_BUCKET } from '../contracts/assignment.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log/logger.js';
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
 * site's set of collector keys changes, and every minute (what was lost in NATS comes back).
 */
export class TrapUserPublisher {
  private kv: KV | undefined;
  private readonly published = new Set<string>();
  private readonly keysSealed = new Map<string, string>();
  private dirty = new Set<string>();
  private allDirty = false;
  private timer: NodeJS.Timeout | undefined;
  private refresh: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly unsubscribe: (() => void)[] = [];
  private stopped = false;
  private readonly stats = { trap_user_sets_written: 0, trap_user_errors: 0 };

  constructor(private readonly deps: { link: NatsLink; source: TrapUserSource; bus: EventBus; log: Logger; debounceMs?: number; refreshMs?: number }) {}

  async start(): Promise<void> {
    this.kv = await new Kvm(this.deps.link.jetstream()).create(TRAP_USER_BUCKET, { history: 1 });
    for await (const key of await this.kv.keys()) this.published.add(key);
    const { bus } = this.deps;
    this.unsubscribe.push(
      bus.subscribe('trapUsers.changed', () => this.markAll()),
      bus.subscribe('collector.changed', (c) => {
        if (this.keySignature(c.site) !== this.keysSealed.get(c.site)) this.mark(c.site);
      }),
    );
    this.refresh = setInterval(() => this.markAll(), this.deps.refreshMs ?? 60_000);
    this.refresh.unref();
    this.markAll();
    await this.flushNow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.refresh);
    this.unsubscribe.forEach((u) => u());
    await this.writing;
  }

  counters(): Record<string, number> {
    return { ...this.stats, trap_user_sites: this.published.size };
  }

  private keySignature(site: string): string {
    return this.deps.source.keysOf(site).map((k) => `${k.id}:${k.publicKey}`).sort().join(',');
  }

  private markAll(): void {
    this.allDirty = true;
    this.schedule();
  }

  private mark(site: string): void {
    this.dirty.add(site);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flushNow();
    }, this.deps.debounceMs ?? 200);
    this.timer.unref();
  }

  private flushNow(): Promise<void> {
    const run = this.writing.then(() => this.write());
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async write(): Promise<void> {
    const kv = this.kv;
    if (!kv || this.stopped) return;
    const { source, log } = this.deps;
    const sites = this.allDirty ? new Set([...source.sites(), ...this.published]) : this.dirty;
    this.allDirty = false;
    this.dirty = new Set();
    if (sites.size === 0) return;
    const users = source.users();
    for (const site of sites) {
      try {
        const keys = source.keysOf(site);
        await kv.put(site, JSON.stringify(buildTrapUsers(site, users, keys)));
        this.keysSealed.set(site, keys.map((k) => `${k.id}:${k.publicKey}`).sort().join(','));
        this.published.add(site);
        this.stats.trap_user_sets_written++;
        log.debug({ site, users: users.length, collectors: keys.length }, 'trap users written');
      } catch (err) {
        this.stats.trap_user_errors++;
        log.error({ err, site }, 'the trap users of a site could not be written; trying again in 5 s');
        const t = setTimeout(() => this.mark(site), 5000);
        t.unref();
      }
    }
  }
}
