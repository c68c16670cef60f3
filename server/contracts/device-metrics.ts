import type { HostResources, IfCounterName, UcdStats } from './poll.js';

/**
 * The raw values of one SNMP poll that GET /metrics/devices exports (the latest-values cache at the
 * centre). JSON-safe so a collector can publish it with its `status` item: counters travel as exact
 * decimal text (a Counter64 does not fit a double), never as numbers.
 */
export interface CounterText {
  /** Decimal digits of the raw SNMP counter (0 .. 2^64-1). */
  v: string;
  /** 64 when it came from ifXTable's HC column, else 32. */
  b: 32 | 64;
}

export interface InterfaceMetrics {
  ifIndex: number;
  /** ifName, else ifDescr, else `if<index>` (as the poller names interfaces). */
  name: string;
  descr: string | null;
  alias: string | null;
  type: number | null;
  mtu: number | null;
  /** ifHighSpeed * 1e6 when the agent has it, else ifSpeed (bit/s). */
  speedBps: number | null;
  adminStatus: number | null;
  operStatus: number | null;
  lastChangeCs: number | null;
  counters: Partial<Record<IfCounterName, CounterText>>;
}

export interface CustomOidValue {
  oid: string;
  /** The user's metric name ('' when the OID has none). */
  name: string;
  value: number;
}

/** Everything one successful SNMP poll read that is exported; a section the agent did not give is null. */
export interface SnmpMetrics {
  sysUpTimeCs: number | null;
  interfaces: InterfaceMetrics[] | null;
  host: HostResources | null;
  ucd: UcdStats | null;
  custom: CustomOidValue[] | null;
  /** Values of collection templates (server/templates) as stored: metric name, instance label, value. */
  templates?: { metric: string; instance: string; value: number }[] | null;
}
