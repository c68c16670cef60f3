import type { CounterValue, IfCounterName, InterfaceSample } from '../contracts/poll.js';

/**
 * Pure rate maths: per-second rates from two polls of SNMP counters.
 *
 * - 32-bit counters wrap at 2^32; one wrap between polls is undone. A 64-bit
 *   counter going backwards is a reset, not a wrap (2^64 octets take decades
 *   even at 100 Gbit/s).
 * - A reboot (sysUpTime went backwards, not explained by its own 2^32
 *   centisecond wrap) or a changed ifCounterDiscontinuityTime yields no rate
 *   for that interval, never a spike.
 * - A "wrap" implying more than the link can carry is a discontinuity too.
 * - Interfaces are matched by name across polls, so an ifIndex renumbering
 *   (after a reboot or a line card swap) keeps each interface's history.
 */

export type NoRateReason = 'first' | 'time' | 'reboot' | 'discontinuity' | 'reset' | 'implausible' | 'widthChanged';
export type RateResult = { rate: number; reason?: undefined } | { rate: null; reason: NoRateReason };

const TWO_32 = 1n << 32n;
const TWO_64 = 1n << 64n;

/**
 * Rate of one counter between two readings `dtSec` apart. `maxPerSec`, when
 * known (e.g. link speed in octets/s), rejects wraps that imply more.
 */
export function counterRate(prev: CounterValue, cur: CounterValue, dtSec: number, maxPerSec?: number | null): RateResult {
  if (!(dtSec > 0)) return { rate: null, reason: 'time' };
  if (prev.bits !== cur.bits) return { rate: null, reason: 'widthChanged' };
  let delta = cur.value - prev.value;
  let wrapped = false;
  if (delta < 0n) {
    if (cur.bits === 64) return { rate: null, reason: 'reset' };
    delta += TWO_32;
    wrapped = true;
  }
  if (delta < 0n || delta >= (cur.bits === 64 ? TWO_64 : TWO_32)) return { rate: null, reason: 'reset' };
  const rate = Number(delta) / dtSec;
  if (maxPerSec && maxPerSec > 0 && rate > maxPerSec) return { rate: null, reason: wrapped ? 'reset' : 'implausible' };
  return { rate };
}

const UPTIME_WRAP_CS = 2 ** 32;

/**
 * True when sysUpTime went backwards because the agent restarted. A plain
 * 32-bit wrap of sysUpTime (every 497 days) is recognised by the elapsed wall
 * time matching the wrapped difference (within 10 % + 30 s).
 */
export function rebooted(prevUpCs: number | null, curUpCs: number | null, dtSec: number): boolean {
  if (prevUpCs === null || curUpCs === null) return false;
  if (curUpCs >= prevUpCs) {
    // Rebooted in between and already up longer than before: it came up within
    // the interval, and up-time advanced far less than wall time.
    return dtSec > 0 && curUpCs / 100 < dtSec + 30 && (curUpCs - prevUpCs) / 100 < dtSec * 0.5;
  }
  const wrappedDelta = curUpCs + UPTIME_WRAP_CS - prevUpCs;
  const expected = dtSec * 100;
  return !(dtSec > 0 && Math.abs(wrappedDelta - expected) <= expected * 0.1 + 3000);
}

export interface RateState {
  /** Epoch ms of the poll (its start). */
  atMs: number;
  sysUpTimeCs: number | null;
  interfaces: InterfaceSample[];
}

export interface InterfaceRates {
  ifIndex: number;
  name: string;
  /** ifIndex this interface had in the previous poll, when it changed. */
  previousIfIndex?: number;
  perSec: Partial<Record<IfCounterName, number>>;
  inBps: number | null;
  outBps: number | null;
  inUtilPct: number | null;
  outUtilPct: number | null;
  /** Why counters gave no rate this interval (whole interface), if so. */
  noRate: NoRateReason | null;
}

export interface RatesResult {
  dtSec: number;
  rebooted: boolean;
  interfaces: InterfaceRates[];
}

/**
 * Pairs each current interface with its previous sample: by unique name
 * (ifName/ifDescr) first, then by ifIndex when the name is not unique or
 * is new but the old one at that index has vanished under another name.
 */
export function matchInterfaces(prev: InterfaceSample[], cur: InterfaceSample[]): Map<InterfaceSample, InterfaceSample> {
  const count = (list: InterfaceSample[], key: (i: InterfaceSample) => string | null) => {
    const m = new Map<string, number>();
    for (const i of list) {
      const k = key(i);
      if (k) m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  const out = new Map<InterfaceSample, InterfaceSample>();
  const used = new Set<InterfaceSample>();
  const byKey = (key: (i: InterfaceSample) => string | null) => {
    const pc = count(prev, key);
    const cc = count(cur, key);
    const prevBy = new Map<string, InterfaceSample>();
    for (const p of prev) {
      const k = key(p);
      if (k && pc.get(k) === 1) prevBy.set(k, p);
    }
    for (const c of cur) {
      if (out.has(c)) continue;
      const k = key(c);
      if (!k || cc.get(k) !== 1) continue;
      const p = prevBy.get(k);
      if (p && !used.has(p)) {
        out.set(c, p);
        used.add(p);
      }
    }
  };
  byKey((i) => i.name);
  byKey((i) => i.descr);
  const prevByIndex = new Map(prev.map((p) => [p.ifIndex, p]));
  const curNames = new Set(cur.map((c) => c.name));
  for (const c of cur) {
    if (out.has(c)) continue;
    const p = prevByIndex.get(c.ifIndex);
    // Same index, and the old name is not now carried by another interface.
    if (p && !used.has(p) && (p.name === c.name || !curNames.has(p.name))) {
      out.set(c, p);
      used.add(p);
    }
  }
  return out;
}

/** Upper bound per counter from link speed: octets at line rate, packets at minimum frame size. */
function maxPerSec(name: IfCounterName, speedBps: number | null): number | null {
  if (!speedBps || speedBps <= 0) return null;
  const slack = 1.1;
  if (name === 'inOctets' || name === 'outOctets') return (speedBps / 8) * slack;
  return (speedBps / (84 * 8)) * slack + 1000; // 64-byte frame + preamble + IFG
}

export function computeRates(prev: RateState | null, cur: RateState): RatesResult {
  const dtSec = prev ? (cur.atMs - prev.atMs) / 1000 : 0;
  const boot = prev ? rebooted(prev.sysUpTimeCs, cur.sysUpTimeCs, dtSec) : false;
  const pairs = prev ? matchInterfaces(prev.interfaces, cur.interfaces) : new Map<InterfaceSample, InterfaceSample>();
  const interfaces: InterfaceRates[] = cur.interfaces.map((c) => {
    const p = pairs.get(c);
    const r: InterfaceRates = { ifIndex: c.ifIndex, name: c.name, perSec: {}, inBps: null, outBps: null, inUtilPct: null, outUtilPct: null, noRate: null };
    if (p && p.ifIndex !== c.ifIndex) r.previousIfIndex = p.ifIndex;
    if (!prev || !p) r.noRate = 'first';
    else if (!(dtSec > 0)) r.noRate = 'time';
    else if (boot) r.noRate = 'reboot';
    else if (p.discontinuityCs !== null && c.discontinuityCs !== null && p.discontinuityCs !== c.discontinuityCs) r.noRate = 'discontinuity';
    if (r.noRate) return r;
    for (const [name, cv] of Object.entries(c.counters) as [IfCounterName, CounterValue][]) {
      const pv = p!.counters[name];
      if (!pv) continue;
      const res = counterRate(pv, cv, dtSec, maxPerSec(name, c.speedBps));
      if (res.rate !== null) r.perSec[name] = res.rate;
    }
    if (r.perSec.inOctets !== undefined) r.inBps = r.perSec.inOctets * 8;
    if (r.perSec.outOctets !== undefined) r.outBps = r.perSec.outOctets * 8;
    if (c.speedBps && c.speedBps > 0) {
      if (r.inBps !== null) r.inUtilPct = Math.min(100, (r.inBps / c.speedBps) * 100);
      if (r.outBps !== null) r.outUtilPct = Math.min(100, (r.outBps / c.speedBps) * 100);
    }
    return r;
  });
  return { dtSec, rebooted: boot, interfaces };
}
