/**
 * How the events page's filters are answered from indexes, newest first,
 * whatever the table size. The full-text index holds, besides the text, a
 * word per source, per severity of warning or worse and per device (the
 * `tags` column), so source, severity, device, type and search together are
 * ONE full-text query that FTS5 answers in rowid order (it intersects and
 * merges its doclists itself), read in chunks as a stream of ids. A time range
 * becomes an id range through event_minutes. What the index cannot say
 * exactly (the type behind its token, the exact time, info/debug) is checked
 * on the rows found; with no indexed filter, events are read in id order with
 * the conditions checked in SQL. Rows stored before the index existed and not
 * reached by the backfill yet are read that way too (streams of disjoint id
 * regions are merged; several streams are intersected by leapfrogging).
 *
 * Every call examines a bounded number of index entries (SCAN_BUDGET); the
 * explicit substring match examines a bounded window of events
 * (SUBSTRING_WINDOW). A call that stops on its bound answers what it found,
 * with `partial: true` and a cursor to continue below.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import type { EventFtsIndex, FtsPart } from './event-fts.js';

/** Index entries (and rows, 4 each) one call may examine. */
export const SCAN_BUDGET = 250_000;
/** Events one `match=substring` call may examine. */
export const SUBSTRING_WINDOW = 100_000;
/** Ids covered by one read of a stream in id order that checks rows itself. */
const ID_SPAN = 8192;
const FIRST_CHUNK = 32;
const MAX_CHUNK = 4096;

export class ScanLimit extends Error {
  /**
   * The highest id still undecided when the budget ran out: a stream that
   * read on and found nothing proved every id above it (up to where it was
   * asked) absent, so a next call may continue from there.
   */
  undecided = Number.POSITIVE_INFINITY;
}

export class Meter {
  n = 0;
  /**
   * Set once the walk has decided an id. Until then a read that found ids is
   * not stopped, so every call gets at least one id further than where it
   * began whatever the budget (a read that found nothing is stopped: its
   * ScanLimit says how far it got).
   */
  armed = false;
  constructor(readonly budget: number) {}
  add(k: number, found = false): void {
    this.n += k;
    if (this.n > this.budget && (this.armed || !found)) throw new ScanLimit('scan budget spent');
  }
}

/** One read: ids in [floor, ceiling] of the stream, newest first (all of them in that range). */
export interface Chunk {
  ids: number[];
  floor: number;
}

export interface IdStream {
  /** The largest id of the stream at or below `x` (and at or above its low bound), or null. */
  seek(x: number): number | null;
}

/** A stream read from SQL in chunks that grow while it is read in order. */
export class ChunkedStream implements IdStream {
  private buf: number[] = [];
  private pos = 0;
  private ceil = -1;
  private floor = Number.POSITIVE_INFINITY;
  private size = FIRST_CHUNK;

  constructor(
    private readonly read: (ceiling: number, n: number) => Chunk,
    private readonly lo: number,
    private readonly meter: Meter,
    /** Meter units per read beyond the ids returned (a read in id order covers up to ID_SPAN ids). */
    private readonly readCost: (c: Chunk, ceiling: number) => number = (c) => c.ids.length + 1,
  ) {}

  seek(x: number): number | null {
    if (x < this.lo) return null;
    // Within the last read, or just below it (the caller moved past the last id returned): reading on in order.
    if (x <= this.ceil && x >= this.floor - 1) {
      while (this.pos < this.buf.length && this.buf[this.pos]! > x) this.pos++;
      if (this.pos < this.buf.length) return this.buf[this.pos]!;
      if (this.floor <= this.lo) return null;
      x = this.floor - 1;
      this.size = Math.min(this.size * 4, MAX_CHUNK);
    } else if (this.ceil >= 0) {
      this.size = FIRST_CHUNK; // a jump: read a little first
    }
    for (;;) {
      const c = this.read(x, this.size);
      this.buf = c.ids;
      this.pos = 0;
      this.ceil = x;
      this.floor = c.floor;
      try {
        this.meter.add(this.readCost(c, x), c.ids.length > 0);
      } catch (err) {
        // What this read covered is decided: nothing of this stream between its first id (or its floor) and `x`.
        if (err instanceof ScanLimit) err.undecided = Math.min(err.undecided, c.ids.length ? c.ids[0]! : c.floor - 1);
        throw err;
      }
      if (c.ids.length) return c.ids[0]!;
      if (c.floor <= this.lo) return null;
      x = c.floor - 1;
    }
  }
}

/** Ids in any of the streams (a multi-valued filter). */
export class UnionStream implements IdStream {
  constructor(private readonly parts: IdStream[]) {}
  seek(x: number): number | null {
    let best: number | null = null;
    let limit: ScanLimit | null = null;
    for (const p of this.parts) {
      try {
        const y = p.seek(x);
        if (y !== null && (best === null || y > best)) best = y;
      } catch (err) {
        if (!(err instanceof ScanLimit)) throw err;
        // This part has nothing between its bound and x; the others are still asked.
        const bound = err.undecided === Number.POSITIVE_INFINITY ? x : err.undecided;
        if (!limit || bound > limit.undecided) (limit = err).undecided = bound;
      }
    }
    // Every part either answered or has nothing above its bound: an answer above every bound is the union's.
    if (limit && (best === null || best <= limit.undecided)) throw limit;
    return best;
  }
}

/** Ids in all the streams: leapfrog. `x` is where it is: every id above it has been decided. */
export class Intersection {
  constructor(
    private readonly streams: IdStream[],
    public x: number,
  ) {}

  /** The next id (descending) in every stream, or null. */
  next(): number | null {
    let agreed = 0;
    let k = 0;
    while (agreed < this.streams.length) {
      const y = this.streams[k]!.seek(this.x);
      if (y === null) return null;
      if (y === this.x) agreed++;
      else {
        this.x = y;
        agreed = 1;
      }
      k = (k + 1) % this.streams.length;
    }
    return this.x;
  }
}

/** Prepared statements by SQL text, per connection; `record` collects the SQL a query runs (for EXPLAIN). */
export class StatementCache {
  private readonly m = new Map<string, Statement>();
  record: Set<string> | null = null;
  constructor(private readonly db: Db) {}
  get<P extends unknown[], R>(sql: string): Statement<P, R> {
    this.record?.add(sql);
    let s = this.m.get(sql);
    if (!s) this.m.set(sql, (s = this.db.prepare(sql)));
    return s as Statement<P, R>;
  }
}

/** A stream that only looks at ids up to `cap` (a region of the id range). */
export class CappedStream implements IdStream {
  constructor(
    private readonly inner: IdStream,
    private readonly cap: number,
  ) {}
  seek(x: number): number | null {
    return this.inner.seek(Math.min(x, this.cap));
  }
}

/** Streams over the full-text partitions and over `events` in id order. */
export class StreamFactory {
  constructor(
    private readonly stmts: StatementCache,
    private readonly fts: EventFtsIndex,
    private readonly meter: Meter,
  ) {}

  /** Ids in [lo, …] the full-text index matches (`match` is our own syntax, never user text). */
  fullText(match: string, parts: readonly FtsPart[], lo: number): IdStream {
    return new ChunkedStream(
      (ceiling, n) => {
        const ids = this.fts.search(parts, match, ceiling, lo, n);
        return { ids, floor: ids.length === n ? ids.at(-1)! : lo };
      },
      lo,
      this.meter,
    );
  }

  /**
   * Every id in [lo, …] in order, with conditions checked on the rows in SQL
   * (`where`, using `args`), a window of ID_SPAN ids per read: the stream for
   * filters no index answers (info/debug, a substring, rows not indexed yet).
   */
  byId(where: string, args: unknown[], lo: number): IdStream {
    const sql = `SELECT id FROM events WHERE id <= ? AND id >= ?${where ? ` AND ${where}` : ''} ORDER BY id DESC LIMIT ?`;
    const stmt = this.stmts.get<unknown[], { id: number }>(sql);
    return new ChunkedStream(
      (ceiling, n) => {
        const floor = Math.max(lo, ceiling - ID_SPAN + 1);
        const ids = stmt.all(ceiling, floor, ...args, n).map((r) => r.id);
        return { ids, floor: ids.length === n ? ids.at(-1)! : floor };
      },
      lo,
      this.meter,
      (c, ceiling) => (ceiling - c.floor + 1) / 2 + 1,
    );
  }
}
