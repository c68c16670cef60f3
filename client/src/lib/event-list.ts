/**
 * Pure helpers of the event console: the filter (one shape for the live stream
 * and the history query), severity ranks and colours, and the capped,
 * newest-first list that live batches and history pages are merged into.
 */
import type { Severity, SourceKind, StoredEvent } from '@contracts/events';
import { matchesSearch } from './event-search';

export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'major', 'minor', 'warning', 'info', 'debug'];
export const SOURCE_LABELS: Record<SourceKind, string> = { syslog: 'Syslog', trap: 'Trap', poll: 'Poll', icmp: 'ICMP', system: 'System', alertmanager: 'Alertmanager' };

/** 0 = critical … 5 = debug; unknown values sort last. */
export function severityRank(s: string): number {
  const i = SEVERITY_ORDER.indexOf(s as Severity);
  return i < 0 ? SEVERITY_ORDER.length : i;
}

/** Alarms by severity (critical first), then most recently seen. */
export function compareAlarms(a: { id: number; severity: string; lastSeen: number }, b: { id: number; severity: string; lastSeen: number }): number {
  return severityRank(a.severity) - severityRank(b.severity) || b.lastSeen - a.lastSeen || b.id - a.id;
}

export interface EventFilter {
  sources: SourceKind[];
  /** Only events at least this severe; '' = all. */
  minSeverity: Severity | '';
  deviceId: number | null;
  /** A search in the events search language (words, "phrases", prefix*, host:/app:/type: fields, -exclusions), as the server's full-text search reads it. */
  q: string;
  /** `q` as plain text found anywhere in message, type or sender (the server reads a bounded window per request), not as a search. */
  substring: boolean;
  /** Event type, exact or a prefix with a trailing `*` (case-insensitive); '' = any. */
  type: string;
  /** ms since epoch or null. */
  from: number | null;
  to: number | null;
}

export function emptyFilter(): EventFilter {
  return { sources: [], minSeverity: '', deviceId: null, q: '', substring: false, type: '', from: null, to: null };
}

/** Whether `type` passes a type filter: exact, or a prefix with a trailing `*`, without case. */
export function matchesType(type: string, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  if (!f) return true;
  const t = type.toLowerCase();
  return f.endsWith('*') ? t.startsWith(f.slice(0, -1)) : t === f;
}

/** Whether a (live) event passes the filter, with the server's semantics. */
export function matchesFilter(e: StoredEvent, f: EventFilter): boolean {
  if (f.sources.length > 0 && !f.sources.includes(e.source)) return false;
  if (f.minSeverity && severityRank(e.severity) > severityRank(f.minSeverity)) return false;
  if (f.deviceId !== null && e.deviceId !== f.deviceId) return false;
  if (f.from !== null && e.receivedAt < f.from) return false;
  if (f.to !== null && e.receivedAt > f.to) return false;
  if (!matchesType(e.type, f.type)) return false;
  const q = f.q.trim();
  if (!q) return true;
  if (f.substring) {
    const needle = q.toLowerCase();
    return [e.message, e.type, e.sourceAddress ?? ''].some((s) => s.toLowerCase().includes(needle));
  }
  return matchesSearch(e, q);
}

/** The query string of GET /events for a filter and a cursor. */
export function filterQuery(f: EventFilter, cursor: number | null, limit: number): string {
  const p = new URLSearchParams();
  if (f.sources.length) p.set('source', f.sources.join(','));
  if (f.minSeverity) p.set('severity', f.minSeverity);
  if (f.deviceId !== null) p.set('device', String(f.deviceId));
  if (f.q.trim()) p.set('q', f.q.trim().slice(0, 200));
  if (f.q.trim() && f.substring) p.set('match', 'substring');
  if (f.type.trim()) p.set('type', f.type.trim().slice(0, 200));
  if (f.from !== null) p.set('from', String(f.from));
  if (f.to !== null) p.set('to', String(f.to));
  if (cursor !== null) p.set('cursor', String(cursor));
  p.set('limit', String(limit));
  return p.toString();
}

/**
 * Where the events matching a filter download from: GET /events/export with
 * the same filter parameters as the history query, all matches (no cursor, no
 * limit). A plain link: the browser streams the file to disk.
 */
export function exportUrl(f: EventFilter, format: 'csv' | 'jsonl'): string {
  const p = new URLSearchParams(filterQuery(f, null, 1));
  p.delete('limit');
  p.set('format', format);
  return `/api/v1/events/export?${p.toString()}`;
}

/**
 * Puts a live batch (oldest first, as the server sends it) on top of a
 * newest-first list, skipping ids already present at the top, and drops the
 * oldest beyond `cap`. Returns a new array (the list is a shallow ref).
 */
export function prependBatch(list: readonly StoredEvent[], batch: readonly StoredEvent[], cap: number): StoredEvent[] {
  const top = list.length > 0 ? list[0]!.id : 0;
  const fresh: StoredEvent[] = [];
  for (let i = batch.length - 1; i >= 0; i--) {
    const e = batch[i]!;
    if (e.id > top) fresh.push(e);
  }
  if (fresh.length > 1) fresh.sort((a, b) => b.id - a.id);
  if (fresh.length === 0) return list as StoredEvent[];
  const out = fresh.length >= cap ? fresh.slice(0, cap) : fresh.concat(list.length + fresh.length > cap ? list.slice(0, cap - fresh.length) : list);
  return out;
}

/** Appends an older history page (newest first) below the list, skipping ids already shown; respects `cap`. */
export function appendOlder(list: readonly StoredEvent[], page: readonly StoredEvent[], cap: number): StoredEvent[] {
  const bottom = list.length > 0 ? list[list.length - 1]!.id : Infinity;
  const older = page.filter((e) => e.id < bottom);
  const room = Math.max(0, cap - list.length);
  return list.concat(older.slice(0, room));
}

/** Text for a param value: strings as they are, everything else as JSON. Never HTML. */
export function paramText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  try {
    return JSON.stringify(v, null, 1) ?? String(v);
  } catch {
    return String(v);
  }
}

/** `<input type=datetime-local>` value (local time) <-> ms since epoch. */
export function localInputToMs(v: string): number | null {
  if (!v) return null;
  const t = new Date(v).getTime();
  return Number.isNaN(t) ? null : t;
}

export function msToLocalInput(ms: number | null): string {
  if (ms === null) return '';
  const d = new Date(ms);
  const pad = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Time with seconds and milliseconds, for an event list. */
export function formatEventTime(ms: number): string {
  const d = new Date(ms);
  const pad = (x: number, n = 2) => String(x).padStart(n, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
