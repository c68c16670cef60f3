import * as snmp from 'net-snmp';
import type { CounterValue } from '../contracts/poll.js';
import type { RawValue } from '../contracts/templates.js';
import { counterRate } from '../poller/rate.js';

/** Pure value maths of collection templates. */

const T = snmp.ObjectType;

/** ENTITY-SENSOR-MIB SensorDataScale -> power of ten (RFC 3433 numbers exa(14) before peta(15)). */
export const SENSOR_SCALE_EXPONENT: ReadonlyMap<number, number> = new Map([
  [1, -24], [2, -21], [3, -18], [4, -15], [5, -12], [6, -9], [7, -6], [8, -3], [9, 0],
  [10, 3], [11, 6], [12, 9], [13, 12], [14, 18], [15, 15], [16, 21], [17, 24],
]);

/** A raw value as a number (numeric text included), or null. */
export function numberOf(v: RawValue | undefined): number | null {
  if (!v) return null;
  const x = v[1];
  if (typeof x === 'number') return Number.isFinite(x) ? x : null;
  if (typeof x === 'bigint') return Number(x);
  const t = x.trim();
  if (t === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** A raw value as text (labels, inventory, filters). */
export function textOf(v: RawValue | undefined): string | null {
  if (!v) return null;
  return typeof v[1] === 'string' ? v[1] : String(v[1]);
}

/**
 * The index a value points at in another table: an OID value (etherStatsDataSource
 * = ifIndex.12, hrProcessorFrwID) by its last arc, a number or text as it is.
 */
export function indexFrom(v: RawValue | undefined): string | null {
  if (!v) return null;
  if (v[0] === T.OID) {
    const s = String(v[1]);
    const i = s.lastIndexOf('.');
    return i >= 0 ? s.slice(i + 1) : s;
  }
  const t = textOf(v);
  return t === null || t === '' ? null : t;
}

/** A counter reading for the rate maths (Counter32 wraps at 2^32; others are taken as 64-bit). */
export function counterOf(v: RawValue | undefined): CounterValue | null {
  if (!v) return null;
  const x = v[1];
  if (typeof x === 'bigint') return { value: x, bits: 64 };
  if (typeof x === 'number' && Number.isFinite(x) && x >= 0) return { value: BigInt(Math.trunc(x)), bits: v[0] === T.Counter ? 32 : 64 };
  return null;
}

export interface CounterMemory {
  value: CounterValue;
  atMs: number;
}

/** Rate per second against the previous reading (updates `prev`); null on the first reading, a reset or a wrap that cannot be. */
export function rateOf(mem: Map<string, CounterMemory>, key: string, cur: CounterValue, atMs: number): number | null {
  const prev = mem.get(key);
  mem.set(key, { value: cur, atMs });
  if (!prev) return null;
  const r = counterRate(prev.value, cur, (atMs - prev.atMs) / 1000);
  return r.rate;
}

/**
 * Applies the power-of-ten parts exactly: value * 10^(scaleExp - precision),
 * dividing by an exact power of ten when the exponent is negative (so 1234
 * milli with precision 0 is 1.234, not 1.2340000000000002).
 */
export function scaleValue(value: number, scaleExp: number, precision: number): number {
  const e = scaleExp - precision;
  if (e === 0) return value;
  return e < 0 ? value / 10 ** -e : value * 10 ** e;
}
