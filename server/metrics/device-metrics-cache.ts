import type { InterfaceMetrics, SnmpMetrics } from '../contracts/device-metrics.js';
import type { ReachState, SnmpState } from '../contracts/poll-state.js';
import type { IcmpUpdate, SnmpPollUpdate } from '../store/poll-state.repository.js';
import { encodeDeviceBlocks } from './device-exposition.js';
import { labelPairs } from './exposition-text.js';
import type { DeflatePiece } from './gzip-join.js';

/** Compression of pending pieces per turn of the event loop. */
const ENCODE_SLICE_MS = 8;

/** What labels a device's series carry (from the device table). */
export interface DeviceLabels {
  name: string;
  address: string;
  /** The device's site ('' = this process's own site). */
  site: string;
  group: string | null;
}

export interface IcmpValues {
  at: number;
  min: number | null;
  avg: number | null;
  max: number | null;
  jitter: number | null;
  lossPct: number;
}

/**
 * One device in the cache. Replaced parts, never mutated in place: a scrape that is streaming
 * (and yields between chunks) sees either the old or the new poll of a section, never half of one.
 */
export interface DeviceEntry {
  readonly id: number;
  /** `device="…",address="…",site="…",group="…"`, escaped. */
  labels: string;
  site: string;
  snmpState: SnmpState;
  icmpState: ReachState;
  /** The last SNMP poll (time, duration), null before the first one. */
  lastPoll: { at: number; durationMs: number } | null;
  snmp: SnmpMetrics | null;
  /** Escaped `ifIndex="…",ifName="…",ifDescr="…",ifAlias="…"` per interface of `snmp.interfaces`. */
  ifLabels: string[];
  icmp: IcmpValues | null;
  /**
   * Per family (device-exposition order), this device's lines of the text format compressed as one
   * DEFLATE piece (null: none), made when a poll lands (encodeDeviceBlocks); replaced, never changed in place.
   */
  blocks?: readonly (DeflatePiece | null)[];
}

/**
 * The latest polled values of every device (main thread, memory only), fed with every processed
 * poll result (local poller and collectors' batches alike) and read by GET /metrics/devices. It never
 * reads samples. Keys are device ids from our own table; nothing from the network becomes a key.
 */
export class DeviceMetricsCache {
  private readonly devices = new Map<number, DeviceEntry>();
  private readonly stats = { snmp_updates: 0, icmp_updates: 0, unknown_device_updates: 0 };
  /** Devices whose pieces are to be made again, and which part changed. */
  private readonly pending = new Map<number, 'snmp' | 'icmp' | 'all'>();
  private drainScheduled = false;

  constructor(
    private readonly deps: {
      /** The device's labels, or undefined when it does not exist (any more). */
      labelsOf(deviceId: number): DeviceLabels | undefined;
      /** This process's site: the label of devices whose site is empty. */
      ownSite: string;
    },
  ) {}

  /** Every device known now with its stored state (start-up), so states are right before the first poll. */
  seed(devices: Iterable<{ id: number; snmpState?: SnmpState; icmpState?: ReachState }>): void {
    for (const d of devices) {
      const e = this.entry(d.id);
      if (!e) continue;
      if (d.snmpState) e.snmpState = d.snmpState;
      if (d.icmpState) e.icmpState = d.icmpState;
      this.encode(e, 'all');
    }
  }

  /** One SNMP poll's outcome. `metrics` null (failed poll): its values disappear until the next good poll. */
  snmp(deviceId: number, update: SnmpPollUpdate, metrics: SnmpMetrics | null | undefined): void {
    const e = this.entry(deviceId);
    if (!e) return;
    this.stats.snmp_updates++;
    e.snmpState = update.snmpState;
    e.lastPoll = { at: update.at, durationMs: update.durationMs };
    const m = update.snmpState === 'up' ? (metrics ?? null) : null;
    e.ifLabels = m?.interfaces ? this.interfaceLabels(e, m.interfaces) : [];
    e.snmp = m;
    this.encode(e, 'snmp');
  }

  icmp(deviceId: number, update: IcmpUpdate): void {
    const e = this.entry(deviceId);
    if (!e) return;
    this.stats.icmp_updates++;
    e.icmpState = update.icmpState;
    e.icmp = { at: update.at, min: update.min, avg: update.avg, max: update.max, jitter: update.jitter, lossPct: update.lossPct };
    this.encode(e, 'icmp');
  }

  /** The device was created or changed (name, address, site, group): its labels are made again. */
  relabel(deviceId: number): void {
    const labels = this.deps.labelsOf(deviceId);
    const e = this.devices.get(deviceId);
    if (!labels) return this.drop(deviceId);
    if (!e) {
      this.entry(deviceId);
      return;
    }
    Object.assign(e, this.labelFields(labels));
    this.encode(e, 'all');
  }

  /** The device was deleted: all of its series go. */
  drop(deviceId: number): void {
    this.devices.delete(deviceId);
    this.pending.delete(deviceId);
  }

  /** The devices now (a copy of the list: a streaming scrape is not disturbed by devices coming or going). */
  snapshot(): DeviceEntry[] {
    return [...this.devices.values()];
  }

  get size(): number {
    return this.devices.size;
  }

  counters(): Record<string, number> {
    let interfaces = 0;
    let blockBytes = 0;
    for (const e of this.devices.values()) {
      interfaces += e.ifLabels.length;
      for (const b of e.blocks ?? []) blockBytes += b?.data.length ?? 0;
    }
    return { ...this.stats, devices: this.devices.size, interfaces, deflate_block_bytes: blockBytes, deflate_pending: this.pending.size };
  }

  /**
   * The device's pre-compressed families that depend on `changed` are to be made again (see
   * encodeDeviceBlocks): not at once (a collector's batch or an ICMP sweep updates hundreds of devices
   * in one turn, ~2 ms of compression each for 48 interfaces), but soon after, a few milliseconds per
   * turn of the event loop; a device updated twice before that is compressed once. `settle` finishes
   * them before a scrape.
   */
  private encode(e: DeviceEntry, changed: 'snmp' | 'icmp' | 'all'): void {
    const was = this.pending.get(e.id);
    this.pending.set(e.id, was === undefined || was === changed ? changed : 'all');
    if (!this.drainScheduled) this.scheduleDrain();
  }

  private scheduleDrain(): void {
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      if (this.encodePending(ENCODE_SLICE_MS) && !this.drainScheduled) this.scheduleDrain();
    }).unref();
  }

  /** Makes pending pieces for about `budgetMs`; true when some are left. */
  encodePending(budgetMs = Infinity): boolean {
    const until = performance.now() + budgetMs;
    for (const [id, changed] of this.pending) {
      this.pending.delete(id);
      const e = this.devices.get(id);
      if (e) e.blocks = encodeDeviceBlocks(e, changed, e.blocks);
      if (performance.now() >= until) break;
    }
    return this.pending.size > 0;
  }

  /**
   * Every pending piece made (a slice per turn of the event loop): what a gzip scrape waits for first.
   * Bounded by what was pending when it began (twice that many devices), so updates landing all the
   * while cannot hold a scrape back for ever; those left are in the next scrape.
   */
  async settle(): Promise<void> {
    let left = this.pending.size * 2;
    while (left > 0) {
      const before = this.pending.size;
      if (!this.encodePending(ENCODE_SLICE_MS)) return;
      left -= Math.max(1, before - this.pending.size);
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Label strings of the interfaces; those of an interface whose index and names did not change since the last poll are kept. */
  private interfaceLabels(e: DeviceEntry, ifs: InterfaceMetrics[]): string[] {
    const before = e.snmp?.interfaces ?? [];
    return ifs.map((i, k) => {
      // Interfaces usually come back in the same order: look at the same position first.
      const p = before[k]?.ifIndex === i.ifIndex ? k : -1;
      const old = p >= 0 ? before[p]! : undefined;
      if (old && old.name === i.name && old.descr === i.descr && old.alias === i.alias && e.ifLabels[p] !== undefined) return e.ifLabels[p]!;
      return labelPairs([['ifIndex', String(i.ifIndex)], ['ifName', i.name], ['ifDescr', i.descr ?? ''], ['ifAlias', i.alias ?? '']]);
    });
  }

  private entry(deviceId: number): DeviceEntry | undefined {
    const found = this.devices.get(deviceId);
    if (found) return found;
    const labels = this.deps.labelsOf(deviceId);
    if (!labels) {
      // Deleted while its result was on the way: nothing is kept for it.
      this.stats.unknown_device_updates++;
      return undefined;
    }
    const e: DeviceEntry = { id: deviceId, ...this.labelFields(labels), snmpState: 'unknown', icmpState: 'unknown', lastPoll: null, snmp: null, ifLabels: [], icmp: null };
    this.devices.set(deviceId, e);
    this.encode(e, 'all');
    return e;
  }

  private labelFields(d: DeviceLabels): { labels: string; site: string } {
    const site = d.site || this.deps.ownSite;
    return { site, labels: labelPairs([['device', d.name], ['address', d.address], ['site', site], ['group', d.group ?? '']]) };
  }
}
