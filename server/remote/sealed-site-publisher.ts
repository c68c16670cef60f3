import { Kvm, type KV } from '@nats-io/kv';
import type { NatsLink } from '../bus/nats-link.js';
import type { BusEventMap } from '../contracts/bus.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log/logger.js';
import type { SealTarget } from './site-assignment.js';

/** What one kind of per-site value is (the site assignments, the trap users) and how it is built. */
export interface SealedSiteSpec<Snapshot> {
  /** The KV bucket; key = site. */
  bucket: string;
  /** For log lines: "assignment", "trap users". */
  what: string;
  /** Counter names: values written, write errors, sites published. */
  counters: { written: string; errors: string; sites: string };
  /** Bus topics after which every site is written again. */
  rewriteAllOn: readonly (keyof BusEventMap)[];
  /** Read once per write round (e.g. the device list), handed to `sites` and `build`. */
  snapshot(): Snapshot;
  /** The sites to write when all are due (besides those already in the bucket). */
  sites(snapshot: Snapshot): Iterable<string>;
  /** The value for `site`, its secrets sealed for each of `keys`. */
  build(site: string, snapshot: Snapshot, keys: SealTarget[]): unknown;
  /** The collectors of a site that sent a public key. */
  keysOf(site: string): SealTarget[];
  /** A site never written (role `all` polls its own site itself). */
  excludeSite?: string;
}

/**
 * The centre's writer of one JSON value per site into a NATS KV bucket, secrets sealed for the site's collectors.
 * Written at start, after any of `rewriteAllOn` (every site), when a site's set of collector keys or their up/down
 * state changes (`collector.changed`; heartbeats come every few seconds, so only a changed set reseals), every
 * `refreshMs` (default a minute: what changed unannounced, or was lost in NATS, comes back), and again 5 s after a
 * failed write. Writes are debounced (`debounceMs`, 200) and one round at a time.
 */
export class SealedSitePublisher<Snapshot> {
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
  private written = 0;
  private errors = 0;

  constructor(
    private readonly spec: SealedSiteSpec<Snapshot>,
    private readonly deps: { link: NatsLink; bus: EventBus; log: Logger; debounceMs?: number; refreshMs?: number },
  ) {}

  async start(): Promise<void> {
    this.kv = await new Kvm(this.deps.link.jetstream()).create(this.spec.bucket, { history: 1 });
    for await (const key of await this.kv.keys()) this.published.add(key);
    const { bus } = this.deps;
    for (const topic of this.spec.rewriteAllOn) this.unsubscribe.push(bus.subscribe(topic, () => this.markAll()));
    this.unsubscribe.push(
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
    this.unsubscribe.splice(0).forEach((u) => u());
    await this.writing;
  }

  counters(): Record<string, number> {
    const c = this.spec.counters;
    return { [c.written]: this.written, [c.errors]: this.errors, [c.sites]: this.published.size };
  }

  private keySignature(site: string, keys = this.spec.keysOf(site)): string {
    // Up/down is part of it: a site's devices are shared among the collectors that are up.
    return keys.map((k) => `${k.id}:${k.publicKey}:${k.up === false ? 'down' : 'up'}`).sort().join(',');
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
    const { spec } = this;
    const { log } = this.deps;
    const all = this.allDirty;
    const marked = this.dirty;
    this.allDirty = false;
    this.dirty = new Set();
    const snapshot = spec.snapshot();
    const sites = all ? new Set([...spec.sites(snapshot), ...this.published]) : marked;
    if (spec.excludeSite !== undefined) sites.delete(spec.excludeSite);
    for (const site of sites) {
      try {
        const keys = spec.keysOf(site);
        await kv.put(site, JSON.stringify(spec.build(site, snapshot, keys)));
        this.keysSealed.set(site, this.keySignature(site, keys));
        this.published.add(site);
        this.written++;
        log.debug({ site, collectors: keys.length }, `${spec.what} written`);
      } catch (err) {
        this.errors++;
        log.error({ err, site }, `the ${spec.what} of a site could not be written; trying again in 5 s`);
        const t = setTimeout(() => this.mark(site), 5000);
        t.unref();
      }
    }
  }
}
