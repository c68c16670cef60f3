import { isUtf8 } from 'node:buffer';
import { FACILITY_NAMES, type NormalizedEvent, type Severity } from '../../contracts/events.js';
import { parseBsd } from './syslog.rfc3164.js';
import { parseRfc3339 } from './syslog.time.js';

/**
 * Syslog message (one datagram or one TCP/TLS frame) -> NormalizedEvent. Pure.
 * Never throws and never drops: what cannot be parsed is kept as text with
 * `params.parseError` set to the reason.
 *
 * params: { rfc: '5424'|'3164'|'unknown', facility, facilityName, severityNumber,
 * hostname, appName, procId, msgId, structuredData ({} when none), parseError?,
 * truncated? + originalBytes, rawBase64? (only when the bytes were not valid
 * UTF-8), transport?, and per format: version, bom (5424); sequence,
 * timestampText, clockStatus ('unsynchronised' for Cisco's `*`, 'sync-lost'
 * for `.`; reportedAt still holds the time the device gave), unknownZone (a
 * zone token we could not interpret: the configured zone was used),
 * ciscoSeverity (3164). }
 *
 * Names from the wire (SD-IDs, SD-PARAM names) are keys of objects that
 * inherit nothing: `__proto__`, `constructor` and `prototype` are ordinary data.
 *
 * Severity mapping (syslog -> normalised): 0 emergency, 1 alert, 2 critical ->
 * critical; 3 error -> major; 4 warning -> warning; 5 notice, 6 informational ->
 * info; 7 debug -> debug. `minor` is left for rules that know better (a device's
 * "error" lines are often routine, so we do not promote them above major).
 */

export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;

export interface SyslogParseOptions {
  /** Longer messages are truncated (at a UTF-8 character boundary) and flagged. */
  maxMessageBytes?: number;
  /** IANA zone for timestamps that carry no offset (RFC 3164). Default UTC. */
  timeZone?: string;
}

export interface SyslogOrigin {
  receivedAt: number;
  sourceAddress: string | null;
  deviceId?: number | null;
  transport?: 'udp' | 'tcp' | 'tls';
  /** Length of the message before the framer cut it (TCP/TLS), when longer than the buffer. */
  originalBytes?: number;
}

export { FACILITY_NAMES };

const SEVERITY_MAP: readonly Severity[] = ['critical', 'critical', 'critical', 'major', 'warning', 'info', 'info', 'debug'];

export function normaliseSeverity(syslogSeverity: number): Severity {
  return SEVERITY_MAP[syslogSeverity] ?? 'info';
}

/** SD-ID -> param name -> value(s). Neither level inherits anything (see `dict`): names come from the wire. */
export type StructuredData = Record<string, Record<string, string | string[]>>;

/**
 * Objects for names from the wire. Their prototype is an empty object without
 * a prototype of its own, so nothing is inherited (`constructor`, `toString`,
 * the `__proto__` accessor) and `o.__proto__ = v` makes an ordinary own
 * property. Unlike `Object.create(null)`, which V8 keeps in slow dictionary
 * mode (2.5x the parse time of a message with structured data), objects made
 * by a constructor keep fast properties (the trick Node's querystring uses).
 */
const Dict = function Dict() {} as unknown as new () => Record<string, unknown>;
Dict.prototype = Object.freeze(Object.create(null) as object);
const dict = <T>(): Record<string, T> => new Dict() as Record<string, T>;

interface Fields {
  format: 'rfc5424' | 'rfc3164' | 'unknown';
  reportedAt: number | null;
  hostname: string | null;
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  structuredData: StructuredData | null;
  message: string;
  type: string | null;
  extra: Record<string, unknown>;
  parseError: string | null;
}

const nil = (v: string | undefined): string | null => (v === undefined || v === '-' ? null : v);

/** RFC 5424 STRUCTURED-DATA at `s[i]`; returns the parsed elements and the index after them. */
export function parseStructuredData(s: string, i: number): { sd: StructuredData | null; end: number; error: string | null } {
  if (s.charCodeAt(i) === 45 /* - */) return { sd: null, end: i + 1, error: null };
  const sd: StructuredData = dict();
  const n = s.length;
  while (s.charCodeAt(i) === 91 /* [ */) {
    i++;
    let j = i;
    for (let c = s.charCodeAt(j); j < n && c !== 32 && c !== 93 && c !== 61 && c !== 34; c = s.charCodeAt(++j));
    const id = s.slice(i, j);
    if (!id || j >= n) return { sd, end: i, error: 'bad SD-ID' };
    const params = (sd[id] ??= dict());
    i = j;
    while (s.charCodeAt(i) === 32) {
      i++;
      j = i;
      for (let c = s.charCodeAt(j); j < n && c !== 61 && c !== 32 && c !== 93 && c !== 34; c = s.charCodeAt(++j));
      const name = s.slice(i, j);
      if (!name || s.charCodeAt(j) !== 61 || s.charCodeAt(j + 1) !== 34) return { sd, end: i, error: `bad SD-PARAM in [${id}]` };
      i = j + 2;
      let value = '';
      let start = i;
      for (;;) {
        if (i >= n) return { sd, end: i, error: `unterminated value of ${id}/${name}` };
        const c = s.charCodeAt(i);
        if (c === 34 /* " */) {
          value += s.slice(start, i);
          i++;
          break;
        }
        if (c === 92 /* \ */) {
          const next = s.charCodeAt(i + 1);
          if (next === 34 || next === 92 || next === 93) {
            value += s.slice(start, i) + s[i + 1];
            i += 2;
            start = i;
            continue;
          }
        }
        i++;
      }
      const prev = params[name];
      params[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    if (s.charCodeAt(i) !== 93 /* ] */) return { sd, end: i, error: `unterminated SD-ELEMENT [${id}]` };
    i++;
  }
  return { sd, end: i, error: null };
}

const V5424 = /^(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /;

function parse5424(s: string, timeZone: string): Fields {
  const f: Fields = { format: 'rfc5424', reportedAt: null, hostname: null, appName: null, procId: null, msgId: null, structuredData: null, message: '', type: null, extra: {}, parseError: null };
  const m = V5424.exec(s);
  if (!m) {
    f.parseError = 'incomplete RFC 5424 header';
    f.message = s;
    return f;
  }
  f.extra.version = Number(m[1]);
  const ts = m[2]!;
  if (ts !== '-') {
    f.reportedAt = parseRfc3339(ts, timeZone);
    if (f.reportedAt === null) f.parseError = `bad timestamp ${ts.slice(0, 40)}`;
  }
  f.hostname = nil(m[3]);
  f.appName = nil(m[4]);
  f.procId = nil(m[5]);
  f.msgId = nil(m[6]);
  const r = parseStructuredData(s, m[0].length);
  f.structuredData = r.sd;
  if (r.error) {
    f.parseError ??= `structured data: ${r.error}`;
    f.message = s.slice(m[0].length);
    return f;
  }
  let msg = s.slice(r.end);
  if (msg.startsWith(' ')) msg = msg.slice(1);
  else if (msg.length > 0) f.parseError ??= 'no space after structured data';
  if (msg.charCodeAt(0) === 0xfeff) {
    msg = msg.slice(1);
    f.extra.bom = true;
  }
  f.message = msg;
  return f;
}

const PRI = /^<(\d{1,3})>/;

/** Cut at `max` bytes without splitting a UTF-8 sequence. */
function truncateUtf8(buf: Buffer, max: number): Buffer {
  let end = max;
  for (let k = 0; k < 3 && end > 0 && (buf[end]! & 0xc0) === 0x80; k++) end--;
  return buf.subarray(0, end);
}

export function parseSyslog(input: Buffer, origin: SyslogOrigin, opts: SyslogParseOptions = {}): NormalizedEvent {
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const timeZone = opts.timeZone ?? 'UTC';
  let buf = input;
  // Trailing framing bytes (LF, CRLF, NUL) are not part of the message.
  let len = buf.length;
  while (len > 0 && (buf[len - 1] === 0x0a || buf[len - 1] === 0x0d || buf[len - 1] === 0x00)) len--;
  if (len !== buf.length) buf = buf.subarray(0, len);
  const cutByFramer = origin.originalBytes !== undefined && origin.originalBytes > input.length;
  const truncated = buf.length > max || cutByFramer;
  if (buf.length > max) buf = truncateUtf8(buf, max);
  const validUtf8 = isUtf8(buf);
  let text = buf.toString('utf8');

  let facility: number | null = null;
  let sev: number | null = null;
  let f: Fields;
  const pri = PRI.exec(text);
  if (pri && Number(pri[1]) <= 191) {
    const p = Number(pri[1]);
    facility = p >> 3;
    sev = p & 7;
    text = text.slice(pri[0].length);
    const c = text.charCodeAt(0);
    if (c >= 49 && c <= 57 && /^\d{1,2} /.test(text)) f = parse5424(text, timeZone);
    else {
      const b = parseBsd(text, timeZone, origin.receivedAt);
      f = {
        format: 'rfc3164', reportedAt: b.reportedAt, hostname: b.hostname, appName: b.appName, procId: b.procId, msgId: b.msgId,
        structuredData: null, message: b.message, type: b.ciscoTag, extra: {}, parseError: null,
      };
      if (b.sequence !== null) f.extra.sequence = b.sequence;
      if (b.timestampText !== null) f.extra.timestampText = b.timestampText;
      if (b.clockMarker !== null) f.extra.clockStatus = b.clockMarker === '*' ? 'unsynchronised' : 'sync-lost';
      if (b.unknownZone !== null) f.extra.unknownZone = b.unknownZone;
      if (b.ciscoSeverity !== null) f.extra.ciscoSeverity = b.ciscoSeverity;
    }
  } else {
    f = {
      format: 'unknown', reportedAt: null, hostname: null, appName: null, procId: null, msgId: null, structuredData: null,
      message: text, type: null, extra: {}, parseError: text.length === 0 ? 'empty message' : pri ? `PRI ${pri[1]} out of range` : 'missing <PRI>',
    };
  }

  const params: Record<string, unknown> = {
    rfc: f.format === 'rfc5424' ? '5424' : f.format === 'rfc3164' ? '3164' : 'unknown',
    facility,
    facilityName: facility === null ? null : FACILITY_NAMES[facility] ?? null,
    severityNumber: sev,
    hostname: f.hostname,
    appName: f.appName,
    procId: f.procId,
    msgId: f.msgId,
    structuredData: f.structuredData ?? dict(),
    ...f.extra,
  };
  // Present only when something went wrong, so `params.parseError` / `params.truncated` are the flags.
  if (f.parseError !== null) params.parseError = f.parseError;
  if (truncated) {
    params.truncated = true;
    params.originalBytes = cutByFramer ? origin.originalBytes : len;
  }
  if (!validUtf8) params.rawBase64 = buf.toString('base64');
  if (origin.transport) params.transport = origin.transport;

  return {
    receivedAt: origin.receivedAt,
    reportedAt: f.reportedAt,
    source: 'syslog',
    sourceAddress: origin.sourceAddress,
    deviceId: origin.deviceId ?? null,
    severity: sev === null ? 'info' : normaliseSeverity(sev),
    type: f.type ?? f.msgId ?? f.appName ?? 'syslog',
    message: f.message,
    params,
  };
}

/**
 * The event for a message the parser threw on (it should not: this is the
 * safety net that keeps one message from costing its batch). The text is kept
 * as received, flagged with `params.parseError`.
 */
export function unparsedSyslog(input: Buffer, origin: SyslogOrigin, err: unknown, opts: SyslogParseOptions = {}): NormalizedEvent {
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const buf = input.length > max ? truncateUtf8(input, max) : input;
  const params: Record<string, unknown> = {
    rfc: 'unknown',
    parseError: `parser failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500),
    structuredData: dict(),
  };
  if (input.length > max) {
    params.truncated = true;
    params.originalBytes = input.length;
  }
  if (!isUtf8(buf)) params.rawBase64 = buf.toString('base64');
  if (origin.transport) params.transport = origin.transport;
  return {
    receivedAt: origin.receivedAt, reportedAt: null, source: 'syslog', sourceAddress: origin.sourceAddress, deviceId: origin.deviceId ?? null,
    severity: 'info', type: 'syslog', message: buf.toString('utf8'), params,
  };
}
