import type { Db } from './database.js';
import { SEVERITIES, type NormalizedEvent, type Severity, type SourceKind, type StoredEvent } from '../contracts/events.js';

export interface EventQuery {
  source?: SourceKind[];
  /** Only events at least this severe. */
  minSeverity?: Severity;
  deviceId?: number;
  /** Case-insensitive substring of message, type or source address. */
  text?: string;
  from?: number;
  to?: number;
  /** Cursor: only ids below this (newest first). */
  beforeId?: number;
  limit: number;
}

interface Row {
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

function toEvent(r: Row): StoredEvent {
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
    params: JSON.parse(r.params) as Record<string, unknown>,
  };
}

/**
 * JSON for params. Collectors hand over JSON-safe params, so the fast path is a
 * plain stringify; BigInt (which throws) and Buffers (which would become
 * {type, data}) take the slower path that writes them as decimal text and hex.
 */
function paramsJson(params: Record<string, unknown>): string {
  try {
    const fast = JSON.stringify(params);
    if (!fast.includes('"type":"Buffer"')) return fast;
  } catch {
    // BigInt somewhere: fall through
  }
  try {
    // `this[k]` is the value before Buffer#toJSON turned it into {type, data}.
    return JSON.stringify(params, function (this: Record<string, unknown>, k: string, v: unknown) {
      const raw = this[k];
      return typeof raw === 'bigint' ? raw.toString() : raw instanceof Uint8Array ? Buffer.from(raw).toString('hex') : v;
    });
  } catch {
    return JSON.stringify({ unserializable: true });
  }
}

const CHUNK = 64;
const ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?)';
const INSERT = 'INSERT INTO events (received_at, reported_at, source, source_address, device_id, severity, type, message, params) VALUES ';

const finiteOr = <T>(v: unknown, otherwise: T): number | T => (typeof v === 'number' && Number.isFinite(v) ? v : otherwise);
const textOr = <T>(v: unknown, otherwise: T): string | T => (typeof v === 'string' ? v : v === undefined || v === null ? otherwise : String(v));

/**
 * The columns of one event. Everything a sender can influence is coerced to
 * the column's type here (a NaN time, a non-string type), so that no message
 * from the network can make the row, and with it its whole batch, fail.
 */
function rowArgs(e: NormalizedEvent, args: unknown[], at: number): void {
  args[at] = finiteOr(e.receivedAt, Date.now());
  args[at + 1] = finiteOr(e.reportedAt, null);
  args[at + 2] = e.source;
  args[at + 3] = textOr(e.sourceAddress, null);
  args[at + 4] = Number.isSafeInteger(e.deviceId) ? e.deviceId : null;
  args[at + 5] = Math.max(0, sevIndex(e.severity));
  args[at + 6] = textOr(e.type, '');
  args[at + 7] = textOr(e.message, '');
  args[at + 8] = paramsJson(e.params ?? {});
}

/** Values per row of `eventRows` / `EventRowInserter`: id, then the nine columns. */
export const EVENT_ROW_WIDTH = 10;
const ROW_WITH_ID = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const INSERT_WITH_ID = 'INSERT INTO events (id, received_at, reported_at, source, source_address, device_id, severity, type, message, params) VALUES ';

/**
 * Flat column values (id first) for events whose ids were assigned by the
 * caller, ready to be posted to the event store thread (strings and numbers
 * only: cheap to copy between threads).
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

/**
 * Inserts rows made by `eventRows` in one transaction (64-row statements).
 * Used by the event store thread on its own connection; ids come with the rows,
 * so it must be the only writer of new events.
 */
export class EventRowInserter {
  private readonly one;
  private readonly chunk;
  private readonly tx;

  constructor(db: Db) {
    this.one = db.prepare(INSERT_WITH_ID + ROW_WITH_ID);
    this.chunk = db.prepare(INSERT_WITH_ID + Array.from({ length: CHUNK }, () => ROW_WITH_ID).join(', '));
    this.tx = db.transaction((rows: unknown[]) => {
      const n = rows.length / EVENT_ROW_WIDTH;
      let i = 0;
      for (; i + CHUNK <= n; i += CHUNK) this.chunk.run(rows.slice(i * EVENT_ROW_WIDTH, (i + CHUNK) * EVENT_ROW_WIDTH));
      for (; i < n; i++) this.one.run(rows.slice(i * EVENT_ROW_WIDTH, (i + 1) * EVENT_ROW_WIDTH));
    });
  }

  insert(rows: unknown[]): void {
    if (rows.length % EVENT_ROW_WIDTH !== 0) throw new Error(`event rows: ${rows.length} values is not a whole number of rows`);
    this.tx(rows);
  }
}

export class EventRepository {
  private readonly insert;
  private readonly insertChunk;
  private readonly byId;
  private readonly deleteOlder;
  private readonly countStmt;
  private readonly deleteOverCap;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(INSERT + ROW);
    this.insertChunk = db.prepare(INSERT + Array.from({ length: CHUNK }, () => ROW).join(', '));
    this.byId = db.prepare<[number], Row>('SELECT * FROM events WHERE id = ?');
    this.deleteOlder = db.prepare<[number, number]>(
      'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < ? ORDER BY id LIMIT ?)',
    );
    // min and max on the primary key are O(log n) only each in its own query: both in one SELECT
    // (or count(*)) scan the whole table.
    this.countStmt = db.prepare<[], { minId: number | null; maxId: number | null }>(
      'SELECT (SELECT min(id) FROM events) AS minId, (SELECT max(id) FROM events) AS maxId',
    );
    this.deleteOverCap = db.prepare<[number, number]>('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id < ? ORDER BY id LIMIT ?)');
  }

  /**
   * One transaction for the whole batch. Returns the same objects with their
   * `id` set (identity is kept, so callers can attach per-event state beforehand).
   */
  insertBatch(events: readonly NormalizedEvent[]): StoredEvent[] {
    const out: StoredEvent[] = new Array(events.length);
    this.db.transaction(() => {
      let i = 0;
      // Multi-row INSERTs of CHUNK rows: one statement step per chunk instead of per row.
      // This connection is the only writer of `events`, so a statement's rows get
      // consecutive ids ending at lastInsertRowid.
      for (; i + CHUNK <= events.length; i += CHUNK) {
        const args: unknown[] = new Array(CHUNK * 9);
        for (let k = 0; k < CHUNK; k++) rowArgs(events[i + k]!, args, k * 9);
        const last = Number(this.insertChunk.run(...args).lastInsertRowid);
        for (let k = 0; k < CHUNK; k++) out[i + k] = Object.assign(events[i + k]!, { id: last - CHUNK + 1 + k });
      }
      for (; i < events.length; i++) {
        const args: unknown[] = new Array(9);
        rowArgs(events[i]!, args, 0);
        out[i] = Object.assign(events[i]!, { id: Number(this.insert.run(...args).lastInsertRowid) });
      }
    })();
    return out;
  }

  get(id: number): StoredEvent | undefined {
    const r = this.byId.get(id);
    return r && toEvent(r);
  }

  /** Newest first, with a cursor for the next page. */
  query(q: EventQuery): { items: StoredEvent[]; nextCursor: number | null } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.source?.length) {
      where.push(`source IN (${q.source.map(() => '?').join(',')})`);
      args.push(...q.source);
    }
    if (q.minSeverity) {
      where.push('severity <= ?');
      args.push(sevIndex(q.minSeverity));
    }
    if (q.deviceId !== undefined) {
      where.push('device_id = ?');
      args.push(q.deviceId);
    }
    if (q.from !== undefined) {
      where.push('received_at >= ?');
      args.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('received_at <= ?');
      args.push(q.to);
    }
    if (q.beforeId !== undefined) {
      where.push('id < ?');
      args.push(q.beforeId);
    }
    if (q.text) {
      const like = `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push("(message LIKE ? ESCAPE '\\' OR type LIKE ? ESCAPE '\\' OR source_address LIKE ? ESCAPE '\\')");
      args.push(like, like, like);
    }
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare<(string | number)[], Row>(sql).all(...args, q.limit + 1);
    const more = rows.length > q.limit;
    const items = rows.slice(0, q.limit).map(toEvent);
    return { items, nextCursor: more ? items.at(-1)!.id : null };
  }

  /** The id the next stored event gets (ids are assigned by the writer when events are stored off the main thread). */
  nextId(): number {
    return (this.countStmt.get()!.maxId ?? 0) + 1;
  }

  /** Id range of stored events (ids are dense except where retention removed the oldest). */
  idRange(): { minId: number | null; maxId: number | null } {
    return this.countStmt.get()!;
  }

  /** Deletes at most `batch` events older than `cutoff`; call repeatedly (short write locks). */
  deleteOlderThan(cutoff: number, batch: number): number {
    return this.deleteOlder.run(cutoff, batch).changes;
  }

  /** Deletes at most `batch` of the oldest events beyond a row cap. */
  deleteBeyondCap(maxRows: number, batch: number): number {
    const { minId, maxId } = this.countStmt.get()!;
    if (minId === null || maxId === null || maxId - minId + 1 <= maxRows) return 0;
    return this.deleteOverCap.run(maxId - maxRows + 1, batch).changes;
  }
}
