import { SEVERITIES, type NormalizedEvent, type Severity, type StoredEvent } from '../contracts/events.js';
import { encodeParams } from './event-params.codec.js';

/**
 * The flat rows the main thread hands to the event store thread: per event
 * the id, the nine columns of `events` (params already in their stored,
 * compact form) and the three full-text fields only the params object can
 * give. Strings and numbers only: cheap to copy between threads.
 */
export const EVENT_ROW_WIDTH = 13;
/** Offsets within one row. */
export const COL = {
  id: 0, receivedAt: 1, reportedAt: 2, source: 3, sourceAddress: 4, deviceId: 5, severity: 6, type: 7, message: 8, params: 9,
  ftsHost: 10, ftsApp: 11, ftsVars: 12,
} as const;

const sevIndex = (s: Severity) => SEVERITIES.indexOf(s);
const finiteOr = <T>(v: unknown, otherwise: T): number | T => (typeof v === 'number' && Number.isFinite(v) ? v : otherwise);
const textOr = <T>(v: unknown, otherwise: T): string | T => (typeof v === 'string' ? v : v === undefined || v === null ? otherwise : String(v));

/** Longest text of one full-text field made from params (varbind and structured-data values). */
const MAX_FTS_FIELD = 2000;

/** Sender as a searchable host: the hostname syslog gave, else the address the event came from. */
export function ftsHost(params: Record<string, unknown>, address: string | null): string | null {
  return typeof params.hostname === 'string' && params.hostname ? params.hostname : address;
}

/** Varbind values of a trap (not sysUpTime / snmpTrapOID, not hex), structured-data values of syslog, label values of an alert. */
export function ftsVars(params: Record<string, unknown>): string | null {
  const parts: string[] = [];
  let length = 0;
  const add = (v: unknown) => {
    if (length > MAX_FTS_FIELD) return;
    if (typeof v === 'string' || typeof v === 'number') {
      const s = String(v);
      parts.push(s);
      length += s.length + 1;
    }
  };
  const vbs = params.varbinds;
  if (Array.isArray(vbs)) {
    for (const vb of vbs as { oid?: unknown; value?: unknown; encoding?: unknown }[]) {
      if (!vb || typeof vb !== 'object' || vb.encoding === 'hex' || vb.oid === '1.3.6.1.2.1.1.3.0' || vb.oid === '1.3.6.1.6.3.1.1.4.1.0') continue;
      add(vb.value);
    }
  }
  const sd = params.structuredData;
  if (sd && typeof sd === 'object' && !Array.isArray(sd)) {
    for (const element of Object.values(sd as Record<string, unknown>)) {
      if (!element || typeof element !== 'object') continue;
      for (const v of Object.values(element as Record<string, unknown>)) (Array.isArray(v) ? v : [v]).forEach(add);
    }
  }
  // Alertmanager alerts: label values (instance, job, namespace, pod…) are searchable words.
  const labels = params.labels;
  if (labels && typeof labels === 'object' && !Array.isArray(labels)) Object.values(labels as Record<string, unknown>).forEach(add);
  return parts.length ? parts.join(' ').slice(0, MAX_FTS_FIELD) : null;
}

/**
 * The columns of one event at `args[at]` (`at` = where received_at goes).
 * Everything a sender can influence is coerced to the column's type here (a
 * NaN time, a non-string type), so that no message from the network can make
 * the row, and with it its whole batch, fail.
 */
function rowArgs(e: NormalizedEvent, args: unknown[], at: number): void {
  const address = textOr(e.sourceAddress, null);
  const type = textOr(e.type, '');
  const params = e.params && typeof e.params === 'object' ? e.params : {};
  args[at] = finiteOr(e.receivedAt, Date.now());
  args[at + 1] = finiteOr(e.reportedAt, null);
  args[at + 2] = e.source;
  args[at + 3] = address;
  args[at + 4] = Number.isSafeInteger(e.deviceId) ? e.deviceId : null;
  args[at + 5] = Math.max(0, sevIndex(e.severity));
  args[at + 6] = type;
  args[at + 7] = textOr(e.message, '');
  args[at + 8] = encodeParams(params, { source: e.source, type, sourceAddress: address });
  args[at + 9] = ftsHost(params, address);
  args[at + 10] = typeof params.appName === 'string' ? params.appName : null;
  args[at + 11] = ftsVars(params);
}

/**
 * Flat rows (EVENT_ROW_WIDTH values each, id first) for events whose ids were
 * assigned by the caller, ready for `EventRowInserter` (on the event store
 * thread or on this one).
 */
export function eventRows(events: readonly StoredEvent[]): unknown[] {
  const out: unknown[] = new Array(events.length * EVENT_ROW_WIDTH);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    out[i * EVENT_ROW_WIDTH] = e.id;
    rowArgs(e, out, i * EVENT_ROW_WIDTH + 1);
  }
  return out;
}
