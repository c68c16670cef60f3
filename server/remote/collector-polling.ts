import type { KeyObject } from 'node:crypto';
import type { KvWatchEntry } from '@nats-io/kv';
import type { NatsLink } from '../bus/nats-link.js';
import type { PublishOutcome } from '../bus/spooled-publisher.js';
import type { BatchKind } from '../bus/nats-subjects.js';
import { ASSIGNMENT_BUCKET, type AssignedTemplate } from '../contracts/assignment.js';
import type { SnmpMetrics } from '../contracts/device-metrics.js';
import type { NormalizedEvent } from '../contracts/events.js';
import type { InventorySnapshot } from '../contracts/inventory.js';
import type { TemplateReport } from '../contracts/templates.js';
import type { DeviceStatusDto } from '../contracts/poll-state.js';
import type { EventIntake } from '../events/event-intake.js';
import type { Logger } from '../log/logger.js';
import type { IcmpOutcome, PollDeviceSource, PollOutput } from '../poller/poll-io.js';
import type { DeviceRecord } from '../store/device.repository.js';
import type { IcmpUpdate, InterfaceWrite, NeighbourWrite, SnmpPollUpdate } from '../store/poll-state.repository.js';
import type { SampleInput } from '../store/sample.repository.js';
import { openAssignment, type OpenedDevice } from './site-assignment.js';
import { SiteKeyFollower } from './site-key-follower.js';

/** What a collector publishes on `status` (one item per poll) and `neighbours`. The centre checks them (remote-poll.schema.ts). */
export type RemoteStatusItem =
  | { kind: 'snmp'; deviceId: number; update: SnmpPollUpdate; interfaces: InterfaceWrite[] | null; metrics?: SnmpMetrics | null; templates?: Omit<TemplateReport, 'deviceId'> }
  | { kind: 'icmp'; deviceId: number; update: IcmpUpdate; rtts?: (number | null)[] };
export interface RemoteNeighbourItem {
  deviceId: number;
  at: number;
  neighbours: NeighbourWrite[];
}

/**
 * The devices the centre assigned to this collector's site, in memory only (secrets opened here,
 * never written to disk). `replace` swaps in a new assignment and tells the poller what changed.
 */
export class AssignedDevices implements PollDeviceSource {
  private devices = new Map<number, OpenedDevice>();
  private readonly signatures = new Map<number, string>();
  private readonly watchers = new Set<{ changed: (id: number) => void; removed: (id: number) => void }>();
  private templateList: AssignedTemplate[] = [];
  private templateSignature = '[]';
  private readonly templateWatchers = new Set<(templates: AssignedTemplate[]) => void>();

  /** The custom collection templates the centre sent with the assignment. */
  templates(): AssignedTemplate[] {
    return this.templateList;
  }

  /** Called when the custom templates of the assignment changed. */
  watchTemplates(fn: (templates: AssignedTemplate[]) => void): () => void {
    this.templateWatchers.add(fn);
    return () => this.templateWatchers.delete(fn);
  }

  replaceTemplates(next: AssignedTemplate[]): void {
    const sig = JSON.stringify(next);
    if (sig === this.templateSignature) return;
    this.templateSignature = sig;
    this.templateList = next;
    for (const w of this.templateWatchers) w(next);
  }

  list(): DeviceRecord[] {
    return [...this.devices.values()].map((d) => d.record);
  }

  get(id: number): DeviceRecord | undefined {
    return this.devices.get(id)?.record;
  }

  customOids(d: DeviceRecord): OpenedDevice['customOids'] {
    return this.devices.get(d.id)?.customOids ?? [];
  }

  get size(): number {
    return this.devices.size;
  }

  watch(changed: (id: number) => void, removed: (id: number) => void): () => void {
    const w = { changed, removed };
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  replace(next: OpenedDevice[]): void {
    const map = new Map(next.map((d) => [d.record.id, d]));
    const removed = [...this.devices.keys()].filter((id) => !map.has(id));
    const changed: number[] = [];
    for (const [id, d] of map) {
      // updatedAt is the assignment's time: a device whose settings did not change keeps its session and schedule.
      const sig = JSON.stringify({ ...d, record: { ...d.record, updatedAt: 0 } });
      if (this.signatures.get(id) !== sig) changed.push(id);
      this.signatures.set(id, sig);
    }
    for (const id of removed) this.signatures.delete(id);
    this.devices = map;
    for (const w of this.watchers) {
      removed.forEach((id) => w.removed(id));
      changed.forEach((id) => w.changed(id));
    }
  }
}

/** Where a collector's poll results go: batches on `status`, `samples`, `neighbours`; events through the event intake. */
export class PublishedPollOutput implements PollOutput {
  private statusItems: RemoteStatusItem[] = [];
  private neighbourItems: RemoteNeighbourItem[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** A poll's template report, until its status item takes it. */
  private readonly templateReports = new Map<number, TemplateReport>();
  private readonly stats = { status_items: 0, neighbour_items: 0, sample_items: 0, inventory_snapshots: 0, batches_not_sent: 0, batches_split: 0 };

  constructor(
    private readonly deps: {
      publish: (kind: BatchKind, batch: unknown[]) => Promise<PublishOutcome>;
      events: () => EventIntake;
      log: Logger;
      /** Status and neighbours are batched at most this long (default 250 ms). */
      flushMs?: number;
      /** Largest batch NATS takes (JSON bytes, with room for headers); bigger ones are split. Default 900 KiB. */
      maxBatchBytes?: () => number;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.flush(), this.deps.flushMs ?? 250);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }

  allStatus(): Map<number, DeviceStatusDto> {
    return new Map();
  }

  status(): DeviceStatusDto | undefined {
    return undefined;
  }

  snmp(deviceId: number, update: SnmpPollUpdate, interfaces: InterfaceWrite[] | null, neighbours: NeighbourWrite[] | null, metrics?: SnmpMetrics | null): void {
    // The templates that apply travel with every poll's status: the central builds their threshold
    // rules for this device from it (also after the central restarted), and clears what vanished.
    const t = this.templateReports.get(deviceId);
    if (t) this.templateReports.delete(deviceId);
    this.statusItems.push({ kind: 'snmp', deviceId, update, interfaces, metrics: metrics ?? null, ...(t ? { templates: { applied: t.applied, gone: t.gone } } : {}) });
    if (neighbours) this.neighbourItems.push({ deviceId, at: update.at, neighbours });
    if (this.statusItems.length >= 200) this.flush();
  }

  icmp(updates: IcmpOutcome[]): void {
    // The per-probe RTTs travel with the state: the centre stores them as the cycle's latency distribution.
    for (const u of updates) this.statusItems.push({ kind: 'icmp', deviceId: u.deviceId, update: u.update, ...(u.rtts?.length ? { rtts: u.rtts } : {}) });
    if (this.statusItems.length >= 200) this.flush();
  }

  templates(report: TemplateReport): void {
    this.templateReports.set(report.deviceId, report);
  }

  /** One snapshot a batch (a chassis is tens of KiB; the centre's inventory service diffs and stores it). */
  inventory(snapshot: InventorySnapshot): void {
    this.stats.inventory_snapshots++;
    this.send('inventory', [snapshot]);
  }

  samples(batch: SampleInput[]): void {
    this.stats.sample_items += batch.length;
    this.send('samples', batch);
  }

  events(events: NormalizedEvent[]): void {
    this.deps.events().submit(events);
  }

  flush(): void {
    if (this.statusItems.length) {
      this.stats.status_items += this.statusItems.length;
      for (const part of this.split(this.statusItems)) this.send('status', part);
      this.statusItems = [];
    }
    if (this.neighbourItems.length) {
      this.stats.neighbour_items += this.neighbourItems.length;
      for (const part of this.split(this.neighbourItems)) this.send('neighbours', part);
      this.neighbourItems = [];
    }
  }

  /**
   * Items in batches NATS accepts: a status item of a device with many interfaces (and their raw
   * counters) is tens of KiB, so 200 of them would exceed NATS' max_payload (1 MiB by default) and
   * be refused as a whole. An item bigger than the limit alone still goes alone (and is refused, counted).
   */
  private split<T>(items: T[]): T[][] {
    const limit = this.deps.maxBatchBytes?.() ?? 900 * 1024;
    const out: T[][] = [];
    let part: T[] = [];
    let bytes = 2;
    for (const item of items) {
      const size = Buffer.byteLength(JSON.stringify(item)) + 1;
      if (part.length && bytes + size > limit) {
        out.push(part);
        part = [];
        bytes = 2;
      }
      part.push(item);
      bytes += size;
    }
    if (part.length) out.push(part);
    if (out.length > 1) this.stats.batches_split += out.length - 1;
    return out;
  }

  counters(): Record<string, number> {
    return { ...this.stats };
  }

  private send(kind: BatchKind, batch: unknown[]): void {
    // Published in call order through the spool: NATS away means spooled, not lost.
    this.deps.publish(kind, batch).then(
      (outcome) => {
        if (outcome === 'overflow' || outcome === 'invalid') this.stats.batches_not_sent++;
      },
      (err: unknown) => {
        this.stats.batches_not_sent++;
        this.deps.log.error({ err, kind }, 'a poll batch could not be published or spooled');
      },
    );
  }
}

/**
 * Follows this site's key in the assignment bucket and hands each new value, opened with this
 * collector's private key, to `AssignedDevices`. A value that does not check out is refused and
 * counted (the devices polled so far stay). The bucket is the centre's: until it exists, it looks again every 5 s.
 */
export class AssignmentWatcher {
  private readonly follower: SiteKeyFollower;
  private readonly stats = { assignments_received: 0, assignments_invalid: 0, devices_secret_problems: 0, devices_for_other_collectors: 0 };

  constructor(
    private readonly deps: {
      link: NatsLink;
      site: string;
      collectorId: string;
      privateKey: KeyObject;
      devices: AssignedDevices;
      log: Logger;
    },
  ) {
    this.follower = new SiteKeyFollower({ link: deps.link, bucket: ASSIGNMENT_BUCKET, site: deps.site, what: 'devices', log: deps.log, take: (e) => this.take(e) });
  }

  start(linkStarted: Promise<boolean>): void {
    this.follower.start(linkStarted);
  }

  /** Stops following (at once); `stop()` then waits for the loop, which ends once the link's start has settled. */
  halt(): void {
    this.follower.halt();
  }

  async stop(): Promise<void> {
    await this.follower.stop();
  }

  counters(): Record<string, number> {
    return { ...this.stats, assigned_devices: this.deps.devices.size };
  }

  private take(entry: KvWatchEntry): void {
    this.stats.assignments_received++;
    if (entry.operation !== 'PUT') {
      this.deps.devices.replaceTemplates([]);
      this.deps.devices.replace([]);
      return;
    }
    let raw: unknown;
    try {
      raw = entry.json();
    } catch {
      raw = undefined;
    }
    const r = openAssignment(raw, this.deps.site, this.deps.collectorId, this.deps.privateKey);
    if (!r.ok) {
      this.stats.assignments_invalid++;
      this.deps.log.warn({ reason: r.reason, revision: entry.revision }, 'assignment refused: the devices polled so far stay');
      return;
    }
    this.stats.devices_for_other_collectors = r.others;
    const problems = r.devices.filter((d) => d.record.secretError).length;
    this.stats.devices_secret_problems = problems;
    if (problems) this.deps.log.warn({ devices: problems }, 'some assigned devices have secrets this collector cannot open; they are not polled until the centre seals them for it');
    // Templates first: the devices' next polls already use them.
    this.deps.devices.replaceTemplates(r.templates);
    this.deps.devices.replace(r.devices);
    this.deps.log.info({ devices: r.devices.length, otherCollectors: r.others, revision: entry.revision }, 'assignment received');
  }
}
