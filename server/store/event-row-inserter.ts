import type { Statement, Transaction } from 'better-sqlite3';
import type { Db } from './database.js';
import { EventCountWriter } from './event-counts.js';
import { EventFtsWriter, FTS_ROW_WIDTH, ftsTags, ftsType } from './event-fts.js';
import { COL, EVENT_ROW_WIDTH } from './event-row.js';

const CHUNK = 64;
const COLUMNS = 10;
const ROW = `(${Array.from({ length: COLUMNS }, () => '?').join(', ')})`;
const INSERT = 'INSERT INTO events (id, received_at, reported_at, source, source_address, device_id, severity, type, message, params) VALUES ';

export interface InserterOptions {
  /** Events per full-text partition (tests use small ones). */
  ftsPartitionRows?: number;
  ftsPartitionMaxAgeMs?: number;
  now?: () => number;
}

/** The full-text row of each event row: rowid, message, type, host, app, vars, tags. */
export function ftsRows(rows: readonly unknown[]): unknown[] {
  const n = rows.length / EVENT_ROW_WIDTH;
  const out: unknown[] = new Array(n * FTS_ROW_WIDTH);
  for (let i = 0, at = 0, o = 0; i < n; i++, at += EVENT_ROW_WIDTH, o += FTS_ROW_WIDTH) {
    out[o] = rows[at + COL.id];
    out[o + 1] = rows[at + COL.message];
    out[o + 2] = ftsType(rows[at + COL.type] as string, rows[at + COL.message] as string, rows[at + COL.ftsApp] as string | null);
    out[o + 3] = rows[at + COL.ftsHost];
    out[o + 4] = rows[at + COL.ftsApp];
    out[o + 5] = rows[at + COL.ftsVars];
    out[o + 6] = ftsTags(rows[at + COL.source] as string, rows[at + COL.severity] as number, rows[at + COL.deviceId] as number | null);
  }
  return out;
}

/**
 * The write path of events: rows made by `eventRows` (ids assigned by the
 * caller, ascending) go into `events`, the full-text index, the per-minute
 * counters and the unknown-senders summary in ONE transaction, so a batch is
 * searchable and counted exactly when it is committed. Used by the event
 * store thread on its own connection (and by `EventRepository.insertBatch`
 * when events are written on the main thread); it must be the only writer of
 * new events.
 */
export class EventRowInserter {
  private readonly one: Statement;
  private readonly chunk: Statement;
  private readonly fts: EventFtsWriter;
  private readonly counts: EventCountWriter;
  private readonly tx: Transaction<(rows: unknown[], keys: readonly string[]) => void>;
  private readonly mark: Statement<[string, number]>;

  constructor(db: Db, opts: InserterOptions = {}) {
    this.one = db.prepare(INSERT + ROW);
    this.chunk = db.prepare(INSERT + Array.from({ length: CHUNK }, () => ROW).join(', '));
    this.fts = new EventFtsWriter(db, { partitionRows: opts.ftsPartitionRows, partitionMaxAgeMs: opts.ftsPartitionMaxAgeMs, now: opts.now });
    this.counts = new EventCountWriter(db);
    this.mark = db.prepare('INSERT OR IGNORE INTO remote_batches (msg_id, stored_at) VALUES (?, ?)');
    this.tx = db.transaction((rows: unknown[], keys: readonly string[]) => {
      const n = rows.length / EVENT_ROW_WIDTH;
      const args: unknown[] = new Array(CHUNK * COLUMNS);
      let i = 0;
      for (; i + CHUNK <= n; i += CHUNK) {
        for (let k = 0; k < CHUNK; k++) copyColumns(rows, (i + k) * EVENT_ROW_WIDTH, args, k * COLUMNS);
        this.chunk.run(args);
      }
      const single: unknown[] = new Array(COLUMNS);
      for (; i < n; i++) {
        copyColumns(rows, i * EVENT_ROW_WIDTH, single, 0);
        this.one.run(single);
      }
      this.fts.addNewest(ftsRows(rows), rows[COL.id] as number, rows[(n - 1) * EVENT_ROW_WIDTH + COL.id] as number);
      this.counts.add(rows);
      const now = Date.now();
      for (const k of keys) this.mark.run(k, now);
    });
  }

  /** `keys`: ids of the remote batches these rows complete (remote_batches), committed with them. */
  insert(rows: unknown[], keys: readonly string[] = []): void {
    if (rows.length % EVENT_ROW_WIDTH !== 0) throw new Error(`event rows: ${rows.length} values is not a whole number of rows`);
    if (rows.length === 0) return;
    this.tx.immediate(rows, keys);
  }
}

function copyColumns(rows: readonly unknown[], from: number, to: unknown[], at: number): void {
  for (let c = 0; c < COLUMNS; c++) to[at + c] = rows[from + c];
}
