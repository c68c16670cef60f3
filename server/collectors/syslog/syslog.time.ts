/**
 * Time helpers for syslog timestamps: wall-clock times in an IANA time zone,
 * RFC 3339 timestamps, and the year of RFC 3164 timestamps (which carry none).
 */

export const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

/**
 * Zone abbreviations devices print (Cisco `show-timezone`). Ambiguous ones
 * (IST, BST in some regions) are left out: then the configured zone applies.
 * A Map: the token comes from the wire, so `constructor` must not find anything.
 */
const ABBREVIATIONS = new Map<string, number>(Object.entries({
  UTC: 0, GMT: 0, Z: 0, UT: 0, WET: 0, WEST: 60, CET: 60, CEST: 120, MET: 60, MEST: 120, EET: 120, EEST: 180, MSK: 180,
  EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420, AKST: -540, AKDT: -480,
  HST: -600, JST: 540, KST: 540, AEST: 600, AEDT: 660, ACST: 570, AWST: 480, NZST: 720, NZDT: 780, SGT: 480, HKT: 480,
}));

/** Offset in minutes of a zone abbreviation, or undefined when unknown/ambiguous. */
export function abbreviationOffset(abbr: string): number | undefined {
  return ABBREVIATIONS.get(abbr);
}

/** `[A-Z]{1,5}` name, then an optional numeric offset; or a bare offset (`+0200`, `-05:00`). */
const ZONE_TOKEN = /^([A-Z]{1,5})?(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$/;

/**
 * A time-zone token after a syslog clock -> minutes east of UTC.
 * `CST` -> -360 (known abbreviation), `TZ-6` / `UTC+2` / `GMT+05:30` / `+0200`
 * -> the numeric offset (a numeric part wins over the name), `XYZ` -> null
 * (looks like a zone, but we do not know it), anything else -> undefined (not
 * a zone token at all).
 */
export function zoneTokenOffset(token: string): number | null | undefined {
  const m = ZONE_TOKEN.exec(token);
  if (!m || (!m[1] && !m[2])) return undefined;
  if (m[2]) {
    const minutes = Number(m[3]) * 60 + Number(m[4] ?? 0);
    if (Number(m[3]) > 14 || Number(m[4] ?? 0) > 59) return undefined;
    return m[2] === '-' ? -minutes : minutes;
  }
  return ABBREVIATIONS.get(m[1]!) ?? null;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, number>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a RangeError for an unknown zone: call once at start-up to validate config. */
export function assertTimeZone(timeZone: string): void {
  formatterFor(timeZone);
}

/** Offset (minutes east of UTC) of `timeZone` at instant `epochMs`. Cached per zone and quarter hour. */
export function zoneOffsetAt(epochMs: number, timeZone: string): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  const key = `${timeZone}|${Math.floor(epochMs / 900_000)}`;
  const hit = offsetCache.get(key);
  if (hit !== undefined) return hit;
  const parts = formatterFor(timeZone).formatToParts(new Date(epochMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offset = Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / 60_000);
  if (offsetCache.size > 10_000) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

/** Epoch ms of a wall-clock time in `timeZone` (month 0-11). */
export function zonedToEpoch(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, timeZone: string): number {
  const guess = Date.UTC(y, mo, d, h, mi, s, ms);
  let t = guess - zoneOffsetAt(guess, timeZone) * 60_000;
  // Second pass settles the offset around DST changes.
  t = guess - zoneOffsetAt(t, timeZone) * 60_000;
  return t;
}

/** Allowed clock skew of a device ahead of us before a year-less date is taken as last year's. */
export const FUTURE_SKEW_MS = 24 * 3600_000;

/**
 * RFC 3164 dates have no year. We take the year that puts the date closest to
 * `now` without being more than FUTURE_SKEW_MS in the future (so a December
 * message read on 1 January lands in the old year, and a device a few seconds
 * ahead at New Year still lands in the new one).
 */
export function yearlessToEpoch(mo: number, d: number, h: number, mi: number, s: number, ms: number, offsetMin: number | undefined, timeZone: string, now: number): number {
  const nowYear = new Date(now).getUTCFullYear();
  let best: number | null = null;
  for (const y of [nowYear + 1, nowYear, nowYear - 1]) {
    const t = offsetMin === undefined ? zonedToEpoch(y, mo, d, h, mi, s, ms, timeZone) : Date.UTC(y, mo, d, h, mi, s, ms) - offsetMin * 60_000;
    if (t > now + FUTURE_SKEW_MS) continue;
    if (best === null || Math.abs(t - now) < Math.abs(best - now)) best = t;
  }
  return best ?? Date.UTC(nowYear - 1, mo, d, h, mi, s, ms);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$/;

/**
 * RFC 3339 / RFC 5424 timestamp -> epoch ms; null when invalid. Without an
 * offset (allowed only in 3164-style senders) the configured zone applies.
 */
let lastText = '';
let lastZone = '';
let lastValue: number | null = null;

export function parseRfc3339(text: string, timeZone: string): number | null {
  // Floods repeat the same second: a one-entry cache saves the regex and date maths.
  if (text === lastText && timeZone === lastZone) return lastValue;
  const v = parseRfc3339Uncached(text, timeZone);
  lastText = text;
  lastZone = timeZone;
  lastValue = v;
  return v;
}

function parseRfc3339Uncached(text: string, timeZone: string): number | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const y = +m[1]!;
  const mo = +m[2]!;
  const d = +m[3]!;
  const h = +m[4]!;
  const mi = +m[5]!;
  const s = +m[6]!;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  const f = m[7];
  const ms = f ? (f.length >= 3 ? +f.slice(0, 3) : +f * (f.length === 1 ? 100 : 10)) : 0;
  const off = m[8];
  if (!off) return zonedToEpoch(y, mo - 1, d, h, mi, s, ms, timeZone);
  let offsetMin = 0;
  if (off !== 'Z' && off !== 'z') {
    const sign = off.charCodeAt(0) === 45 ? -1 : 1;
    const hh = +off.slice(1, 3);
    const mm = +off.slice(off.length - 2);
    offsetMin = sign * (hh * 60 + mm);
  }
  return Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMin * 60_000;
}
