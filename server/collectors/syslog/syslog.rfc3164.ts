import { MONTHS, parseRfc3339, yearlessToEpoch, zonedToEpoch, zoneTokenOffset } from './syslog.time.js';

/**
 * The part of a BSD-style (RFC 3164) message after `<PRI>`, as real devices
 * send it. Everything is optional; what is not recognised stays in `message`.
 *
 *   Linux/rsyslog  `Oct  1 12:00:00 host sshd[42]: text`  (or an RFC 3339 stamp)
 *   Cisco IOS      `000123: host: *Mar  1 00:00:15.123 UTC: %LINK-3-UPDOWN: text`
 *   Cisco NX-OS    `: 2024 Jan 15 10:00:00 UTC: %ETHPORT-5-IF_DOWN_LINK_FAILURE: text`
 *   Cisco ASA      `Jan 15 2024 10:00:00 asa1 : %ASA-6-302013: text`
 *   IOS XR         `RP/0/RSP0/CPU0:Jan 15 10:00:00.123 UTC: ifmgr[1]: %PKT_INFRA-LINK-3-UPDOWN : text`
 *   Juniper        `Jan 15 10:00:00 mx1 mib2d[1234]: SNMP_TRAP_LINK_DOWN: text`
 *   RFC 3164 5.4   `Aug 24 05:34:00 CST 1987 mymachine myproc[10]: text`, `1990 Oct 22 10:52:01 TZ-6 host …`
 *
 * After the clock a year and/or a zone token may follow, in either order. The
 * year is used; a zone that is a known abbreviation (CST, CEST, UTC) or carries
 * an offset (`TZ-6`, `UTC+2`, `+0200`) is honoured; an unknown all-capitals
 * token is taken for a zone only when a year or a `:` follows it (otherwise it
 * is the hostname), then the configured zone applies and `unknownZone` names it.
 */
export interface Bsd {
  reportedAt: number | null;
  timestampText: string | null;
  /**
   * '*' = clock not authoritative (not synchronised), '.' = synchronisation lost
   * (Cisco). The time is kept in `reportedAt` as the device said it either way.
   */
  clockMarker: '*' | '.' | null;
  /** A zone token we could not interpret (the configured zone was used instead). */
  unknownZone: string | null;
  sequence: number | null;
  hostname: string | null;
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  /** Cisco `%FAC-SEV-MNEMONIC` without the '%'. */
  ciscoTag: string | null;
  ciscoSeverity: number | null;
  message: string;
}

const MON = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const CLOCK = '(\\d{1,2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,6}))?';
/** `*Mar  1 2024 00:00:15.123` — month first, optional year (ASA); the tail (zone, year) is read by `readTail`. */
const BSD_TS = new RegExp(`^([*.]?)${MON} {1,2}(\\d{1,2})(?: (\\d{4}))? ${CLOCK}`);
/** NX-OS: `2024 Jan 15 10:00:00`, RFC 3164's `1990 Oct 22 10:52:01`. */
const NXOS_TS = new RegExp(`^([*.]?)(\\d{4}) ${MON} {1,2}(\\d{1,2}) ${CLOCK}`);
/** One token of the tail after the clock, and what follows it. */
const TAIL_TOKEN = / ([^\s:]{1,12}(?::\d{2})?)(:?)(?= |$)/y;
const YEAR = /^(19[7-9]\d|20\d\d)$/;
const ISO_TS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?):? /;
const SEQ = /^(\d{1,10}): /;
const SEQ_BEFORE_TAG = /^(\d{1,10}): (?=%)/;
/** Cisco `logging origin-id` hostname or IOS XR node id before the timestamp. */
const ORIGIN = /^([A-Za-z0-9][\w.\-/]{0,254}): ?(?=[*.]?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|\d{4}) )/;
const CISCO_TAG = /^%([A-Z0-9_]+(?:-[A-Z0-9_]+)*?)-([0-7])-([A-Z0-9_]+)/;
const TAG = /^([^\s[\]:]{1,128})(?:\[([^\]\s]{0,128})\])?:(?: |$)/;
const JUNIPER_ID = /^([A-Z][A-Z0-9]*_[A-Z0-9_]+): /;

function clockMs(frac: string | undefined): number {
  return frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
}

interface Tail {
  year: number | null;
  /** Minutes east of UTC from the zone token; undefined = none or unknown. */
  offset: number | undefined;
  unknownZone: string | null;
  /** Index after the tail including its `:` and the space that ends the timestamp. */
  end: number;
}

function tailToken(s: string, at: number): RegExpExecArray | null {
  TAIL_TOKEN.lastIndex = at;
  return TAIL_TOKEN.exec(s);
}

/**
 * What follows the clock at `s[at]`: up to one year and one zone token (either
 * order), an optional `:`, then the space that ends the timestamp. Null when
 * no space follows (then there is no timestamp, as before).
 */
function readTail(s: string, at: number, haveYear: boolean): Tail | null {
  const t: Tail = { year: null, offset: undefined, unknownZone: null, end: at };
  let i = at;
  let zoneSeen = false;
  for (let k = 0; k < 2; k++) {
    const m = tailToken(s, i);
    if (!m) break;
    const tok = m[1]!;
    const colon = m[2] === ':';
    if (!haveYear && t.year === null && !colon && YEAR.test(tok)) {
      t.year = Number(tok);
      i += m[0].length;
      continue;
    }
    if (zoneSeen) break;
    const offset = zoneTokenOffset(tok);
    if (offset === undefined) break;
    if (offset === null) {
      // Unknown capitals: a zone only when a `:` or a year follows (or came before), else a hostname.
      const next = colon ? null : tailToken(s, i + m[0].length);
      const yearNext = !!next && next[2] === '' && YEAR.test(next[1]!) && !haveYear;
      if (!colon && !yearNext && t.year === null) break;
      t.unknownZone = tok;
    } else t.offset = offset;
    zoneSeen = true;
    i += m[0].length;
    if (colon) {
      // `UTC: ` ends the timestamp.
      if (s.charCodeAt(i) !== 32) break;
      t.end = i + 1;
      return t;
    }
  }
  if (s.charCodeAt(i) === 58 /* : */) i++;
  if (s.charCodeAt(i) === 32) {
    t.end = i + 1;
    return t;
  }
  // The tokens were not followed by a space (end of text): only the bare clock counts.
  if (i !== at) {
    let j = at;
    if (s.charCodeAt(j) === 58) j++;
    if (s.charCodeAt(j) === 32) return { year: null, offset: undefined, unknownZone: null, end: j + 1 };
  }
  return null;
}

export function parseBsd(s: string, timeZone: string, now: number): Bsd {
  const out: Bsd = {
    reportedAt: null, timestampText: null, clockMarker: null, unknownZone: null, sequence: null, hostname: null,
    appName: null, procId: null, msgId: null, ciscoTag: null, ciscoSeverity: null, message: '',
  };
  let rest = s;
  let m: RegExpExecArray | null;

  // Cisco sequence number (`000123: `) or NX-OS's empty one (`: `).
  if ((m = SEQ.exec(rest))) {
    out.sequence = Number(m[1]);
    rest = rest.slice(m[0].length);
  } else if (rest.startsWith(': ')) {
    rest = rest.slice(2);
  }
  if ((m = ORIGIN.exec(rest))) {
    out.hostname = m[1]!;
    rest = rest.slice(m[0].length);
  }

  let haveTime = false;
  let tail: Tail | null = null;
  let parts: { marker: string; year: number | null; mo: number; day: number; hh: number; mm: number; ss: number; ms: number } | null = null;
  if ((m = BSD_TS.exec(rest)) && (tail = readTail(rest, m[0].length, !!m[4]))) {
    const [, marker, mon, day, year, hh, mm, ss, frac] = m;
    parts = { marker: marker!, year: year ? Number(year) : tail.year, mo: MONTHS[mon!]!, day: Number(day), hh: Number(hh), mm: Number(mm), ss: Number(ss), ms: clockMs(frac) };
  } else if ((m = NXOS_TS.exec(rest)) && (tail = readTail(rest, m[0].length, true))) {
    const [, marker, year, mon, day, hh, mm, ss, frac] = m;
    parts = { marker: marker!, year: Number(year), mo: MONTHS[mon!]!, day: Number(day), hh: Number(hh), mm: Number(mm), ss: Number(ss), ms: clockMs(frac) };
  }
  if (parts && tail) {
    haveTime = true;
    const { marker, year, mo, day, hh, mm, ss, ms } = parts;
    const offset = tail.offset;
    let t: number;
    if (year !== null) t = offset === undefined ? zonedToEpoch(year, mo, day, hh, mm, ss, ms, timeZone) : Date.UTC(year, mo, day, hh, mm, ss, ms) - offset * 60_000;
    else t = yearlessToEpoch(mo, day, hh, mm, ss, ms, offset, timeZone, now);
    out.clockMarker = (marker || null) as Bsd['clockMarker'];
    out.unknownZone = tail.unknownZone;
    out.timestampText = rest.slice(0, tail.end).replace(/:? $/, '');
    // A '*' or '.' says the device clock is not (or no longer) synchronised: the time is still
    // what the device reported, kept as such; `clockMarker` says how far to trust it.
    out.reportedAt = Number.isFinite(t) ? t : null;
    rest = rest.slice(tail.end);
  } else if ((m = ISO_TS.exec(rest))) {
    const t = parseRfc3339(m[1]!, timeZone);
    if (t !== null) {
      haveTime = true;
      out.timestampText = m[1]!;
      out.reportedAt = t;
      rest = rest.slice(m[0].length);
    }
  }

  // Hostname: only after a timestamp (RFC 3164 4.3.3: no timestamp, no header).
  if (haveTime && out.hostname === null && !rest.startsWith('%')) {
    const sp = rest.indexOf(' ');
    if (sp > 0) {
      const token = rest.slice(0, sp);
      const after = rest.slice(sp + 1);
      if (!token.includes('[') && !token.endsWith(':')) {
        out.hostname = token;
        rest = after.startsWith(': ') ? after.slice(2) : after; // ASA: `asa1 : %ASA-…`
      } else if (token.endsWith(':') && token.length > 1 && CISCO_TAG.test(after)) {
        out.hostname = token.slice(0, -1);
        rest = after;
      }
    }
  }

  // Cisco sequence number after the hostname (`host 123: %FAC-…`).
  if (out.sequence === null && (m = SEQ_BEFORE_TAG.exec(rest))) {
    out.sequence = Number(m[1]);
    rest = rest.slice(m[0].length);
  }
  // Process tag (`sshd[42]: `), possibly before a Cisco tag (IOS XR).
  if (!rest.startsWith('%') && (m = TAG.exec(rest))) {
    out.appName = m[1]!;
    out.procId = m[2] ?? null;
    rest = rest.slice(m[0].length);
  }
  if ((m = CISCO_TAG.exec(rest))) {
    out.ciscoTag = `${m[1]}-${m[2]}-${m[3]}`;
    out.ciscoSeverity = Number(m[2]);
  } else if (out.appName !== null && (m = JUNIPER_ID.exec(rest))) {
    out.msgId = m[1]!;
  }
  out.message = rest;
  return out;
}
