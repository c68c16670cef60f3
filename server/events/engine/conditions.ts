import type { ConditionOp } from '../../contracts/alarms.js';
import type { NormalizedEvent } from '../../contracts/events.js';
import { own } from './own.js';
import { compileSafeRegex, testBounded } from './safe-regex.js';

const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console', 'solaris-cron',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];

/** Facility number from a number or keyword (`local7`, `auth`), or undefined. */
export function facilityNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v !== 'string') return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const i = FACILITIES.indexOf(v.toLowerCase());
  return i < 0 ? undefined : i;
}

/** Normalised severity -> a syslog severity number, for events without one. */
const SYSLOG_FROM_NORMALISED = new Map<string, number>(Object.entries({ critical: 2, major: 3, minor: 3, warning: 4, info: 6, debug: 7 }));

/** Keywords a sender may put in params.severity (a Map: `constructor` is not a severity). */
const SYSLOG_KEYWORDS = new Map<string, number>(Object.entries({
  emerg: 0, emergency: 0, panic: 0, alert: 1, crit: 2, critical: 2, err: 3, error: 3,
  warning: 4, warn: 4, notice: 5, info: 6, informational: 6, debug: 7,
}));

/** Syslog severity (0 emergency … 7 debug) of an event: params.severityNumber, or params.severity as number or keyword. */
export function syslogSeverity(e: NormalizedEvent): number {
  const num = own(e.params, 'severityNumber');
  if (typeof num === 'number') return num;
  const sev = own(e.params, 'severity');
  if (typeof sev === 'number') return sev;
  if (typeof sev === 'string') {
    const k = SYSLOG_KEYWORDS.get(sev.toLowerCase());
    if (k !== undefined) return k;
  }
  return SYSLOG_FROM_NORMALISED.get(e.severity) ?? 6;
}

export type ValueTest = (actual: unknown) => boolean;

const asText = (v: unknown) => (v === undefined || v === null ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Compiles `{op, value}` into a test; throws on a bad regex or a missing value. */
export function compileCondition(op: ConditionOp, value: unknown, where: string): ValueTest {
  if (op !== 'exists' && value === undefined) throw new Error(`${where}: operator "${op}" needs a value`);
  const expected = value === undefined ? '' : String(value);
  const num = Number(value);
  switch (op) {
    case 'exists':
      return (a) => a !== undefined && a !== null;
    case 'eq':
      return (a) => asText(a) === expected;
    case 'ne':
      return (a) => asText(a) !== expected;
    case 'prefix':
      return (a) => asText(a)?.startsWith(expected) ?? false;
    case 'contains':
      return (a) => asText(a)?.includes(expected) ?? false;
    case 'regex': {
      const re = compileSafeRegex(expected);
      return (a) => {
        const t = asText(a);
        return t !== undefined && testBounded(re, t);
      };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (!Number.isFinite(num)) throw new Error(`${where}: operator "${op}" needs a number`);
      return (a) => {
        if (a === undefined || a === null || a === '') return false;
        const n = Number(a);
        if (Number.isNaN(n)) return false;
        return op === 'gt' ? n > num : op === 'gte' ? n >= num : op === 'lt' ? n < num : n <= num;
      };
    }
  }
}

/**
 * Sliding window counter for rate conditions: true from the `count`-th hit
 * within `windowMs` per key. Bounded: the oldest keys are forgotten first.
 */
export class RateWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly count: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  hit(key: string, now: number): boolean {
    let times = this.hits.get(key);
    if (!times) {
      if (this.hits.size >= this.maxKeys) this.hits.delete(this.hits.keys().next().value!);
      times = [];
      this.hits.set(key, times);
    }
    times.push(now);
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < times.length && times[drop]! <= cutoff) drop++;
    if (drop) times.splice(0, drop);
    // Never keep more than `count` timestamps: older ones cannot change the answer.
    if (times.length > this.count) times.splice(0, times.length - this.count);
    return times.length >= this.count;
  }
}
