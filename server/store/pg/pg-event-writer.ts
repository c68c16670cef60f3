import pg from 'pg';
import { DASHBOARD_WINDOW_MS, MAX_UNKNOWN_SENDERS } from '../event-maintenance.js';
import { COL, EVENT_ROW_WIDTH } from '../event-row.js';
import { batchTsvectors } from './event-tsvector.js';
import { PgEventCounters } from './pg-event-counters.js';
import { DAY_MS, dayOf, PG_TYPES } from './pg-types.js';

/** How long ids of stored remote batches are kept (as on SQLite: remote_batches). */
export const REMOTE_BATCH_KEEP_MS = 86_400_000;
/** Day partitions created ahead of today by maintenance. */
export const DAYS_AHEAD = 3;
/** Without an age retention, a row this many days old still gets its own day partition (older: the default one). */
const DEFAULT_KEEP_DAYS = 31;

const INSERT = `INSERT INTO events (id, received_at, reported_at, source, source_address, device_id, severity, type, message, params, tsv)
SELECT id, received_at, reported_at, source, source_address, device_id, severity, type, message, params::json, tsv::tsvector
FROM unnest($1::bigint[], $2::float8[], $3::float8[], $4::text[], $5::text[], $6::bigint[], $7::smallint[], $8::text[], $9::text[], $10::text[], $11::text[])
  AS u(id, received_at, reported_at, source, source_address, device_id, severity, type, message, params, tsv)`;

/** SQLSTATEs after which the whole batch is simply tried again: deadlock, serialization failure. */
const RETRYABLE = new Set(['40P01', '40001']);
const BATCH_ATTEMPTS = 3;

export interface PgWriterOptions {
  retention?: { maxAgeMs: number; maxRows: number };
  now?: () => number;
}

export interface PgWriterStats {
  partitions_created: number;
  partitions_dropped: number;
  retention_partitions_age: number;
  retention_partitions_cap: number;
  retention_default_removed: number;
  rows_rejected: number;
  nul_replaced: number;
  batches_retried_by_row: number;
  batches_retried: number;
  counter_minutes_expired: number;
  unknown_senders_trimmed: number;
}

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;

/**
 * The write path of events on PostgreSQL: the flat rows of `eventRows` (the
 * same the SQLite writer gets, ids assigned by the caller) as ONE multi-row
 * INSERT (unnest of column arrays) per batch, with the day counts of the
 * partitions and the remote batch ids, in one transaction. Partitions of the
 * batch's days are created first when missing (within the retention window;
 * rows of other days go to the default partition).
 *
 * Hostile text: PostgreSQL text cannot hold NUL, so NUL in the text columns
 * is stored as U+FFFD (counted in nul_replaced; params keep theirs, escaped
 * as \u0000 in their JSON). Should a batch still fail, it is written again row
 * by row, each under a savepoint: the good rows are stored, the failing ones
 * counted in rows_rejected. Retention drops whole day partitions.
 */
export class PgEventWriter {
  readonly stats: PgWriterStats = {
    partitions_created: 0,
    partitions_dropped: 0,
    retention_partitions_age: 0,
    retention_partitions_cap: 0,
    retention_default_removed: 0,
    rows_rejected: 0,
    nul_replaced: 0,
    batches_retried_by_row: 0,
    batches_retried: 0,
    counter_minutes_expired: 0,
    unknown_senders_trimmed: 0,
  };
  private readonly counters = new PgEventCounters();
  private readonly days = new Set<number>();
  private readonly now: () => number;

  private constructor(
    readonly client: pg.Client,
    private readonly opts: PgWriterOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  static async open(url: string, opts: PgWriterOptions = {}): Promise<PgEventWriter> {
    const client = new pg.Client({ connectionString: url, types: PG_TYPES, application_name: 'netwatch-event-writer' });
    await client.connect();
    const w = new PgEventWriter(client, opts);
    await w.loadDays();
    return w;
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  private async loadDays(): Promise<void> {
    this.days.clear();
    for (const r of (await this.client.query<{ day: number }>('SELECT day FROM event_partitions')).rows) this.days.add(r.day);
  }

  /** Days that get their own partition when a row arrives for them: the retention window and a few days ahead. */
  private inWindow(day: number): boolean {
    const today = dayOf(this.now());
    const keep = this.opts.retention?.maxAgeMs ? Math.ceil(this.opts.retention.maxAgeMs / DAY_MS) : DEFAULT_KEEP_DAYS;
    return day >= today - keep - 1 && day <= today + DAYS_AHEAD;
  }

  /** Creates the partition of `day` unless it exists. */
  async ensureDay(day: number): Promise<void> {
    if (this.days.has(day)) return;
    const r = await this.client.query<{ created: boolean }>('SELECT events_ensure_partition($1) AS created', [day]);
    if (r.rows[0]?.created) this.stats.partitions_created++;
    this.days.add(day);
  }

  private text(v: unknown): string | null {
    if (v === null || v === undefined) return null;
    const s = String(v);
    if (!s.includes('\u0000')) return s;
    this.stats.nul_replaced++;
    return s.replace(NUL, '\uFFFD');
  }

  /** Column arrays of rows [from, to). */
  private columns(rows: readonly unknown[], from: number, to: number, tsv: readonly string[]): unknown[][] {
    const cols: unknown[][] = Array.from({ length: 11 }, () => []);
    for (let i = from; i < to; i++) {
      const at = i * EVENT_ROW_WIDTH;
      cols[0]!.push(rows[at + COL.id]);
      cols[1]!.push(rows[at + COL.receivedAt]);
      cols[2]!.push(rows[at + COL.reportedAt]);
      cols[3]!.push(this.text(rows[at + COL.source]));
      cols[4]!.push(this.text(rows[at + COL.sourceAddress]));
      cols[5]!.push(rows[at + COL.deviceId]);
      cols[6]!.push(rows[at + COL.severity]);
      cols[7]!.push(this.text(rows[at + COL.type]) ?? '');
      cols[8]!.push(this.text(rows[at + COL.message]) ?? '');
      cols[9]!.push(String(rows[at + COL.params]));
      cols[10]!.push(tsv[i]);
    }
    return cols;
  }

  /** Rows per day partition of rows [from, to) (rows of days without a partition are not counted). */
  private dayCounts(rows: readonly unknown[], from: number, to: number): Map<number, number> {
    const m = new Map<number, number>();
    for (let i = from; i < to; i++) {
      const d = dayOf(rows[i * EVENT_ROW_WIDTH + COL.receivedAt] as number);
      if (this.days.has(d)) m.set(d, (m.get(d) ?? 0) + 1);
    }
    return m;
  }

  private async addCounts(counts: Map<number, number>): Promise<void> {
    if (counts.size === 0) return;
    await this.client.query('UPDATE event_partitions p SET rows = p.rows + u.n FROM unnest($1::int[], $2::bigint[]) AS u(day, n) WHERE p.day = u.day', [
      [...counts.keys()],
      [...counts.values()],
    ]);
  }

  /**
   * Stores a batch (ids assigned by the caller) in one transaction with its
   * counters; `keys`: remote batch ids completed by it. A deadlock or
   * serialization failure (two writers on the same counter rows) retries the
   * whole transaction.
   */
  async insert(rows: unknown[], keys: readonly string[] = []): Promise<void> {
    if (rows.length % EVENT_ROW_WIDTH !== 0) throw new Error(`event rows: ${rows.length} values is not a whole number of rows`);
    const n = rows.length / EVENT_ROW_WIDTH;
    if (n === 0 && keys.length === 0) return;
    const days = new Set<number>();
    for (let i = 0; i < n; i++) days.add(dayOf(rows[i * EVENT_ROW_WIDTH + COL.receivedAt] as number));
    for (const d of days) if (!this.days.has(d) && this.inWindow(d)) await this.ensureDay(d);
    const tsv = batchTsvectors(rows);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.insertOnce(rows, n, tsv, keys);
        return;
      } catch (err) {
        if (attempt >= BATCH_ATTEMPTS || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
        this.stats.batches_retried++;
      }
    }
  }

  private async insertOnce(rows: unknown[], n: number, tsv: readonly string[], keys: readonly string[]): Promise<void> {
    const c = this.client;
    await c.query('BEGIN');
    try {
      let stored: readonly unknown[] = rows;
      try {
        await c.query(INSERT, this.columns(rows, 0, n, tsv));
        await this.addCounts(this.dayCounts(rows, 0, n));
      } catch {
        // A connection that failed fails here too (and the batch with it); a row PostgreSQL refuses does not.
        await c.query('ROLLBACK');
        await c.query('BEGIN');
        stored = await this.insertRowByRow(rows, n, tsv);
      }
      await this.counters.add(this.client, stored);
      if (keys.length) await c.query('INSERT INTO remote_batches (msg_id, stored_at) SELECT k, $2 FROM unnest($1::text[]) AS k ON CONFLICT DO NOTHING', [[...keys], this.now()]);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** The fallback of a failed batch: each row under a savepoint; the rows that fail are counted and left out. */
  private async insertRowByRow(rows: readonly unknown[], n: number, tsv: readonly string[]): Promise<unknown[]> {
    this.stats.batches_retried_by_row++;
    const c = this.client;
    const stored = new Map<number, number>();
    const kept: unknown[] = [];
    for (let i = 0; i < n; i++) {
      await c.query('SAVEPOINT r');
      try {
        await c.query(INSERT, this.columns(rows, i, i + 1, tsv));
        await c.query('RELEASE SAVEPOINT r');
        const d = dayOf(rows[i * EVENT_ROW_WIDTH + COL.receivedAt] as number);
        if (this.days.has(d)) stored.set(d, (stored.get(d) ?? 0) + 1);
        for (let k = 0; k < EVENT_ROW_WIDTH; k++) kept.push(rows[i * EVENT_ROW_WIDTH + k]);
      } catch {
        await c.query('ROLLBACK TO SAVEPOINT r');
        this.stats.rows_rejected++;
      }
    }
    await this.addCounts(stored);
    return kept;
  }

  /** Whether the remote batch `key` was stored. */
  async batchStored(key: string): Promise<boolean> {
    return (await this.client.query('SELECT 1 FROM remote_batches WHERE msg_id = $1', [key])).rowCount! > 0;
  }

  /** Today's partition and the next DAYS_AHEAD days'. */
  async createAhead(): Promise<void> {
    const today = dayOf(this.now());
    for (let d = today; d <= today + DAYS_AHEAD; d++) await this.ensureDay(d);
  }

  private async dropPartition(day: number, name: string): Promise<void> {
    await this.client.query('BEGIN');
    try {
      await this.client.query(`DROP TABLE IF EXISTS ${pg.escapeIdentifier(name)}`);
      await this.client.query('DELETE FROM event_partitions WHERE day = $1', [day]);
      await this.client.query('COMMIT');
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    this.days.delete(day);
    this.stats.partitions_dropped++;
  }

  /**
   * Age retention: drops every day partition whose whole day is before
   * `cutoff` (no row DELETE), and deletes the default partition's rows
   * before it. Returns the partitions dropped.
   */
  async dropOlderThan(cutoff: number): Promise<number> {
    const old = await this.client.query<{ day: number; name: string }>('SELECT day, name FROM event_partitions WHERE (day + 1)::float8 * $2 <= $1 ORDER BY day', [cutoff, DAY_MS]);
    for (const p of old.rows) await this.dropPartition(p.day, p.name);
    this.stats.retention_partitions_age += old.rows.length;
    const d = await this.client.query('DELETE FROM events_default WHERE received_at < $1', [cutoff]);
    this.stats.retention_default_removed += d.rowCount ?? 0;
    return old.rows.length;
  }

  /**
   * The row cap, by whole days: drops the oldest day partitions while the
   * days after them still hold at least `maxRows` events. Between drops the
   * store holds up to `maxRows` plus the oldest day kept (never fewer than
   * `maxRows`, unless fewer were written). Returns the partitions dropped.
   */
  async dropBeyondCap(maxRows: number): Promise<number> {
    const parts = (await this.client.query<{ day: number; name: string; rows: number }>('SELECT day, name, rows FROM event_partitions ORDER BY day')).rows;
    let total = parts.reduce((s, p) => s + p.rows, 0);
    let dropped = 0;
    for (const p of parts) {
      if (total - p.rows < maxRows) break;
      await this.dropPartition(p.day, p.name);
      total -= p.rows;
      dropped++;
    }
    this.stats.retention_partitions_cap += dropped;
    return dropped;
  }

  async expireRemoteBatches(): Promise<number> {
    return (await this.client.query('DELETE FROM remote_batches WHERE stored_at < $1', [this.now() - REMOTE_BATCH_KEEP_MS])).rowCount ?? 0;
  }

  /**
   * Counters of minutes before the dashboard's hour whose events are all
   * gone (before the oldest event stored), as on SQLite; returns the minutes
   * dropped. Idempotent: several writers may run it.
   */
  async expireCounters(): Promise<number> {
    const oldest = (await this.client.query<{ t: number | null }>('SELECT min(received_at) AS t FROM events')).rows[0]?.t ?? null;
    const dashboard = Math.floor((this.now() - DASHBOARD_WINDOW_MS) / 60_000);
    const before = Math.min(dashboard, oldest === null ? Number.MAX_SAFE_INTEGER : Math.floor(oldest / 60_000));
    await this.client.query('BEGIN');
    try {
      await this.client.query('DELETE FROM event_counts WHERE minute < $1', [before]);
      const r = await this.client.query('DELETE FROM event_minutes WHERE minute < $1', [before]);
      await this.client.query('DELETE FROM event_seconds WHERE second < $1', [before * 60]);
      await this.client.query('COMMIT');
      this.stats.counter_minutes_expired += r.rowCount ?? 0;
      return r.rowCount ?? 0;
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Keeps the unknown-senders summary within MAX_UNKNOWN_SENDERS (least recently seen go first). */
  async trimSenders(max = MAX_UNKNOWN_SENDERS): Promise<number> {
    const n = (await this.client.query<{ n: number }>('SELECT count(*) AS n FROM unknown_senders')).rows[0]!.n;
    if (n <= max) return 0;
    const r = await this.client.query('DELETE FROM unknown_senders WHERE address IN (SELECT address FROM unknown_senders ORDER BY last_seen, address LIMIT $1)', [n - max]);
    this.stats.unknown_senders_trimmed += r.rowCount ?? 0;
    return r.rowCount ?? 0;
  }

  /** One round of upkeep: partitions ahead, age retention, row cap, counters, the senders' bound, remote batch ids. */
  /** `retention: false`: only the partitions ahead (another node holds the event-retention job). */
  async maintain(opts: { retention?: boolean } = {}): Promise<void> {
    await this.createAhead();
    if (opts.retention === false) return;
    const r = this.opts.retention;
    if (r?.maxAgeMs) await this.dropOlderThan(this.now() - r.maxAgeMs);
    if (r?.maxRows) await this.dropBeyondCap(r.maxRows);
    await this.expireCounters();
    await this.trimSenders();
    await this.expireRemoteBatches();
  }

  /** Reserves the next block of event ids for a writer: [start, end), from the sequence event_id_blocks (migration 0003). */
  static async idBlock(client: pg.Client): Promise<{ start: number; end: number }> {
    const r = await client.query<{ start: number; inc: number }>(
      "SELECT nextval('event_id_blocks') AS start, (SELECT increment_by FROM pg_sequences WHERE sequencename = 'event_id_blocks' AND schemaname = current_schema()) AS inc",
    );
    const { start, inc } = r.rows[0]!;
    return { start, end: start + inc };
  }
}
