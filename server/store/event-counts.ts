import type { Statement } from 'better-sqlite3';
import { SEVERITIES } from '../contracts/events.js';
import { normalizeAddress } from '../net/normalize-address.js';
import type { Db } from './database.js';
import { COL, EVENT_ROW_WIDTH } from './event-row.js';

/** Longest last message kept per unknown sender. */
const MAX_LAST_MESSAGE = 500;
/**
 * Distinct event types counted per minute; further types of that minute are
 * counted together as OTHER_TYPES (types come from the wire: a flood of random
 * tags must not make the counters as large as the events).
 */
export const MAX_TYPES_PER_MINUTE = 1000;
export const OTHER_TYPES = '(other types)';

/** What one batch adds to the counters: one entry per distinct key (so one upsert per key). */
export interface CountDelta {
  /** second -> [min id, max id] of the events received in it. */
  seconds: Map<number, [number, number]>;
  minutes: Map<number, MinuteAgg>;
  /** One per (minute, type, source, severity, device); device 0 = none. */
  counts: { minute: number; type: string; source: string; severity: number; deviceId: number; n: number }[];
  /** Normalized address -> what the batch adds to the unknown-senders summary. */
  senders: Map<string, SenderAgg>;
}

export interface MinuteAgg {
  n: number;
  sev: number[];
  minId: number;
  maxId: number;
}
export interface SenderAgg {
  count: number;
  firstSeen: number;
  lastSeen: number;
  lastMessage: string;
  firstId: number;
  lastId: number;
}

/**
 * Types counted in the last few minutes written (minute -> types), for
 * MAX_TYPES_PER_MINUTE. A minute it has not seen is loaded from what is
 * stored (`load`), by the caller before `countedType` is asked about it.
 */
export class MinuteTypes {
  private readonly byMinute = new Map<number, Set<string>>();

  has(minute: number): boolean {
    return this.byMinute.has(minute);
  }

  load(minute: number, types: Iterable<string>): void {
    this.byMinute.set(minute, new Set(types));
  }

  /** Forgets all but the `keep` minutes loaded last (after a batch). */
  trim(keep = 4): void {
    while (this.byMinute.size > keep) this.byMinute.delete(this.byMinute.keys().next().value!);
  }

  /** The type as counted: itself, or OTHER_TYPES once its minute has MAX_TYPES_PER_MINUTE others. */
  countedType(minute: number, type: string): string {
    let types = this.byMinute.get(minute);
    if (!types) this.byMinute.set(minute, (types = new Set()));
    if (types.has(type)) return type;
    if (types.size >= MAX_TYPES_PER_MINUTE) return OTHER_TYPES;
    types.add(type);
    return type;
  }
}

/** The minutes of `rows` (receive time / 60 000), for loading MinuteTypes before `aggregateCounts`. */
export function minutesOf(rows: readonly unknown[]): Set<number> {
  const out = new Set<number>();
  for (let at = 0; at < rows.length; at += EVENT_ROW_WIDTH) out.add(Math.floor((rows[at + COL.receivedAt] as number) / 60_000));
  return out;
}

/** Sums a batch of flat rows (EVENT_ROW_WIDTH values each) by counter key: the same on both engines. */
export function aggregateCounts(rows: readonly unknown[], types: MinuteTypes): CountDelta {
  const minutes = new Map<number, MinuteAgg>();
  const seconds = new Map<number, [number, number]>();
  // `minute|severity|source|device|type`: everything before the type has a fixed form, so keys are unambiguous.
  const counts = new Map<string, number>();
  const senders = new Map<string, SenderAgg>();
  for (let at = 0; at < rows.length; at += EVENT_ROW_WIDTH) {
    const id = rows[at + COL.id] as number;
    const receivedAt = rows[at + COL.receivedAt] as number;
    const severity = rows[at + COL.severity] as number;
    const deviceId = rows[at + COL.deviceId] as number | null;
    const minute = Math.floor(receivedAt / 60_000);
    const second = Math.floor(receivedAt / 1000);
    const sec = seconds.get(second);
    if (!sec) seconds.set(second, [id, id]);
    else {
      if (id < sec[0]) sec[0] = id;
      if (id > sec[1]) sec[1] = id;
    }
    let m = minutes.get(minute);
    if (!m) minutes.set(minute, (m = { n: 0, sev: [0, 0, 0, 0, 0, 0], minId: id, maxId: id }));
    m.n++;
    m.sev[severity] = (m.sev[severity] ?? 0) + 1;
    if (id < m.minId) m.minId = id;
    if (id > m.maxId) m.maxId = id;
    const key = `${minute}|${severity}|${rows[at + COL.source] as string}|${deviceId ?? 0}|${types.countedType(minute, rows[at + COL.type] as string)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const address = rows[at + COL.sourceAddress] as string | null;
    if (deviceId === null && address) {
      const a = normalizeAddress(address);
      const s = senders.get(a);
      if (!s) senders.set(a, { count: 1, firstSeen: receivedAt, lastSeen: receivedAt, lastMessage: rows[at + COL.message] as string, firstId: id, lastId: id });
      else {
        s.count++;
        if (id < s.firstId) {
          s.firstId = id;
          s.firstSeen = Math.min(s.firstSeen, receivedAt);
        }
        if (id > s.lastId) {
          s.lastId = id;
          s.lastSeen = receivedAt;
          s.lastMessage = rows[at + COL.message] as string;
        }
      }
    }
  }
  const list: CountDelta['counts'] = [];
  for (const [key, n] of counts) {
    const [minute, severity, source, device] = key.split('|', 4);
    const type = key.slice(minute!.length + severity!.length + source!.length + device!.length + 4);
    list.push({ minute: Number(minute), type, source: source!, severity: Number(severity), deviceId: Number(device), n });
  }
  for (const s of senders.values()) s.lastMessage = s.lastMessage.slice(0, MAX_LAST_MESSAGE);
  return { seconds, minutes, counts: list, senders };
}

/**
 * Per-minute counters (event_minutes, event_counts), the per-second id map
 * (event_seconds: time range -> id range) and the unknown-senders
 * summary, added to from the same flat rows the events are inserted from,
 * inside the inserter's transaction. One upsert per distinct key per batch.
 * (On PostgreSQL, pg/pg-event-writer.ts adds the same `aggregateCounts` with one
 * multi-row upsert per table.)
 */
export class EventCountWriter {
  private readonly minute: Statement;
  private readonly second: Statement;
  private readonly count: Statement;
  private readonly sender: Statement;
  private readonly types = new MinuteTypes();
  private readonly typesOf: Statement<[number], { type: string }>;

  constructor(db: Db) {
    this.typesOf = db.prepare('SELECT DISTINCT type FROM event_counts WHERE minute = ?');
    this.minute = db.prepare(
      `INSERT INTO event_minutes (minute, n, critical, major, minor, warning, info, debug, min_id, max_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (minute) DO UPDATE SET n = n + excluded.n, critical = critical + excluded.critical, major = major + excluded.major,
         minor = minor + excluded.minor, warning = warning + excluded.warning, info = info + excluded.info, debug = debug + excluded.debug,
         min_id = min(min_id, excluded.min_id), max_id = max(max_id, excluded.max_id)`,
    );
    this.second = db.prepare(
      `INSERT INTO event_seconds (second, min_id, max_id) VALUES (?, ?, ?)
       ON CONFLICT (second) DO UPDATE SET min_id = min(min_id, excluded.min_id), max_id = max(max_id, excluded.max_id)`,
    );
    this.count = db.prepare(
      `INSERT INTO event_counts (minute, type, source, severity, device_id, n) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (minute, type, source, severity, device_id) DO UPDATE SET n = n + excluded.n`,
    );
    this.sender = db.prepare(
      `INSERT INTO unknown_senders (address, count, first_seen, last_seen, last_message, first_id, last_id) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (address) DO UPDATE SET count = count + excluded.count,
         first_seen = min(first_seen, excluded.first_seen), first_id = min(first_id, excluded.first_id),
         last_seen = CASE WHEN excluded.last_id > last_id THEN excluded.last_seen ELSE last_seen END,
         last_message = CASE WHEN excluded.last_id > last_id THEN excluded.last_message ELSE last_message END,
         last_id = max(last_id, excluded.last_id)`,
    );
  }

  /** Counts the events of `rows` (EVENT_ROW_WIDTH values each). */
  add(rows: readonly unknown[]): void {
    // A minute this writer has not seen (a restart, the backfill): what is stored already counts.
    for (const minute of minutesOf(rows)) if (!this.types.has(minute)) this.types.load(minute, this.typesOf.all(minute).map((r) => r.type));
    const d = aggregateCounts(rows, this.types);
    this.types.trim();
    for (const [second, [lo, hi]] of d.seconds) this.second.run(second, lo, hi);
    for (const [minute, m] of d.minutes) this.minute.run(minute, m.n, ...m.sev.slice(0, SEVERITIES.length), m.minId, m.maxId);
    for (const c of d.counts) this.count.run(c.minute, c.type, c.source, c.severity, c.deviceId, c.n);
    for (const [a, s] of d.senders) this.sender.run(a, s.count, s.firstSeen, s.lastSeen, s.lastMessage, s.firstId, s.lastId);
  }
}
