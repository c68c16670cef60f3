import type { CounterText, InterfaceMetrics, SnmpMetrics } from '../contracts/device-metrics.js';
import type { IfCounterName, PollResult } from '../contracts/poll.js';

/**
 * The exported raw values of one poll (GET /metrics/devices): counters as exact decimal text made
 * from the bigint (never through a double), everything else as read. Null for a failed poll. Pure.
 */
export function snmpMetricsOf(r: PollResult, customNames: Map<string, { name: string }> = new Map()): SnmpMetrics | null {
  if (!r.ok) return null;
  const interfaces: InterfaceMetrics[] | null = r.interfaces
    ? r.interfaces.map((i) => {
        const counters: Partial<Record<IfCounterName, CounterText>> = {};
        for (const [name, c] of Object.entries(i.counters) as [IfCounterName, { value: bigint; bits: 32 | 64 }][]) counters[name] = { v: c.value.toString(), b: c.bits };
        return {
          ifIndex: i.ifIndex,
          name: i.name,
          descr: i.descr,
          alias: i.alias,
          type: i.type,
          mtu: i.mtu,
          speedBps: i.speedBps,
          adminStatus: i.adminStatus,
          operStatus: i.operStatus,
          lastChangeCs: i.lastChangeCs,
          counters,
        };
      })
    : null;
  const custom = r.custom
    ? r.custom.filter((c): c is typeof c & { value: number } => c.value !== null).map((c) => {
        const oid = c.oid.replace(/^\./, '');
        return { oid, name: customNames.get(oid)?.name ?? '', value: c.value };
      })
    : null;
  return { sysUpTimeCs: r.system?.sysUpTimeCs ?? null, interfaces, host: r.host, ucd: r.ucd, custom };
}
