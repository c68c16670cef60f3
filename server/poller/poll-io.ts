import type { SnmpMetrics } from '../contracts/device-metrics.js';
import type { NormalizedEvent } from '../contracts/events.js';
import type { InventorySink, InventorySnapshot } from '../contracts/inventory.js';
import type { TemplateReport } from '../contracts/templates.js';
import type { DeviceMetricsCache } from '../metrics/device-metrics-cache.js';
import type { DeviceStatusDto } from '../contracts/poll-state.js';
import type { EventBus } from '../events/bus.js';
import type { DeviceRecord, DeviceRepository } from '../store/device.repository.js';
import type { IcmpUpdate, InterfaceWrite, NeighbourWrite, PollStateRepository, SnmpPollUpdate } from '../store/poll-state.repository.js';
import type { LatencyRepository } from '../store/latency.repository.js';
import type { SampleInput, SampleRepository } from '../store/sample.repository.js';

/**
 * Where the poller gets its devices and where its results go. In `all`/`central` these are the
 * repositories (`repositoryDevices`, `RepositoryPollOutput`); at a collector, the devices the centre
 * assigned to its site and batches published to the centre (server/remote/collector-polling.ts).
 */
export interface PollDeviceSource {
  list(): DeviceRecord[];
  get(id: number): DeviceRecord | undefined;
  /** `changed(id)` after a device was created or updated (or left this source), `removed(id)` after a delete. Returns the unsubscribe. */
  watch(changed: (id: number) => void, removed: (id: number) => void): () => void;
}

export interface PollOutput {
  /** The stored state of every device (where polling resumes from); empty where nothing is stored. */
  allStatus(): Map<number, DeviceStatusDto>;
  /** A device's stored status, where it is stored (undefined at a collector). */
  status(deviceId: number): DeviceStatusDto | undefined;
  /** One SNMP poll's outcome; interfaces/neighbours null when the poll did not carry them; `metrics`: its raw values (GET /metrics/devices). */
  snmp(deviceId: number, update: SnmpPollUpdate, interfaces: InterfaceWrite[] | null, neighbours: NeighbourWrite[] | null, metrics?: SnmpMetrics | null): void;
  /** `rtts`: every probe's RTT of the cycle (ms, null = lost), stored as its latency distribution. */
  icmp(updates: IcmpOutcome[]): void;
  /** Throws when they cannot be written (the poller counts them). */
  samples(batch: SampleInput[]): void;
  events(events: NormalizedEvent[]): void;
  /**
   * A device's hardware inventory, one snapshot per (device, source): ENTITY-MIB (source 'entity-mib',
   * from the poller) or a template's `inventory:` columns (source = template id). Central/all: the
   * inventory service stores it and raises change events; collector: published to the central.
   * Where absent, the poller reads no inventory.
   */
  inventory?(snapshot: InventorySnapshot): void;
  /**
   * After every SNMP poll of a device (before its `snmp`), where templates are collected: the templates
   * that apply to it and the instances marked gone. Central/all: threshold rules and clears follow;
   * collector: published with the poll's status item.
   */
  templates?(report: TemplateReport): void;
}

/** One device's ICMP cycle as the poller hands it on. */
export interface IcmpOutcome {
  deviceId: number;
  update: IcmpUpdate;
  /** Every probe's RTT in ms in the order sent (null = lost); absent or empty when the host could not be pinged. */
  rtts?: (number | null)[];
}

/** The device table as a poll source: changes come from the bus. */
export function repositoryDevices(devices: DeviceRepository, bus: EventBus): PollDeviceSource {
  return {
    list: () => devices.list(),
    get: (id) => devices.get(id),
    watch(changed, removed) {
      const off = [
        bus.subscribe('device.created', (d) => changed(d.id)),
        bus.subscribe('device.updated', (d) => changed(d.id)),
        bus.subscribe('device.deleted', ({ id }) => removed(id)),
      ];
      return () => off.forEach((u) => u());
    },
  };
}

/**
 * Results stored with the repositories and announced on the bus (`device.status`, `metrics.sampled`,
 * `event.received`): the local poller's output, and the centre's for what collectors publish.
 * Every result also goes to the latest-values cache (`latest`, GET /metrics/devices) when there is one.
 */
export class RepositoryPollOutput implements PollOutput {
  /** Present when an inventory sink was given. */
  readonly inventory?: (snapshot: InventorySnapshot) => void;

  constructor(private readonly deps: { pollState: PollStateRepository; samples: SampleRepository; bus: EventBus; latest?: DeviceMetricsCache; latency?: LatencyRepository; inventory?: InventorySink }) {
    const sink = deps.inventory;
    if (sink) this.inventory = (snapshot) => sink.ingest(snapshot);
  }

  /** A signature of each device's last stored neighbours: `topology.neighbours` only when they changed. */
  private readonly neighbourSig = new Map<number, string>();

  private neighboursStored(deviceId: number, rows: NeighbourWrite[]): void {
    const sig = JSON.stringify(rows.map((n) => Object.values(n)));
    if (this.neighbourSig.get(deviceId) === sig) return;
    this.neighbourSig.set(deviceId, sig);
    this.deps.bus.publish('topology.neighbours', { deviceId });
  }

  /** Where template reports go (the polling module's threshold-rule keeper); set once templates are started. */
  templateReports: ((report: TemplateReport) => void) | null = null;

  allStatus(): Map<number, DeviceStatusDto> {
    return this.deps.pollState.allStatus();
  }

  templates(report: TemplateReport): void {
    this.templateReports?.(report);
  }

  status(deviceId: number): DeviceStatusDto | undefined {
    return this.deps.pollState.status(deviceId);
  }

  snmp(deviceId: number, update: SnmpPollUpdate, interfaces: InterfaceWrite[] | null, neighbours: NeighbourWrite[] | null, metrics?: SnmpMetrics | null): void {
    const { pollState, bus } = this.deps;
    this.deps.latest?.snmp(deviceId, update, metrics);
    pollState.recordSnmp(deviceId, update);
    if (interfaces) pollState.replaceInterfaces(deviceId, interfaces, update.at);
    if (neighbours) {
      pollState.replaceNeighbours(deviceId, neighbours, update.at);
      this.neighboursStored(deviceId, neighbours);
    }
    const status = pollState.status(deviceId);
    if (status) bus.publish('device.status', status);
  }

  /** Neighbours alone (what a collector's `neighbours` batch carries). */
  neighbours(deviceId: number, neighbours: NeighbourWrite[], at: number): void {
    this.deps.pollState.replaceNeighbours(deviceId, neighbours, at);
    this.neighboursStored(deviceId, neighbours);
  }

  icmp(updates: IcmpOutcome[]): void {
    const { pollState, bus, latency } = this.deps;
    for (const u of updates) this.deps.latest?.icmp(u.deviceId, u.update);
    pollState.recordIcmp(updates);

    for (const u of updates) {
      const s = pollState.status(u.deviceId);
      if (s) bus.publish('device.status', s);
    }
    // Last: a failure here (thrown to the poller, which logs it) loses the distributions, not the state.
    if (latency) {
      const cycles = updates
        .filter((u) => u.rtts?.length)
        .map((u) => ({ deviceId: u.deviceId, ts: Math.floor(u.update.at / 1000), sent: u.rtts!.length, received: u.rtts!.filter((v) => v !== null).length, rtts: u.rtts! }));
      if (cycles.length) latency.write(cycles);
    }
  }

  samples(batch: SampleInput[]): void {
    try {
      this.deps.samples.write(batch);
    } finally {
      // Threshold rules see the values even when storing them failed.
      this.deps.bus.publish('metrics.sampled', batch.map((s) => ({ deviceId: s.deviceId, metric: s.metric, instance: s.instance, value: s.value, ts: s.ts })));
    }
  }

  events(events: NormalizedEvent[]): void {
    for (const e of events) this.deps.bus.publish('event.received', e);
  }
}
