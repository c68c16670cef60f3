import type { NormalizedEvent, Severity } from '../contracts/events.js';
import type { IfCounterName, InterfaceSample, PollResult } from '../contracts/poll.js';
import type { SnmpState } from '../contracts/poll-state.js';
import type { SampleInput } from '../store/sample.repository.js';
import type { InterfaceWrite, NeighbourWrite, SnmpPollUpdate } from '../store/poll-state.repository.js';
import type { SnmpMetrics } from '../contracts/device-metrics.js';
import { computeRates, type InterfaceRates, type RateState } from './rate.js';
import { snmpMetricsOf } from './snmp-metrics.js';

/** What the poller remembers about a device between polls (main thread, in memory). */
export interface DevicePollMemory {
  snmpState: SnmpState;
  /** The previous successful poll, for counter rates. */
  rates: RateState | null;
  /** Last oper status by interface name, for up/down events. */
  operByName: Map<string, number>;
}

export const newMemory = (snmpState: SnmpState = 'unknown'): DevicePollMemory => ({ snmpState, rates: null, operByName: new Map() });

export interface ProcessedPoll {
  status: SnmpPollUpdate;
  interfaces: InterfaceWrite[] | null;
  neighbours: NeighbourWrite[] | null;
  samples: SampleInput[];
  events: NormalizedEvent[];
  /** The raw values GET /metrics/devices exports (null for a failed poll). */
  metrics: SnmpMetrics | null;
}

interface DeviceRef {
  id: number;
  name: string;
  address: string;
}

/** Counter -> stored metric name (per second; octets become bits). */
const RATE_METRICS: [IfCounterName, string][] = [
  ['inUcastPkts', 'ifInUcastPps'],
  ['outUcastPkts', 'ifOutUcastPps'],
  ['inMulticastPkts', 'ifInMulticastPps'],
  ['outMulticastPkts', 'ifOutMulticastPps'],
  ['inBroadcastPkts', 'ifInBroadcastPps'],
  ['outBroadcastPkts', 'ifOutBroadcastPps'],
  ['inErrors', 'ifInErrors'],
  ['outErrors', 'ifOutErrors'],
  ['inDiscards', 'ifInDiscards'],
  ['outDiscards', 'ifOutDiscards'],
];

const UNITS: Record<string, string> = { ifInBps: 'bit/s', ifOutBps: 'bit/s', ifUtilisation: '%', cpuUtilisation: '%' };

function event(device: DeviceRef, at: number, severity: Severity, type: string, message: string, params: Record<string, unknown>): NormalizedEvent {
  return { receivedAt: at, reportedAt: null, source: 'poll', sourceAddress: device.address, deviceId: device.id, severity, type, message, params };
}

/**
 * Turns one SNMP poll result into rows, samples and events, given what was
 * remembered from the previous poll (which it updates). Pure apart from `mem`.
 * - A reboot (sysUpTime went backwards) or an ifCounterDiscontinuityTime change
 *   resets the counter baselines, so no bogus spike is recorded.
 * - Interfaces are remembered by name, so ifIndex renumbering keeps history.
 */
export function processSnmpResult(
  device: DeviceRef,
  r: PollResult,
  mem: DevicePollMemory,
  customNames: Map<string, { name: string; unit: string | null }> = new Map(),
): ProcessedPoll {
  const at = r.startedAt;
  const ts = Math.floor(at / 1000);
  const events: NormalizedEvent[] = [];
  const samples: SampleInput[] = [];
  const sample = (metric: string, instance: string, value: number, unit?: string | null) =>
    samples.push({ deviceId: device.id, metric, instance, ts, value, unit: unit ?? UNITS[metric] ?? null });

  const state: SnmpState = r.ok ? 'up' : r.error?.kind === 'authFailure' ? 'auth_failure' : 'down';
  if (state !== mem.snmpState) {
    if (state === 'up' && mem.snmpState !== 'unknown') events.push(event(device, at, 'info', 'snmp.reachable', `${device.name}: SNMP agent answers again`, {}));
    if (state === 'down') events.push(event(device, at, 'major', 'snmp.unreachable', `${device.name}: SNMP agent not answering (${r.error?.message ?? 'no answer'})`, { error: r.error?.message ?? null, kind: r.error?.kind ?? null }));
    if (state === 'auth_failure') events.push(event(device, at, 'warning', 'snmp.authFailure', `${device.name}: SNMP authentication failed (${r.error?.message ?? ''})`, { error: r.error?.message ?? null }));
  }
  mem.snmpState = state;

  const status: SnmpPollUpdate = {
    snmpState: state,
    at,
    durationMs: r.durationMs,
    error: r.error?.message ?? (Object.keys(r.errors).length ? Object.entries(r.errors).map(([k, e]) => `${k}: ${e!.message}`).join('; ') : null),
    errorKind: r.error?.kind ?? null,
  };
  if (!r.ok) return { status, interfaces: null, neighbours: null, samples, events, metrics: null };

  const uptime = r.system?.sysUpTimeCs ?? null;
  const current: RateState = { atMs: at, sysUpTimeCs: uptime, interfaces: r.interfaces ?? [] };
  const rates = computeRates(mem.rates, current);
  if (rates.rebooted) {
    events.push(
      event(device, at, 'warning', 'device.reboot', `${device.name}: rebooted (up ${Math.round((uptime ?? 0) / 100)} s)`, {
        sysUpTimeCs: uptime,
        previousCs: mem.rates?.sysUpTimeCs ?? null,
      }),
    );
  }
  if (r.system) {
    status.system = {
      sysName: r.system.sysName,
      sysDescr: r.system.sysDescr,
      sysObjectID: r.system.sysObjectID,
      vendor: r.system.vendor,
      sysUpTimeCs: r.system.sysUpTimeCs,
      sysContact: r.system.sysContact,
      sysLocation: r.system.sysLocation,
    };
    if (uptime !== null) sample('sysUpTime', '', uptime / 100);
  }

  let interfaces: InterfaceWrite[] | null = null;
  if (r.interfaces) {
    interfaces = r.interfaces.map((i, k) => processInterface(device, i, rates.interfaces[k]!, mem, at, sample, events));
    mem.operByName = new Map(r.interfaces.filter((i) => i.operStatus !== null).map((i) => [i.name, i.operStatus!]));
  }

  if (r.host) {
    for (const p of r.host.processors) sample('cpuUtilisation', String(p.index), p.loadPct);
    if (r.host.processors.length) sample('cpuUtilisation', '', r.host.processors.reduce((s, p) => s + p.loadPct, 0) / r.host.processors.length);
    for (const s of r.host.storage) {
      if (s.sizeBytes > 0) sample(s.kind === 'ram' ? 'memoryUsedPct' : 'storageUsedPct', s.descr, (100 * s.usedBytes) / s.sizeBytes);
    }
  }
  if (r.ucd) {
    if (r.ucd.load1 !== null) sample('loadAverage1', '', r.ucd.load1);
    if (r.ucd.load5 !== null) sample('loadAverage5', '', r.ucd.load5);
    if (r.ucd.load15 !== null) sample('loadAverage15', '', r.ucd.load15);
    if (r.ucd.memTotalRealKb && r.ucd.memAvailRealKb !== null) {
      sample('memAvailableKb', '', r.ucd.memAvailRealKb);
      if (!r.host?.storage.some((s) => s.kind === 'ram')) sample('memoryUsedPct', 'Physical memory', 100 * (1 - r.ucd.memAvailRealKb / r.ucd.memTotalRealKb));
    }
  }
  for (const c of r.custom ?? []) {
    if (c.value === null) continue;
    const named = customNames.get(c.oid.replace(/^\./, ''));
    sample(named?.name ?? 'custom', named ? '' : c.oid, c.value, named?.unit);
  }

  const neighbours: NeighbourWrite[] | null = r.neighbours
    ? r.neighbours.map((n) => ({
        protocol: n.protocol,
        localPort: n.localPort,
        remoteChassis: n.remoteChassis,
        remotePort: n.remotePort,
        remotePortDesc: n.remotePortDesc,
        remoteSysName: n.remoteSysName,
        remoteMgmtAddr: n.remoteMgmtAddr,
      }))
    : null;

  // Only a poll that carried interfaces is a baseline for the next rates.
  if (r.interfaces) mem.rates = current;
  return { status, interfaces, neighbours, samples, events, metrics: snmpMetricsOf(r, customNames) };
}

function processInterface(
  device: DeviceRef,
  i: InterfaceSample,
  rates: InterfaceRates,
  mem: DevicePollMemory,
  at: number,
  sample: (metric: string, instance: string, value: number) => void,
  events: NormalizedEvent[],
): InterfaceWrite {
  if (rates.inBps !== null) sample('ifInBps', i.name, rates.inBps);
  if (rates.outBps !== null) sample('ifOutBps', i.name, rates.outBps);
  for (const [counter, metric] of RATE_METRICS) {
    const v = rates.perSec[counter];
    if (v !== undefined) sample(metric, i.name, v);
  }
  if (rates.inUtilPct !== null || rates.outUtilPct !== null) sample('ifUtilisation', i.name, Math.max(rates.inUtilPct ?? 0, rates.outUtilPct ?? 0));

  const prevOper = mem.operByName.get(i.name);
  if (prevOper !== undefined && i.operStatus !== null && prevOper !== i.operStatus && i.adminStatus !== 2) {
    const down = i.operStatus !== 1;
    events.push(
      event(device, at, down ? 'major' : 'info', down ? 'interface.down' : 'interface.up', `${device.name}: interface ${i.name} ${down ? 'down' : 'up'}`, {
        ifIndex: i.ifIndex,
        ifName: i.name,
        ifDescr: i.descr,
        ifAlias: i.alias,
        operStatus: i.operStatus,
        previousOperStatus: prevOper,
      }),
    );
  }

  return {
    ifIndex: i.ifIndex,
    name: i.name,
    descr: i.descr,
    alias: i.alias,
    type: i.type,
    speedBps: i.speedBps && i.speedBps > 0 ? i.speedBps : null,
    mac: i.mac,
    adminStatus: i.adminStatus,
    operStatus: i.operStatus,
    inBps: rates.inBps,
    outBps: rates.outBps,
    inErrorsPs: rates.perSec.inErrors ?? null,
    outErrorsPs: rates.perSec.outErrors ?? null,
    inDiscardsPs: rates.perSec.inDiscards ?? null,
    outDiscardsPs: rates.perSec.outDiscards ?? null,
    inUtilPct: rates.inUtilPct,
    outUtilPct: rates.outUtilPct,
    hcCounters: i.hc,
  };
}
