import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import { SEVERITIES, SOURCE_KINDS, type NormalizedEvent, type Severity, type SourceKind, type StoredEvent } from '../contracts/events.js';
import { decodeParams } from './event-params.codec.js';
import { EventFtsIndex, tag, TAGGED_SEVERITY_MAX } from './event-fts.js';
import { EventMaintenance } from './event-maintenance.js';
import { CappedStream, Intersection, Meter, ScanLimit, SCAN_BUDGET, StatementCache, StreamFactory, SUBSTRING_WINDOW, UnionStream, type IdStream } from './event-query.js';
import { eventRows } from './event-row.js';
import { EventRowInserter, type InserterOptions } from './event-row-inserter.js';
import { compileEventSearch, matchesTypeFilter, parseTypeFilter, typeFilterMatch, type TypeFilter } from './event-search.parser.js';

export { EVENT_ROW_WIDTH, eventRows } from './event-row.js';
export { EventRowInserter } from './event-row-inserter.js';

export interface EventQuery {
  source?: SourceKind[];
  /** Only events at least this severe. */
  minSeverity?: Severity;
  deviceId?: number;
  /** Full-text search in the events search language (event-search.parser.ts). */
  search?: string;
  /** The event type, exact or a prefix with a trailing `*` (case-insensitive). */
  type?: string;
  /**
   * Case-insensitive substring of message, type or source address (the
   * explicit `match=substring`): examines at most SUBSTRING_WINDOW events per
   * call, then answers `partial` with a cursor to continue.
   */
  text?: string;
  from?: number;
  to?: number;
  /** Cursor: only ids below this (newest first). */
  beforeId?: number;
  limit: number;
}

export interface EventPage {
  items: StoredEvent[];
  /** Ask again with this as `beforeId` for more; null when there is nothing more. */
  nextCursor: number | null;
  /** The call stopped on its scan bound before filling the page: more may match below nextCursor. */
  partial?: true;
}

export interface EventRow {
  id: number;
  received_at: number;
  reported_at: number | null;
  source: SourceKind;
  source_address: string | null;
  device_id: number | null;
  severity: number;
  type: string;
  message: string;
  params: string;
}

const sevIndex = (s: Severity) => SEVERITIES.indexOf(s);

/**
 * How long (seconds) an event may wait between receipt and storage (its id) and still be found by a
 * time range: ids follow storage order, receive times the network's; the intake queues hold seconds of
 * a storm at most.
 */
const ID_ORDER_SLACK_S = 600;

const SQL = {
  byId: 'SELECT * FROM events WHERE id = ?',
  // min and max on the primary key are O(log n) only each in its own query: both in one SELECT
  // (or count(*)) scan the whole table.
  range: 'SELECT (SELECT min(id) FROM events) AS minId, (SELECT max(id) FROM events) AS maxId',
  minIdFrom: 'SELECT min(min_id) AS id FROM event_minutes WHERE minute >= ?',
  maxIdTo: 'SELECT max(max_id) AS id FROM event_minutes WHERE minute <= ?',
  minIdFromSecond: 'SELECT min(min_id) AS id FROM event_seconds WHERE second BETWEEN ? AND ?',
  maxIdToSecond: 'SELECT max(max_id) AS id FROM event_seconds WHERE second BETWEEN ? AND ?',
  firstSecond: 'SELECT min(second) AS second FROM event_seconds',
  backfill: 'SELECT next_id, low_id FROM event_backfill WHERE id = 1',
  batchStored: 'SELECT 1 AS one FROM remote_batches WHERE msg_id = ?',
} as const;

export function toEvent(r: EventRow): StoredEvent {
  return {
    id: r.id,
    receivedAt: r.received_at,
    reportedAt: r.reported_at,
    source: r.source,
    sourceAddress: r.source_address,
    deviceId: r.device_id,
    severity: SEVERITIES[r.severity] ?? 'info',
    type: r.type,
    message: r.message,
    params: decodeParams(r.params, { source: r.source, type: r.type, sourceAddress: r.source_address }),
  };
}

/**
 * Stored events. Reads work on any connection, read-only ones included
 * (reader threads build this class on theirs); writes (`insertBatch`,
 * retention) only on the one connection that writes events.
 */
export class EventRepository {
  private readonly stmts: StatementCache;
  private readonly fts: EventFtsIndex;
  private writer: { inserter: EventRowInserter; maintenance: EventMaintenance } | null = null;

  constructor(
    private readonly db: Db,
    private readonly writeOptions: InserterOptions & { scanBudget?: number; substringWindow?: number } = {},
  ) {
    this.stmts = new StatementCache(db);
    this.fts = new EventFtsIndex(db, this.stmts);
    // Prepared up front: a schema without these tables fails here, not on the first request.
    for (const sql of Object.values(SQL)) this.stmts.get(sql);
  }

  private get byId(): Statement<[number], EventRow> {
    return this.stmts.get(SQL.byId);
  }

  private get countStmt(): Statement<[], { minId: number | null; maxId: number | null }> {
    return this.stmts.get(SQL.range);
  }

  private write() {
    this.writer ??= { inserter: new EventRowInserter(this.db, this.writeOptions), maintenance: new EventMaintenance(this.db, this.writeOptions) };
    return this.writer;
  }

  /**
   * Stores a batch on this connection, in one transaction (ids assigned here).
   * Returns the same objects with their `id` set (identity is kept, so
   * callers can attach per-event state beforehand).
   */
  insertBatch(events: readonly NormalizedEvent[], keys: readonly string[] = []): StoredEvent[] {
    let id = this.nextId();
    const stored = events.map((e) => Object.assign(e, { id: id++ }));
    this.write().inserter.insert(eventRows(stored), keys);
    return stored;
  }

  /** Whether the remote batch `key` was stored (committed with its events: remote_batches). */
  batchStored(key: string): boolean {
    return this.stmts.get<[string], { one: number }>(SQL.batchStored).get(key) !== undefined;
  }

  /** Maintenance steps on this connection (retention, backfill), for a server that writes events here. */
  maintenance(): EventMaintenance {
    return this.write().maintenance;
  }

  get(id: number): StoredEvent | undefined {
    const r = this.byId.get(id);
    return r && toEvent(r);
  }

  /** The id range [lo, hi] events received in [from, to] lie in (wider while old rows wait to be counted). */
  private timeWindow(from: number | undefined, to: number | undefined): { lo: number; hi: number } {
    const pending = this.stmts.get<[], { next_id: number; low_id: number }>(SQL.backfill).get();
    let lo = 1;
    let hi = Number.MAX_SAFE_INTEGER;
    if (from !== undefined) {
      const first = this.stmts.get<[number], { id: number | null }>(SQL.minIdFrom).get(Math.floor(from / 60_000))?.id ?? null;
      lo = pending ? Math.min(first ?? Number.MAX_SAFE_INTEGER, pending.low_id) : first ?? Number.MAX_SAFE_INTEGER;
      // To the second: the lowest id received in the seconds that follow `from`. An event received later
      // than them with a lower id would have waited longer than ID_ORDER_SLACK_S between receipt and store.
      const sec = Math.floor(from / 1000);
      const exact = this.stmts.get<[number, number], { id: number | null }>(SQL.minIdFromSecond).get(sec, sec + ID_ORDER_SLACK_S)?.id ?? null;
      // Only where seconds are recorded (not before the upgrade that began them).
      const firstSecond = this.stmts.get<[], { second: number | null }>(SQL.firstSecond).get()?.second ?? null;
      if (exact !== null && !pending && firstSecond !== null && firstSecond <= sec) lo = Math.max(lo, exact);
    }
    if (to !== undefined) {
      const last = this.stmts.get<[number], { id: number | null }>(SQL.maxIdTo).get(Math.floor(to / 60_000))?.id ?? null;
      hi = pending ? Math.max(last ?? 0, pending.next_id) : last ?? 0;
      const sec = Math.floor(to / 1000);
      const exact = this.stmts.get<[number, number], { id: number | null }>(SQL.maxIdToSecond).get(sec - ID_ORDER_SLACK_S, sec)?.id ?? null;
      if (exact !== null && !pending) hi = Math.min(hi, exact);
    }
    return { lo, hi };
  }

  /** Newest first, with a cursor for the next page (see event-query.ts for how each filter is read). */
  query(q: EventQuery): EventPage {
    return this.db.transaction(() => this.run(q))();
  }

  private run(q: EventQuery): EventPage {
    const range = this.countStmt.get()!;
    if (range.minId === null || range.maxId === null) return { items: [], nextCursor: null };
    let lo = range.minId;
    let hi = range.maxId;
    if (q.beforeId !== undefined) hi = Math.min(hi, q.beforeId - 1);
    if (q.from !== undefined || q.to !== undefined) {
      const w = this.timeWindow(q.from, q.to);
      lo = Math.max(lo, w.lo);
      hi = Math.min(hi, w.hi);
    }
    const text = q.text ? q.text.toLowerCase() : null;
    // The substring match reads events one by one: a bounded window per call.
    const windowLo = text ? Math.max(lo, hi - (this.writeOptions.substringWindow ?? SUBSTRING_WINDOW) + 1) : lo;
    if (hi < windowLo) return { items: [], nextCursor: null };

    const meter = new Meter(this.writeOptions.scanBudget ?? SCAN_BUDGET);
    const f = new StreamFactory(this.stmts, this.fts, meter);
    const sources = q.source?.length && new Set(q.source).size < SOURCE_KINDS.length ? [...new Set(q.source)] : null;
    const sev = q.minSeverity ? sevIndex(q.minSeverity) : SEVERITIES.length - 1;
    const type: TypeFilter | null = q.type ? parseTypeFilter(q.type) : null;
    const deviceId = q.deviceId !== undefined && Number.isSafeInteger(q.deviceId) ? q.deviceId : null;
    if (q.deviceId !== undefined && deviceId === null) return { items: [], nextCursor: null };

    // Everything the full-text index answers, as one query.
    const any = (words: string[]) => (words.length === 1 ? `"${words[0]}"` : `(${words.map((w) => `"${w}"`).join(' OR ')})`);
    const match: string[] = [];
    if (sources) match.push(`tags : ${any(sources.map(tag.source))}`);
    // Warning and worse have tags (rare); info and debug are most events, checked on the rows.
    if (sev <= TAGGED_SEVERITY_MAX) match.push(`tags : ${any(Array.from({ length: sev + 1 }, (_, s) => tag.severity(s)))}`);
    if (deviceId !== null) match.push(`tags : "${tag.device(deviceId)}"`);
    if (q.search) match.push(`(${compileEventSearch(q.search)})`);
    if (type) match.push(`(${typeFilterMatch(type)})`);

    // The same filters checked in SQL, for reading events in id order.
    const where: string[] = [];
    const args: unknown[] = [];
    if (sources) {
      where.push(`source IN (${sources.map(() => '?').join(', ')})`);
      args.push(...sources);
    }
    if (sev < SEVERITIES.length - 1) {
      where.push('severity <= ?');
      args.push(sev);
    }
    if (deviceId !== null) {
      where.push('device_id = ?');
      args.push(deviceId);
    }
    // The id window covers whole minutes: the exact times are checked while reading.
    if (q.from !== undefined) {
      where.push('received_at >= ?');
      args.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('received_at <= ?');
      args.push(q.to);
    }
    if (text) {
      const like = `%${q.text!.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push("(message LIKE ? ESCAPE '\\' OR type LIKE ? ESCAPE '\\' OR source_address LIKE ? ESCAPE '\\')");
      args.push(like, like, like);
    }

    let stream: IdStream;
    const byId = () => f.byId(where.join(' AND '), args, windowLo);
    if (match.length === 0) stream = byId();
    else {
      // Rows stored before the index existed and not indexed yet are read in id order (a search cannot find them).
      const notIndexedTo = this.stmts.get<[], { next_id: number }>(SQL.backfill).get()?.next_id ?? 0;
      const fts = f.fullText(match.join(' AND '), this.fts.parts(), Math.max(windowLo, notIndexedTo + 1));
      stream = notIndexedTo >= windowLo && !q.search ? new UnionStream([fts, new CappedStream(byId(), notIndexedTo)]) : fts;
    }

    const accept = (r: EventRow): boolean =>
      (!sources || sources.includes(r.source)) &&
      r.severity <= sev &&
      (deviceId === null || r.device_id === deviceId) &&
      (q.from === undefined || r.received_at >= q.from) &&
      (q.to === undefined || r.received_at <= q.to) &&
      (!type || matchesTypeFilter(r.type, type)) &&
      (!text || r.message.toLowerCase().includes(text) || r.type.toLowerCase().includes(text) || (r.source_address ?? '').toLowerCase().includes(text));

    const rows: EventRow[] = [];
    const walk = new Intersection([stream], hi);
    let partial = false;
    let resume = hi;
    try {
      for (;;) {
        const id = walk.next();
        if (id === null) break;
        meter.add(4, true);
        const r = this.byId.get(id);
        // A full-text partition may still list events retention removed: they are not there.
        if (r && accept(r)) {
          rows.push(r);
          if (rows.length > q.limit) break;
        }
        if (id <= windowLo) break;
        walk.x = id - 1;
        meter.armed = true;
      }
    } catch (err) {
      if (!(err instanceof ScanLimit)) throw err;
      partial = true;
      // Continue below what the streams proved empty: a call that found nothing still moves the cursor on.
      resume = Math.min(walk.x, err.undecided);
    }
    if (rows.length > q.limit) {
      const items = rows.slice(0, q.limit).map(toEvent);
      return { items, nextCursor: items.at(-1)!.id };
    }
    const items = rows.map(toEvent);
    if (partial) return { items, nextCursor: resume + 1, partial: true };
    // The substring window ended before the range did: continue below it.
    if (windowLo > lo) return { items, nextCursor: windowLo, partial: true };
    return { items, nextCursor: null };
  }

  /** EXPLAIN QUERY PLAN of every statement `query(q)` runs (on this connection's data). */
  explain(q: EventQuery): { sql: string; plan: string[] }[] {
    this.stmts.record = new Set();
    try {
      this.query(q);
      return [...this.stmts.record].map((sql) => {
        const args = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null);
        const plan = this.db.prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all(...args).map((r) => r.detail);
        return { sql, plan };
      });
    } finally {
      this.stmts.record = null;
    }
  }

  /** The id the next stored event gets (ids are assigned by the writer when events are stored off the main thread). */
  nextId(): number {
    return (this.countStmt.get()!.maxId ?? 0) + 1;
  }

  /** Id range of stored events (ids are dense except where retention removed the oldest). */
  idRange(): { minId: number | null; maxId: number | null } {
    return this.countStmt.get()!;
  }

  /** Deletes at most `batch` events received before the minute of `cutoff`; call repeatedly (short write locks). */
  deleteOlderThan(cutoff: number, batch: number): number {
    return this.write().maintenance.pruneOlderThan(cutoff, batch);
  }

  /** Deletes at most `batch` of the oldest events beyond a row cap. */
  deleteBeyondCap(maxRows: number, batch: number): number {
    return this.write().maintenance.pruneBeyondCap(maxRows, batch);
  }
}
