import type { TemplateRawResult } from './templates.js';
/**
 * What one SNMP poll of one device returns (collectors/snmp -> poller ->
 * store/bus). Counters are exact `bigint`s (Counter64 does not fit a double):
 * convert before JSON (e.g. `JSON.stringify(r, (_k, v) => typeof v === 'bigint' ? v.toString() : v)`).
 */
export type SnmpErrorKind = 'timeout' | 'authFailure' | 'noSuchName' | 'noSuchObject' | 'tooBig' | 'other';

export interface SectionError {
  kind: SnmpErrorKind;
  message: string;
}

export type PollSection = 'system' | 'interfaces' | 'host' | 'ucd' | 'lldp' | 'cdp' | 'custom';

export interface SystemInfo {
  sysName: string | null;
  sysDescr: string | null;
  sysObjectID: string | null;
  /** Private enterprise number from sysObjectID (1.3.6.1.4.1.N...). */
  enterprise: number | null;
  vendor: string | null;
  sysUpTimeCs: number | null;
  sysContact: string | null;
  sysLocation: string | null;
}

export interface CounterValue {
  value: bigint;
  bits: 32 | 64;
}

export const IF_COUNTERS = [
  'inOctets',
  'outOctets',
  'inUcastPkts',
  'outUcastPkts',
  'inMulticastPkts',
  'outMulticastPkts',
  'inBroadcastPkts',
  'outBroadcastPkts',
  'inErrors',
  'outErrors',
  'inDiscards',
  'outDiscards',
] as const;
export type IfCounterName = (typeof IF_COUNTERS)[number];

export interface InterfaceSample {
  ifIndex: number;
  /** ifName, else ifDescr, else `if<index>`. */
  name: string;
  descr: string | null;
  alias: string | null;
  type: number | null;
  mtu: number | null;
  /** ifHighSpeed * 1e6 when present and non-zero, else ifSpeed. */
  speedBps: number | null;
  mac: string | null;
  /** 1 up, 2 down, 3 testing, ... (IF-MIB). */
  adminStatus: number | null;
  operStatus: number | null;
  lastChangeCs: number | null;
  /** ifCounterDiscontinuityTime (TimeTicks) when the agent has it. */
  discontinuityCs: number | null;
  /** True when the octet counters come from ifXTable's 64-bit HC columns. */
  hc: boolean;
  counters: Partial<Record<IfCounterName, CounterValue>>;
}

export interface ProcessorLoad {
  index: number;
  loadPct: number;
}

export interface StorageEntry {
  index: number;
  kind: 'ram' | 'virtual' | 'disk' | 'other';
  descr: string;
  sizeBytes: number;
  usedBytes: number;
}

export interface HostResources {
  processors: ProcessorLoad[];
  storage: StorageEntry[];
}

export interface UcdStats {
  load1: number | null;
  load5: number | null;
  load15: number | null;
  memTotalRealKb: number | null;
  memAvailRealKb: number | null;
  memTotalSwapKb: number | null;
  memAvailSwapKb: number | null;
  memBufferKb: number | null;
  memCachedKb: number | null;
}

export interface NeighbourSample {
  protocol: 'lldp' | 'cdp';
  /** LLDP local port number or CDP ifIndex. */
  localPortNum: number;
  /** Local port name when it maps to a polled interface (else the number as text). */
  localPort: string;
  remoteChassis: string;
  remotePort: string;
  remotePortDesc: string | null;
  remoteSysName: string | null;
  remoteMgmtAddr: string | null;
  /** CDP platform / LLDP system description. */
  remotePlatform: string | null;
}

export interface CustomOidSample {
  oid: string;
  value: number | null;
  error?: SectionError;
}

export interface PollResult {
  address: string;
  /** Epoch ms when the poll started. */
  startedAt: number;
  durationMs: number;
  /** False when the device did not answer the system group (then `error` says why). */
  ok: boolean;
  error: SectionError | null;
  system: SystemInfo | null;
  interfaces: InterfaceSample[] | null;
  host: HostResources | null;
  ucd: UcdStats | null;
  neighbours: NeighbourSample[] | null;
  custom: CustomOidSample[] | null;
  /** Per-section failures; a section absent from the agent is `null` data, not an error. */
  errors: Partial<Record<PollSection, SectionError>>;
  /** SNMP requests sent (including retries by the walker, not by net-snmp). */
  requests: number;
  /** What the device's collection templates read (when the poll asked for templates). */
  templates?: TemplateRawResult;
}

/** One ICMP cycle for one host (several echo requests). */
export interface IcmpResult {
  address: string;
  sent: number;
  received: number;
  /** 0..100 */
  lossPct: number;
  rttMinMs: number | null;
  rttAvgMs: number | null;
  rttMaxMs: number | null;
  /** Mean absolute difference between consecutive RTTs (ms). */
  jitterMs: number | null;
  /** Set when the host could not be pinged at all (bad name, tool failure). */
  error?: string;
}

/** A user-defined OID polled as a metric on one device or on every device of a group. */
export interface CustomOid {
  id: number;
  deviceId: number | null;
  group: string | null;
  /** Numeric OID with its instance, as polled. */
  oid: string;
  /** Metric name the samples are stored under. */
  name: string;
  /** What the user typed (a MIB name or a number). */
  input: string;
  unit: string | null;
  createdAt: number;
}
