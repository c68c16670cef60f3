import type { Varbind } from 'net-snmp';
import { SnmpClient, type SnmpTarget } from '../collectors/snmp/snmp.client.js';
import { classifySnmpError } from '../collectors/snmp/snmp.errors.js';
import type { NormalizedEvent, Severity } from '../contracts/events.js';
import type { RmonHistoryDto, RmonTablesDto } from '../contracts/rmon.js';
import type { Logger } from '../log/logger.js';
import type { OidDictionary } from '../mib/oid-dictionary.js';
import { snmpTarget } from '../poller/snmp-runner.js';
import type { DeviceRecord } from '../store/device.repository.js';
import { SYS_UPTIME_0 } from './rmon.oids.js';
import { alarmColumns, etherHistoryColumns, eventColumns, historyControlColumns, intOf, parseAlarms, parseEtherHistory, parseEvents, parseHistoryControls } from './rmon-tables.js';
import { enrichRmonTraps, severityFromDescription } from './rmon-trap.js';

/** The agent did not answer (`timeout`) or answered with an error (`failed`): the API maps these to 504 / 502. */
export class RmonReadError extends Error {
  constructor(
    readonly kind: 'timeout' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'RmonReadError';
  }
}

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
 * request time (GETBULK over the table columns, one client with a few shared UDP sockets; its
 * sessions are cached per device like the poller's), and the risingAlarm/fallingAlarm enrichment the
 * event writer runs before the rules (see rmon-trap.ts). The eventTable of a device read here gives
 * its RMON alarms their severity; a device whose tables were never read is read in the background
 * after its first RMON trap, so later traps have it.
 *
 * The walks run on the main thread: a table of a few hundred rows parses in well under a
 * millisecond, and the poll workers' message protocol carries polls only.
 */
export class RmonService {
  private readonly client = new SnmpClient({ socketsPerFamily: 1 });
  private readonly knowledge = new Map<number, Knowledge>();
  private readonly inflight = new Map<number, Promise<RmonTablesDto>>();
  private readonly triedAfterTrap = new Map<number, number>();
  /** The settings each device was last read with: its cached session is closed when the device changes or goes. */
  private readonly targets = new Map<number, SnmpTarget>();
  private readonly stats = { table_reads: 0, history_reads: 0, read_timeouts: 0, read_failures: 0, traps: 0, traps_malformed: 0, severity_from_event_table: 0 };
  private closed = false;

  constructor(private readonly deps: RmonServiceDeps) {}

  /** `etherStatsPkts.1` for a numeric OID (null when no loaded MIB names it). */
  private readonly name = (oid: string): string | null => {
    const r = this.deps.dictionary().resolve(oid);
    return r.node ? `${r.node.name}${r.instance ? `.${r.instance}` : ''}` : null;
  };

  private async walk(device: DeviceRecord, roots: string[], withUpTime = false): Promise<{ cols: Map<string, Varbind[]>; upTime: number | null }> {
    if (this.closed) throw new RmonReadError('failed', 'the server is stopping');
    try {
      const target = snmpTarget(device);
      const before = this.targets.get(device.id);
      if (before && !sameTarget(before, target)) this.client.forget(before);
      this.targets.set(device.id, target);
      const session = await this.client.open(target);
      const cols = await session.walkColumns(roots);
      const upTime = withUpTime ? intOf((await session.get([SYS_UPTIME_0]))[0]) : null;
      return { cols, upTime };
    } catch (e) {
      const err = classifySnmpError(e);
      if (err.kind === 'timeout') {
        this.stats.read_timeouts++;
        throw new RmonReadError('timeout', `${device.name} (${device.address}) did not answer SNMP within ${device.snmp.timeoutMs} ms × ${device.snmp.retries + 1} tries`);
      }
      this.stats.read_failures++;
      throw new RmonReadError('failed', `${device.name} (${device.address}): ${err.kind === 'authFailure' ? 'SNMP credentials rejected' : 'SNMP error'}: ${err.message}`.slice(0, 500));
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
    const { cols } = await this.walk(device, [...alarmColumns(), ...eventColumns()]);
    const max = this.deps.maxRows ?? 2000;
    const alarms = parseAlarms(cols, this.name, max);
    const events = parseEvents(cols, max);
    this.learn(device.id, alarms.rows, events.rows);
    return { deviceId: device.id, readAt: Date.now(), alarms: alarms.rows, events: events.rows, truncated: alarms.truncated || events.truncated };
  }

  /** historyControlTable, and the etherHistory samples of control entry `control` (else the first valid one). */
  async readHistory(device: DeviceRecord, control?: number): Promise<RmonHistoryDto> {
    this.stats.history_reads++;
    const max = this.deps.maxRows ?? 2000;
    const controls = parseHistoryControls((await this.walk(device, historyControlColumns())).cols, this.name, max);
    const chosen = control ?? controls.rows.find((c) => c.status === 'valid')?.index ?? controls.rows[0]?.index ?? null;
    if (chosen === null) return { deviceId: device.id, readAt: Date.now(), controls: controls.rows, control: null, samples: [], truncated: controls.truncated };
    const { cols, upTime } = await this.walk(device, etherHistoryColumns(chosen), true);
    const readAt = Date.now();
    const samples = parseEtherHistory(cols, chosen, upTime, readAt, this.deps.maxSamples ?? 5000);
    return { deviceId: device.id, readAt, controls: controls.rows, control: chosen, samples: samples.rows, truncated: controls.truncated || samples.truncated };
  }

  private learn(deviceId: number, alarms: RmonTablesDto['alarms'], events: RmonTablesDto['events']): void {
    const k: Knowledge = { alarms: new Map(), events: new Map() };
    for (const a of alarms) k.alarms.set(a.index, { rising: a.risingEventIndex, falling: a.fallingEventIndex });
    for (const e of events) k.events.set(e.index, severityFromDescription(e.description));
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
    if (this.closed || (last !== undefined && now - last < (this.deps.refreshAfterTrapMs ?? 600_000))) return;
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
    if (target) this.client.forget(target);
    this.targets.delete(deviceId);
    this.knowledge.delete(deviceId);
    this.triedAfterTrap.delete(deviceId);
  }

  counters(): Record<string, number> {
    return { ...this.stats, known_devices: this.knowledge.size, sessions: this.targets.size };
  }

  close(): void {
    this.closed = true;
    this.client.close();
  }
}
