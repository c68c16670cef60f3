import { MONTHS, abbreviationOffset, parseRfc3339, yearlessToEpoch, zonedToEpoch } from './syslog.time.js';

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
 */
export interface Bsd {
  reportedAt: number | null;
  timestampText: string | null;
  /** '*' = clock not authoritative (not synchronised), '.' = synchronisation lost (Cisco). */
  clockMarker: '*' | '.' | null;
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
const ZONE = '(?: ([A-Z]{1,5}))?';
/** `*Mar  1 2024 00:00:15.123 UTC: ` — month first, optional year. */
const BSD_TS = new RegExp(`^([*.]?)${MON} {1,2}(\\d{1,2})(?: (\\d{4}))? ${CLOCK}${ZONE}(:?) `);
/** NX-OS: `2024 Jan 15 10:00:00 UTC: `. */
const NXOS_TS = new RegExp(`^([*.]?)(\\d{4}) ${MON} {1,2}(\\d{1,2}) ${CLOCK}${ZONE}(:?) `);
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

export function parseBsd(s: string, timeZone: string, now: number): Bsd {
  const out: Bsd = {
    reportedAt: null, timestampText: null, clockMarker: null, sequence: null, hostname: null,
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
  if ((m = BSD_TS.exec(rest))) {
    haveTime = true;
    const [, marker, mon, day, year, hh, mm, ss, frac, zone] = m;
    const offset = zone ? abbreviationOffset(zone) : undefined;
    const mo = MONTHS[mon!]!;
    const args = [mo, Number(day), Number(hh), Number(mm), Number(ss), clockMs(frac)] as const;
    let t: number;
    if (year) {
      t = offset === undefined ? zonedToEpoch(Number(year), ...args, timeZone) : Date.UTC(Number(year), ...args) - offset * 60_000;
    } else {
      t = yearlessToEpoch(...args, offset, timeZone, now);
    }
    out.clockMarker = (marker || null) as Bsd['clockMarker'];
    out.timestampText = m[0].replace(/:? $/, '');
    // A '*' says the device clock was never set: the time is not a fact.
    out.reportedAt = marker === '*' || !Number.isFinite(t) ? null : t;
    rest = rest.slice(m[0].length);
  } else if ((m = NXOS_TS.exec(rest))) {
    haveTime = true;
    const [, marker, year, mon, day, hh, mm, ss, frac, zone] = m;
    const offset = zone ? abbreviationOffset(zone) : undefined;
    const args = [Number(year), MONTHS[mon!]!, Number(day), Number(hh), Number(mm), Number(ss), clockMs(frac)] as const;
    const t = offset === undefined ? zonedToEpoch(...args, timeZone) : Date.UTC(...args) - offset * 60_000;
    out.clockMarker = (marker || null) as Bsd['clockMarker'];
    out.timestampText = m[0].replace(/:? $/, '');
    out.reportedAt = marker === '*' || !Number.isFinite(t) ? null : t;
    rest = rest.slice(m[0].length);
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
