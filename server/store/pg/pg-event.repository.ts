import pg from 'pg';
import { SEVERITIES, SOURCE_KINDS, type Severity, type StoredEvent } from '../../contracts/events.js';
import { formatEvents } from '../../events/event-export.js';
import { SUBSTRING_WINDOW } from '../event-query.js';
import { toEvent, type EventPage, type EventQuery, type EventRow } from '../event.repository.js';
import { parseTypeFilter } from '../event-search.parser.js';
import type { ExportPage, ExportPageArgs } from '../read-ops.js';
import { compileEventSearchTsquery, typeFilterTsquery } from './event-tsvector.js';
import { PG_TYPES } from './pg-types.js';

const COLUMNS = 'id, received_at, reported_at, source, source_address, device_id, severity, type, message, params';
const sevIndex = (s: Severity) => SEVERITIES.indexOf(s);
/** Ids in the first window of a search, read in id order (searchRows); each next window is 4x larger. */
const SEARCH_FIRST_WINDOW = 5_000;

/**
 * Event reads on PostgreSQL with the semantics of EventRepository.query
 * (GET /api/v1/events): the same filters, the same search language (as a
 * tsquery on the writer's lexemes), newest first, keyset paging on the id
 * with the same cursor (`nextCursor` = the last id of a full page, null at
 * the end), and the same bounded window for `text` (match=substring):
 * SUBSTRING_WINDOW ids per call, then `partial` with a cursor below it.
 *
 * Not mirrored: SQLite's scan budget (a call there may stop early with
 * `partial`); here a query runs to its end (bounded by statement_timeout).
 * Each call is one or two statements on a pooled connection (async I/O).
 */
export class PgEventRepository {
  constructor(
    private readonly pool: pg.Pool,
    /** `searchHead`: ids in a search's first window (tests use small ones). */
    private readonly opts: { substringWindow?: number; searchHead?: number } = {},
  ) {}

  static pool(url: string, max = 4, statementTimeoutMs?: number): pg.Pool {
    return new pg.Pool({ connectionString: url, max, types: PG_TYPES, application_name: 'netwatch-event-reader', statement_timeout: statementTimeoutMs });
  }

  async get(id: number): Promise<StoredEvent | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    const r = await this.pool.query<EventRow>(`SELECT ${COLUMNS} FROM events WHERE id = $1 LIMIT 1`, [id]);
    return r.rows[0] && toEvent(r.rows[0]);
  }

  async idRange(): Promise<{ minId: number | null; maxId: number | null }> {
    const r = await this.pool.query<{ minId: number | null; maxId: number | null }>('SELECT (SELECT min(id) FROM events) AS "minId", (SELECT max(id) FROM events) AS "maxId"');
    return r.rows[0]!;
  }

  async batchStored(key: string): Promise<boolean> {
    return ((await this.pool.query('SELECT 1 FROM remote_batches WHERE msg_id = $1', [key])).rowCount ?? 0) > 0;
  }

  async query(q: EventQuery): Promise<EventPage> {
    const range = await this.idRange();
    if (range.minId === null || range.maxId === null) return { items: [], nextCursor: null };
    let lo = range.minId;
    let hi = range.maxId;
    if (q.beforeId !== undefined) hi = Math.min(hi, q.beforeId - 1);
    // NUL is stored as U+FFFD (PostgreSQL text cannot hold it): looked for as such.
    const text = q.text ? q.text.toLowerCase().replace(/\u0000/g, '\uFFFD') : null;
    if (text && (q.from !== undefined || q.to !== undefined)) {
      // The id range of the time range, for the substring window (SQLite reads it from its counters).
      const r = await this.pool.query<{ lo: number | null; hi: number | null }>(
        'SELECT (SELECT min(id) FROM events WHERE received_at >= $1) AS lo, (SELECT max(id) FROM events WHERE received_at <= $2) AS hi',
        [q.from ?? -Number.MAX_VALUE, q.to ?? Number.MAX_VALUE],
      );
      lo = Math.max(lo, r.rows[0]!.lo ?? Number.MAX_SAFE_INTEGER);
      hi = Math.min(hi, r.rows[0]!.hi ?? 0);
    }
    const windowLo = text ? Math.max(lo, hi - (this.opts.substringWindow ?? SUBSTRING_WINDOW) + 1) : lo;
    if (hi < windowLo) return { items: [], nextCursor: null };

    const sources = q.source?.length && new Set(q.source).size < SOURCE_KINDS.length ? [...new Set(q.source)] : null;
    const sev = q.minSeverity ? sevIndex(q.minSeverity) : SEVERITIES.length - 1;
    const deviceId = q.deviceId !== undefined && Number.isSafeInteger(q.deviceId) ? q.deviceId : null;
    if (q.deviceId !== undefined && deviceId === null) return { items: [], nextCursor: null };
    const type = q.type ? parseTypeFilter(q.type) : null;
    // As on SQLite: a type filter with nothing before its `*` matches nothing (its index token is empty).
    if (type && type.value === '') return { items: [], nextCursor: null };

    const args: unknown[] = [hi, windowLo];
    const where = ['id <= $1', 'id >= $2'];
    const arg = (v: unknown) => `$${args.push(v)}`;
    if (sources) where.push(`source = ANY(${arg(sources)}::text[])`);
    if (sev < SEVERITIES.length - 1) where.push(`severity <= ${arg(sev)}`);
    if (deviceId !== null) where.push(`device_id = ${arg(deviceId)}`);
    if (q.from !== undefined) where.push(`received_at >= ${arg(q.from)}`);
    if (q.to !== undefined) where.push(`received_at <= ${arg(q.to)}`);
    const match: string[] = [];
    if (q.search) match.push(compileEventSearchTsquery(q.search));
    if (type) match.push(typeFilterTsquery(type));
    if (match.length) where.push(`tsv @@ ${arg(match.length === 1 ? match[0] : match.map((m) => `( ${m} )`).join(' & '))}::tsquery`);
    if (text) {
      const t = arg(text);
      where.push(`(strpos(lower(message), ${t}) > 0 OR strpos(lower(type), ${t}) > 0 OR strpos(lower(coalesce(source_address, '')), ${t}) > 0)`);
    }
    const rows = match.length ? await this.searchRows(where, args, hi, windowLo, q.limit + 1) : await this.rows(where, args, q.limit + 1);
    if (rows.length > q.limit) {
      const items = rows.slice(0, q.limit).map(toEvent);
      return { items, nextCursor: items.at(-1)!.id };
    }
    const items = rows.map(toEvent);
    if (windowLo > lo) return { items, nextCursor: windowLo, partial: true };
    return { items, nextCursor: null };
  }

  private async rows(where: string[], args: unknown[], n: number, client: pg.Pool | pg.PoolClient = this.pool): Promise<EventRow[]> {
    const sql = `SELECT ${COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${args.length + 1}`;
    return (await client.query<EventRow>(sql, [...args, n])).rows;
  }

  /**
   * A full-text query read in id windows, newest first, until the page is
   * full. The first window (SEARCH_FIRST_WINDOW ids) is read in id order
   * (bitmap scans off): a frequent word or phrase fills the page there after
   * checking at most that many rows. The next windows, each 4x the last, go
   * through the GIN index as a bitmap ANDed with the id range (plain index
   * scans off): a rare word costs a few index scans. PostgreSQL's own choice
   * failed both ways at 1 M rows: in id order over everything it walked the
   * whole table for a word that occurs nowhere (1.8 s); as one bitmap over
   * everything it rechecked every row a frequent phrase matches. Id bounds
   * are $1 (hi) and $2 (lo) of `where`.
   */
  private async searchRows(where: string[], args: unknown[], hi: number, lo: number, n: number): Promise<EventRow[]> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SET LOCAL enable_bitmapscan = off');
      let width = this.opts.searchHead ?? SEARCH_FIRST_WINDOW;
      let bottom = Math.max(lo, hi - width + 1);
      const out = await this.rows(where, [hi, bottom, ...args.slice(2)], n, c);
      if (out.length < n && bottom > lo) {
        await c.query('SET LOCAL enable_bitmapscan = on');
        await c.query('SET LOCAL enable_indexscan = off');
      }
      let top = bottom - 1;
      while (top >= lo && out.length < n) {
        width *= 4;
        bottom = Math.max(lo, top - width + 1);
        for (const r of await this.rows(where, [top, bottom, ...args.slice(2)], n - out.length, c)) out.push(r);
        top = bottom - 1;
      }
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /** One page of an export (the read op `events.exportPage`). */
  async exportPage(a: ExportPageArgs): Promise<ExportPage> {
    const page = await this.query({ ...a.filter, beforeId: a.beforeId, limit: a.limit });
    const text = formatEvents(page.items, a.format, new Map(a.deviceNames), a.header);
    return { bytes: new TextEncoder().encode(text), rows: page.items.length, nextCursor: page.nextCursor };
  }
}
