import type { SnmpTarget } from '../collectors/snmp/snmp.client.js';
import type { NormalizedEvent, Severity } from '../contracts/events.js';
import type { RmonHistoryDto, RmonTablesDto } from '../contracts/rmon.js';
import type { Logger } from '../log/logger.js';
import type { OidDictionary } from '../mib/oid-dictionary.js';
import { snmpTarget } from '../poller/snmp-runner.js';
import type { DeviceRecord } from '../store/device.repository.js';
import { RmonThread } from './rmon-thread.js';
import { enrichRmonTraps, severityFromDescription } from './rmon-trap.js';
import { RmonReadError, type RmonWalkRequest } from './rmon-walk.js';

export { RmonReadError };

export interface RmonServiceDeps {
  dictionary: () => OidDictionary;
  /** The device of a trap, for the background read of its tables (undefined = unknown). */
  device: (id: number) => DeviceRecord | undefined;
  /** Throws when the outbound policy denies the address. */
  assertAllowed: (device: DeviceRecord) => void;
  log: Logger;
  /** Rows per table returned (default 2,000 alarms/events/controls, 5,000 history samples). */
  maxRows?: number;
  maxSamples?: number;
  /** A device whose tables are unknown gets at most one background read per this period after an RMON trap (default 10 min). */
  refreshAfterTrapMs?: number;
  /** The RMON worker thread stops after this long without a read (default 60 s). */
  workerIdleMs?: number;
}

/** What a read of the alarm and event tables taught us: which eventTable row each alarm fires, and its severity. */
interface Knowledge {
  alarms: Map<number, { rising: number | null; falling: number | null }>;
  events: Map<number, Severity | undefined>;
}

const MAX_KNOWN_DEVICES = 10_000;

const sameTarget = (a: SnmpTarget, b: SnmpTarget): boolean => {
  if (a.address !== b.address) return false;
  const x = a.snmp as unknown as Record<string, unknown>;
  const y = b.snmp as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const k of keys) if ((x[k] ?? null) !== (y[k] ?? null)) return false;
  return true;
};

/**
 * RMON on demand: alarmTable/eventTable and historyControl/etherHistory walked from the server at
 * request time, in the RMON worker thread (rmon.worker.ts: GETBULK over the table columns, parsed
 * there; its SNMP sessions cached per device), named through the OID dictionary here; and the
 * risingAlarm/fallingAlarm enrichment the event writer runs before the rules (see rmon-trap.ts).
 * The eventTable of a device read here gives its RMON alarms their severity; a device whose tables
 * were never read is read in the background after its first RMON trap, so later traps have it.
 */
export class RmonService {
  private readonly thread: RmonThread;
  private readonly knowledge = new Map<number, Knowledge>();
  private readonly inflight = new Map<number, Promise<RmonTablesDto>>();
  private readonly triedAfterTrap = new Map<number, number>();
  /** The settings each device was last read with: its cached session is closed when the device changes or goes. */
  private readonly targets = new Map<number, SnmpTarget>();
  private readonly stats = { table_reads: 0, history_reads: 0, read_timeouts: 0, read_failures: 0, traps: 0, traps_malformed: 0, severity_from_event_table: 0 };

  constructor(private readonly deps: RmonServiceDeps) {
    this.thread = new RmonThread(deps.workerIdleMs);
  }

  /** `etherStatsPkts.1` for a numeric OID (null when no loaded MIB names it). */
  private readonly name = (oid: string): string | null => {
    const r = this.deps.dictionary().resolve(oid);
    return r.node ? `${r.node.name}${r.instance ? `.${r.instance}` : ''}` : null;
  };

  private request(device: DeviceRecord): RmonWalkRequest {
    const target = snmpTarget(device);
    const before = this.targets.get(device.id);
    if (before && !sameTarget(before, target)) this.thread.forget(before);
    this.targets.set(device.id, target);
    return { target, label: `${device.name} (${device.address})`, maxRows: this.deps.maxRows ?? 2000, maxSamples: this.deps.maxSamples ?? 5000 };
  }

  private async counted<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (e instanceof RmonReadError && e.kind === 'timeout') this.stats.read_timeouts++;
      else this.stats.read_failures++;
      throw e;
    }
  }

  /** alarmTable and eventTable of a device, read now (concurrent asks for one device share the walk). */
  readTables(device: DeviceRecord): Promise<RmonTablesDto> {
    const running = this.inflight.get(device.id);
    if (running) return running;
    const p = this.readTablesNow(device).finally(() => this.inflight.delete(device.id));
    this.inflight.set(device.id, p);
    return p;
  }

  private async readTablesNow(device: DeviceRecord): Promise<RmonTablesDto> {
    this.stats.table_reads++;
    const read = await this.counted(this.thread.tables(this.request(device)));
    for (const a of read.alarms) if (a.variable) a.variableName = this.name(a.variable);
    this.learn(device.id, read);
    return { deviceId: device.id, readAt: Date.now(), ...read };
  }

  /** historyControlTable, and the etherHistory samples of control entry `control` (else the first valid one). */
  async readHistory(device: DeviceRecord, control?: number): Promise<RmonHistoryDto> {
    this.stats.history_reads++;
    const read = await this.counted(this.thread.history(this.request(device), control));
    for (const c of read.controls) if (c.dataSource) c.dataSourceName = this.name(c.dataSource);
    return { deviceId: device.id, ...read };
  }

  private learn(deviceId: number, read: Pick<RmonTablesDto, 'alarms' | 'events'>): void {
    const k: Knowledge = { alarms: new Map(), events: new Map() };
    for (const a of read.alarms) k.alarms.set(a.index, { rising: a.risingEventIndex, falling: a.fallingEventIndex });
    for (const e of read.events) k.events.set(e.index, severityFromDescription(e.description));
    this.knowledge.delete(deviceId);
    this.knowledge.set(deviceId, k);
    while (this.knowledge.size > MAX_KNOWN_DEVICES) this.knowledge.delete(this.knowledge.keys().next().value!);
  }

  /** Severity of the eventTable row a device's alarm fires on this edge, when its tables were read. */
  severity(deviceId: number, alarmIndex: number, kind: 'rising' | 'falling'): Severity | undefined {
    const k = this.knowledge.get(deviceId);
    const a = k?.alarms.get(alarmIndex);
    const ev = a ? (kind === 'rising' ? a.rising : a.falling) : null;
    return ev ? k!.events.get(ev) : undefined;
  }

  /** EventWriter preprocess step (before the rules): `params.rmon` and severity on RMON traps. */
  enrich(batch: NormalizedEvent[]): NormalizedEvent[] {
    enrichRmonTraps(batch, { oidName: (o) => this.name(o) ?? undefined, severity: (d, i, k) => this.severity(d, i, k) }, (e, info) => {
      this.stats.traps++;
      if (info.alarmIndex === null) this.stats.traps_malformed++;
      if (info.severityFrom === 'eventTable') this.stats.severity_from_event_table++;
      if (e.deviceId !== null && !this.knowledge.has(e.deviceId)) this.refreshAfterTrap(e.deviceId);
    });
    return batch;
  }

  /** Reads the tables of a device that sent an RMON trap and is unknown, at most once per period. */
  private refreshAfterTrap(deviceId: number): void {
    const now = Date.now();
    const last = this.triedAfterTrap.get(deviceId);
    if (last !== undefined && now - last < (this.deps.refreshAfterTrapMs ?? 600_000)) return;
    this.triedAfterTrap.set(deviceId, now);
    if (this.triedAfterTrap.size > MAX_KNOWN_DEVICES) this.triedAfterTrap.delete(this.triedAfterTrap.keys().next().value!);
    const device = this.deps.device(deviceId);
    if (!device || !device.snmp.enabled || device.secretError) return;
    try {
      this.deps.assertAllowed(device);
    } catch {
      return;
    }
    this.readTables(device).catch((err: unknown) => this.deps.log.debug({ err, deviceId }, 'RMON tables not read after a trap'));
  }

  /** After a device was edited or deleted: what its last read taught, and its SNMP session, are dropped. */
  forget(deviceId: number): void {
    const target = this.targets.get(deviceId);
    if (target) this.thread.forget(target);
    this.targets.delete(deviceId);
    this.knowledge.delete(deviceId);
    this.triedAfterTrap.delete(deviceId);
  }

  counters(): Record<string, number> {
    return { ...this.stats, known_devices: this.knowledge.size, sessions: this.targets.size, worker_starts: this.thread.stats.starts, worker_deaths: this.thread.stats.deaths };
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
