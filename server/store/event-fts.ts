import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import type { StatementCache } from './event-query.js';
import { encodeTypeToken } from './event-search.parser.js';

/**
 * The full-text index of events: FTS5 tables `events_fts_<part>` (contentless,
 * no per-row sizes), each for a range of event ids listed in
 * `event_fts_parts`. Columns: message, type (the encoded whole-type token
 * first, then the type's words), host (syslog hostname, else the sender
 * address), app (syslog app-name), vars (trap varbind values, structured-data
 * values), tags (words for the filters: `src<source>`, `sev<n>` for warning
 * and worse, `dev<id>`; never matched by a search, which names the other
 * columns).
 *
 * Retention drops a partition once every event in its range is gone: one
 * DROP per ~131,000 events instead of a delete per row, which FTS5 makes
 * expensive (10-20 us a row, with stalls of up to a second at a time measured
 * here). Until then a partition may still hold entries of removed events:
 * searches only look at ids that still exist, so they never show.
 */

/** Events per partition (a new one is started beyond this), at least. */
export const FTS_PARTITION_ROWS = 131_072;
/** Partitions a search reads at most at the row cap: larger caps get larger partitions (10 M -> 32 of 312,500). */
export const FTS_PARTITIONS_AT_CAP = 32;

/**
 * Partition size for a row cap: a search queries every partition that may hold a match, so their
 * number is bounded (each costs a query); the price is coarser retention of index entries (at most
 * one partition of entries for removed events, never shown).
 */
export function partitionRowsFor(maxRows: number): number {
  return Math.max(FTS_PARTITION_ROWS, Math.ceil(maxRows / FTS_PARTITIONS_AT_CAP));
}
/** A partition is also closed after a day, so a quiet server drops old index entries soon after their events. */
export const FTS_PARTITION_MAX_AGE_MS = 86_400_000;

export interface FtsPart {
  part: number;
  minId: number;
  maxId: number;
  createdAt: number;
}

/** Values per row handed to `EventFtsWriter.add`: rowid, message, type, host, app, vars, tags. */
export const FTS_ROW_WIDTH = 7;

/** Filter words: an event's source, its severity when warning (3) or worse, its device. */
export const tag = {
  source: (source: string) => `src${source}`,
  severity: (severity: number) => `sev${severity}`,
  device: (deviceId: number) => `dev${deviceId}`,
};
/** Severities with a tag (info and debug are most events: read in id order and checked). */
export const TAGGED_SEVERITY_MAX = 3;

export function ftsTags(source: string, severity: number, deviceId: number | null): string {
  let t = tag.source(source);
  if (severity <= TAGGED_SEVERITY_MAX) t += ` ${tag.severity(severity)}`;
  if (deviceId !== null) t += ` ${tag.device(deviceId)}`;
  return t;
}
const CHUNK = 64;

const tableOf = (part: number): string => {
  if (!Number.isSafeInteger(part) || part < 1) throw new Error(`bad FTS partition number ${part}`);
  return `events_fts_${part}`;
};

/**
 * The text of the FTS `type` column: the whole type as one token (for
 * `type:`), then its words unless the message or the app-name has them
 * already (Cisco messages start with their tag, Linux types are the app-name).
 */
export function ftsType(type: string, message: string, app: string | null): string {
  if (!type) return '';
  const token = encodeTypeToken(type);
  return type === app || message.includes(type) ? token : `${token} ${type}`;
}

/** Reading the partitions: which exist, and matching ids in a range. Works on a read-only connection. */
export class EventFtsIndex {
  private readonly list: Statement<[], FtsPart>;
  private readonly searches = new Map<number, Statement<[string, number, number, number], { id: number }>>();

  constructor(
    private readonly db: Db,
    private readonly stmts: StatementCache,
  ) {
    this.list = db.prepare('SELECT part, min_id AS minId, max_id AS maxId, created_at AS createdAt FROM event_fts_parts ORDER BY max_id DESC');
  }

  /** Newest range first. */
  parts(): FtsPart[] {
    const parts = this.list.all();
    // Statements of dropped partitions go (a partition starts every ~1.3 s at 100,000 events/s).
    if (this.searches.size > parts.length) {
      const live = new Set(parts.map((p) => p.part));
      for (const part of this.searches.keys()) if (!live.has(part)) this.searches.delete(part);
    }
    return parts;
  }

  /** Ids in [lo, ceiling] matching `match`, newest first, at most `n`, over `parts` (as `parts()` gave them). */
  search(parts: readonly FtsPart[], match: string, ceiling: number, lo: number, n: number): number[] {
    const out: number[] = [];
    for (const p of parts) {
      if (p.maxId < lo) break;
      if (p.minId > ceiling) continue;
      const t = tableOf(p.part);
      const sql = `SELECT rowid AS id FROM ${t} WHERE ${t} MATCH ? AND rowid <= ? AND rowid >= ? ORDER BY rowid DESC LIMIT ?`;
      this.stmts.record?.add(sql);
      let stmt = this.searches.get(p.part);
      if (!stmt) this.searches.set(p.part, (stmt = this.db.prepare(sql)));
      for (const r of stmt.all(match, Math.min(ceiling, p.maxId), Math.max(lo, p.minId), n - out.length)) out.push(r.id);
      if (out.length >= n) break;
    }
    return out;
  }
}

/**
 * Writing the partitions, on the writer's connection, inside the caller's
 * transaction: new rows into the newest partition (started when needed), old
 * rows (indexed after an upgrade) into the oldest, and dropping partitions.
 */
export class EventFtsWriter {
  private readonly s;
  private inserts: { part: number; one: Statement; chunk: Statement } | null = null;

  constructor(
    private readonly db: Db,
    private readonly opts: { partitionRows?: number; partitionMaxAgeMs?: number; now?: () => number } = {},
  ) {
    this.s = {
      newest: db.prepare<[], FtsPart>('SELECT part, min_id AS minId, max_id AS maxId, created_at AS createdAt FROM event_fts_parts ORDER BY max_id DESC LIMIT 1'),
      oldest: db.prepare<[], FtsPart>('SELECT part, min_id AS minId, max_id AS maxId, created_at AS createdAt FROM event_fts_parts ORDER BY min_id LIMIT 1'),
      create: db.prepare<[number, number, number]>('INSERT INTO event_fts_parts (min_id, max_id, created_at) VALUES (?, ?, ?)'),
      extend: db.prepare<[number, number, number]>('UPDATE event_fts_parts SET min_id = min(min_id, ?), max_id = max(max_id, ?) WHERE part = ?'),
      expired: db.prepare<[number], { part: number }>('SELECT part FROM event_fts_parts WHERE max_id < ? ORDER BY max_id LIMIT 1'),
      remove: db.prepare<[number]>('DELETE FROM event_fts_parts WHERE part = ?'),
    };
  }

  private get rowsPerPart(): number {
    return this.opts.partitionRows ?? FTS_PARTITION_ROWS;
  }

  private newPart(minId: number, maxId: number): number {
    const part = Number(this.s.create.run(minId, maxId, (this.opts.now ?? Date.now)()).lastInsertRowid);
    const t = tableOf(part);
    this.db.exec(`CREATE VIRTUAL TABLE ${t} USING fts5(message, type, host, app, vars, tags, content='', columnsize=0)`);
    // Merge less often (16 segments a level, not 4): ~20 % less work per insert, searches as fast at this partition size.
    this.db.exec(`INSERT INTO ${t} (${t}, rank) VALUES ('automerge', 16)`);
    this.db.exec(`INSERT INTO ${t} (${t}, rank) VALUES ('crisismerge', 32)`);
    return part;
  }

  private insertInto(part: number, rows: unknown[]): void {
    if (this.inserts?.part !== part) {
      const t = tableOf(part);
      const sql = `INSERT INTO ${t} (rowid, message, type, host, app, vars, tags) VALUES `;
      const row = '(?, ?, ?, ?, ?, ?, ?)';
      this.inserts = { part, one: this.db.prepare(sql + row), chunk: this.db.prepare(sql + Array.from({ length: CHUNK }, () => row).join(', ')) };
    }
    const n = rows.length / FTS_ROW_WIDTH;
    let i = 0;
    for (; i + CHUNK <= n; i += CHUNK) this.inserts.chunk.run(rows.slice(i * FTS_ROW_WIDTH, (i + CHUNK) * FTS_ROW_WIDTH));
    for (; i < n; i++) this.inserts.one.run(rows.slice(i * FTS_ROW_WIDTH, (i + 1) * FTS_ROW_WIDTH));
  }

  /** Rows of new events (ids ascending, above every indexed id). */
  addNewest(rows: unknown[], firstId: number, lastId: number): void {
    if (rows.length === 0) return;
    const p = this.s.newest.get();
    const now = (this.opts.now ?? Date.now)();
    const fits = p && p.maxId < firstId && lastId - p.minId < this.rowsPerPart && now - p.createdAt < (this.opts.partitionMaxAgeMs ?? FTS_PARTITION_MAX_AGE_MS);
    const part = fits ? p.part : this.newPart(firstId, lastId);
    this.insertInto(part, rows);
    this.s.extend.run(firstId, lastId, part);
  }

  /** Rows of events stored before the index existed (ids descending, below every indexed id). */
  addOldest(rows: unknown[], lowId: number, highId: number): void {
    if (rows.length === 0) return;
    const p = this.s.oldest.get();
    const fits = p && p.minId > highId && p.maxId - lowId < this.rowsPerPart;
    const part = fits ? p.part : this.newPart(lowId, highId);
    this.insertInto(part, rows);
    this.s.extend.run(lowId, highId, part);
  }

  /**
   * Drops one partition whose events are all gone (every id below `minId`, the
   * oldest event kept; null when there are none). Returns whether it dropped one.
   */
  dropOneBelow(minId: number | null): boolean {
    const p = this.s.expired.get(minId ?? Number.MAX_SAFE_INTEGER);
    if (!p) return false;
    if (this.inserts?.part === p.part) this.inserts = null;
    this.db.exec(`DROP TABLE ${tableOf(p.part)}`);
    this.s.remove.run(p.part);
    return true;
  }
}
