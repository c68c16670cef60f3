import { Kvm, type KV } from '@nats-io/kv';
import type { NatsLink } from '../bus/nats-link.js';
import { ASSIGNMENT_BUCKET } from '../contracts/assignment.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log/logger.js';
import type { DeviceRecord } from '../store/device.repository.js';
import { buildAssignment, type CustomOidsOf, type SealTarget } from './site-assignment.js';

export interface AssignmentSource {
  devices(): DeviceRecord[];
  customOids: CustomOidsOf;
  /** The collectors of a site that sent a public key. */
  keysOf(site: string): SealTarget[];
  /** Sites with registered collectors. */
  sites(): string[];
  /** A site polled by this node itself (role `all`): not assigned. */
  excludeSite?: string;
}

/**
 * The centre's side of assignment: for every site (but the one an `all` node polls itself), the devices of that site with
 * their secrets sealed for each of its collectors, as the value of key <site> in the KV bucket
 * `netwatch-assignments`. Written at start, after every device create/update/delete (every site: a
 * device may have moved between two), when a site's collectors (their keys) change, and every minute.
 */
export class AssignmentPublisher {
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
  private readonly stats = { assignments_written: 0, assignment_errors: 0 };

  constructor(
    private readonly deps: { link: NatsLink; source: AssignmentSource; bus: EventBus; log: Logger; debounceMs?: number; refreshMs?: number },
  ) {}

  async start(): Promise<void> {
    this.kv = await new Kvm(this.deps.link.jetstream()).create(ASSIGNMENT_BUCKET, { history: 1 });
    for await (const key of await this.kv.keys()) this.published.add(key);
    const { bus } = this.deps;
    this.unsubscribe.push(
      bus.subscribe('device.created', () => this.markAll()),
      bus.subscribe('device.updated', () => this.markAll()),
      bus.subscribe('device.deleted', () => this.markAll()),
      bus.subscribe('collector.changed', (c) => {
        // Heartbeats come every few seconds: reseal only when the site's set of keys changed.
        if (this.keySignature(c.site) !== this.keysSealed.get(c.site)) this.mark(c.site);
      }),
    );
    // Also now and then: what changes without a device event (custom OIDs) reaches collectors within a minute.
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
    return { ...this.stats, assigned_sites: this.published.size };
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
    const devices = source.devices();
    let sites: Set<string>;
    if (this.allDirty) {
      sites = new Set([...devices.map((d) => d.site), ...source.sites(), ...this.published]);
    } else sites = this.dirty;
    this.allDirty = false;
    this.dirty = new Set();
    if (source.excludeSite !== undefined) sites.delete(source.excludeSite);
    for (const site of sites) {
      try {
        const keys = source.keysOf(site);
        const value = buildAssignment(site, devices, keys, source.customOids);
        await kv.put(site, JSON.stringify(value));
        this.keysSealed.set(site, keys.map((k) => `${k.id}:${k.publicKey}`).sort().join(','));
        this.published.add(site);
        this.stats.assignments_written++;
        log.debug({ site, devices: value.devices.length, collectors: keys.length }, 'assignment written');
      } catch (err) {
        this.stats.assignment_errors++;
        log.error({ err, site }, 'the assignment of a site could not be written; trying again in 5 s');
        const t = setTimeout(() => this.mark(site), 5000);
        t.unref();
      }
    }
  }
}
