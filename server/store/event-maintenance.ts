import type { Statement } from 'better-sqlite3';
import type { SourceKind } from '../contracts/events.js';
import { normalizeAddress } from '../net/normalize-address.js';
import type { Db } from './database.js';
import { decodeParams } from './event-params.codec.js';
import { COL, EVENT_ROW_WIDTH, ftsHost, ftsVars } from './event-row.js';
import { EventCountWriter } from './event-counts.js';
import { EventFtsWriter } from './event-fts.js';
import { ftsRows, type InserterOptions } from './event-row-inserter.js';

/** The dashboard looks this far back: counters of the last hour stay even when the row cap removed their events. */
export const DASHBOARD_WINDOW_MS = 3_600_000;
/** Most unknown senders kept (least recently seen dropped first): spoofed addresses cannot grow the summary without bound. */
export const MAX_UNKNOWN_SENDERS = 10_000;

interface FrontRow {
  id: number;
  received_at: number;
  device_id: number | null;
  source_address: string | null;
}

interface StoredRow {
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

/**
 * Everything that keeps the event tables in shape, one short transaction per
 * step so that no step holds the write lock for long: retention by age and by
 * row cap (with the unknown-senders summary, the counters and the full-text
 * partitions following), indexing and counting rows stored before the
 * full-text index existed (newest first), trimming the summary, and giving
 * free pages back to the file system in steps. Runs on the writer's
 * connection (the event store thread), or on the main connection when events
 * are written there.
 */
/** How long ids of stored remote batches are kept (remote_batches). */
export const REMOTE_BATCH_KEEP_MS = 86_400_000;

export class EventMaintenance {
  private readonly s;
  private readonly fts: EventFtsWriter;
  private readonly counts: EventCountWriter;

  constructor(
    private readonly db: Db,
    opts: InserterOptions = {},
  ) {
    this.fts = new EventFtsWriter(db, { partitionRows: opts.ftsPartitionRows, partitionMaxAgeMs: opts.ftsPartitionMaxAgeMs, now: opts.now });
    this.counts = new EventCountWriter(db);
    this.s = {
      minId: db.prepare<[], { id: number }>('SELECT id FROM events ORDER BY id LIMIT 1'),
      maxId: db.prepare<[], { id: number }>('SELECT id FROM events ORDER BY id DESC LIMIT 1'),
      front: db.prepare<[number], FrontRow>('SELECT id, received_at, device_id, source_address FROM events ORDER BY id LIMIT ?'),
      deleteRange: db.prepare<[number, number]>('DELETE FROM events WHERE id >= ? AND id <= ?'),
      deleteOne: db.prepare<[number]>('DELETE FROM events WHERE id = ?'),
      oldMinutes: db.prepare<[number], { minute: number }>('SELECT minute FROM event_minutes WHERE minute < ? ORDER BY minute LIMIT 50'),
      goneMinutes: db.prepare<[number, number], { minute: number }>('SELECT minute FROM event_minutes WHERE minute < ? AND max_id < ? LIMIT 50'),
      deleteMinute: db.prepare<[number]>('DELETE FROM event_minutes WHERE minute = ?'),
      oldestSeconds: db.prepare<[number], { second: number; max_id: number }>('SELECT second, max_id FROM event_seconds ORDER BY second LIMIT ?'),
      deleteSecondsBelow: db.prepare<[number]>('DELETE FROM event_seconds WHERE second < ?'),
      deleteRemoteBatches: db.prepare<[number]>('DELETE FROM remote_batches WHERE stored_at < ?'),
      deleteMinuteCounts: db.prepare<[number]>('DELETE FROM event_counts WHERE minute = ?'),
      senderFirstId: db.prepare<[string], { first_id: number }>('SELECT first_id FROM unknown_senders WHERE address = ?'),
      subtractSender: db.prepare<[number, string]>('UPDATE unknown_senders SET count = count - ? WHERE address = ?'),
      dropEmptySender: db.prepare<[string]>('DELETE FROM unknown_senders WHERE address = ? AND count <= 0'),
      senderCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM unknown_senders'),
      trimSenders: db.prepare<[number]>('DELETE FROM unknown_senders WHERE address IN (SELECT address FROM unknown_senders ORDER BY last_seen LIMIT ?)'),
      backfill: db.prepare<[], { next_id: number; low_id: number }>('SELECT next_id, low_id FROM event_backfill WHERE id = 1'),
      backfillRows: db.prepare<[number, number, number], StoredRow>('SELECT * FROM events WHERE id <= ? AND id >= ? ORDER BY id DESC LIMIT ?'),
      backfillMove: db.prepare<[number]>('UPDATE event_backfill SET next_id = ? WHERE id = 1'),
      backfillDone: db.prepare('DELETE FROM event_backfill'),
    };
  }

  private minId(): number | null {
    return this.s.minId.get()?.id ?? null;
  }

  /** Ids at or below this are not counted yet (stored before the counters, not reached by the backfill). */
  private uncountedTo(): number {
    return this.s.backfill.get()?.next_id ?? 0;
  }

  /** Subtracts removed events from the unknown-senders summary (only events it counted). */
  private subtractSenders(rows: readonly FrontRow[]): void {
    const countedAbove = this.uncountedTo();
    const by = new Map<string, number[]>();
    for (const r of rows) {
      if (r.device_id !== null || !r.source_address || r.id <= countedAbove) continue;
      const a = normalizeAddress(r.source_address);
      const ids = by.get(a);
      if (ids) ids.push(r.id);
      else by.set(a, [r.id]);
    }
    for (const [address, ids] of by) {
      const first = this.s.senderFirstId.get(address)?.first_id;
      if (first === undefined) continue; // dismissed, or trimmed
      const n = ids.filter((id) => id >= first).length;
      if (n === 0) continue;
      this.s.subtractSender.run(n, address);
      this.s.dropEmptySender.run(address);
    }
  }

  private removeRows(rows: readonly FrontRow[]): void {
    const first = rows[0]!.id;
    const last = rows.at(-1)!.id;
    if (last - first + 1 === rows.length) this.s.deleteRange.run(first, last);
    else for (const r of rows) this.s.deleteOne.run(r.id);
    this.subtractSenders(rows);
  }

  private dropMinutes(minutes: { minute: number }[]): number {
    for (const { minute } of minutes) {
      this.s.deleteMinuteCounts.run(minute);
      this.s.deleteMinute.run(minute);
    }
    return minutes.length;
  }

  /**
   * One step of age retention: removes events received before the minute of
   * `cutoff` from the oldest end (at most `batch`); when none are left, the
   * counters of those minutes. Returns the number of events removed (fewer
   * than `batch`: done for now).
   */
  pruneOlderThan(cutoff: number, batch: number): number {
    const cutoffMinute = Math.floor(cutoff / 60_000);
    const before = cutoffMinute * 60_000;
    return this.db.transaction(() => {
      const front = this.s.front.all(batch);
      const old = front.filter((r) => r.received_at < before);
      if (old.length) this.removeRows(old);
      if (old.length < batch) this.dropMinutes(this.s.oldMinutes.all(cutoffMinute));
      return old.length;
    }).immediate();
  }

  /**
   * One step of the row cap: removes the oldest events beyond `maxRows` (at
   * most `batch`). Counters stay for the dashboard's hour (they say how many
   * events arrived, which the dashboard shows even when the cap removed them).
   */
  pruneBeyondCap(maxRows: number, batch: number): number {
    const min = this.minId();
    const max = this.s.maxId.get()?.id;
    if (min === null || max === undefined || max - min + 1 <= maxRows) return 0;
    const n = Math.min(batch, max - min + 1 - maxRows);
    return this.db.transaction(() => {
      const rows = this.s.front.all(n);
      if (rows.length) this.removeRows(rows);
      return rows.length;
    }).immediate();
  }

  /** Counters of minutes before the dashboard's window whose events are all gone (some at a time). */
  expireCounters(now: number): number {
    const minId = this.minId() ?? Number.MAX_SAFE_INTEGER;
    return this.db.transaction(() => this.dropMinutes(this.s.goneMinutes.all(Math.floor((now - DASHBOARD_WINDOW_MS) / 60_000), minId))).immediate();
  }

  /**
   * Drops the oldest per-second id entries whose events are all gone (up to
   * `batch`, from the oldest second on); returns how many.
   */
  /** Forgets remote batch ids stored more than a day before `now` (a redelivery comes long before). */
  expireRemoteBatches(now: number): number {
    return this.db.transaction(() => this.s.deleteRemoteBatches.run(now - REMOTE_BATCH_KEEP_MS).changes).immediate();
  }

  expireSeconds(batch = 1000): number {
    const minId = this.minId() ?? Number.MAX_SAFE_INTEGER;
    const oldest = this.s.oldestSeconds.all(batch);
    let upTo: number | null = null;
    let n = 0;
    for (const s of oldest) {
      if (s.max_id >= minId) break;
      upTo = s.second;
      n++;
    }
    if (upTo !== null) this.db.transaction(() => this.s.deleteSecondsBelow.run(upTo! + 1)).immediate();
    return n;
  }

  /** Drops one full-text partition whose events are all gone. */
  dropIndexPartition(): boolean {
    return this.db.transaction(() => this.fts.dropOneBelow(this.minId())).immediate();
  }

  /** Keeps the unknown-senders summary within MAX_UNKNOWN_SENDERS (least recently seen go first), `step` at a time. */
  trimSenders(max = MAX_UNKNOWN_SENDERS, step = 5000): number {
    const over = this.s.senderCount.get()!.n - max;
    return over > 0 ? this.s.trimSenders.run(Math.min(over, step)).changes : 0;
  }

  /** Whether rows stored before the full-text index still wait to be indexed and counted. */
  backfillPending(): boolean {
    return this.s.backfill.get() !== undefined;
  }

  /**
   * Indexes and counts up to `batch` rows stored before migration 0010, newest
   * first (the ones searched and shown most). Returns the number done; 0 when
   * nothing is left.
   */
  backfillStep(batch: number): number {
    return this.db.transaction(() => {
      const b = this.s.backfill.get();
      if (!b) return 0;
      const low = Math.max(b.low_id, this.minId() ?? Number.MAX_SAFE_INTEGER);
      const rows = b.next_id >= low ? this.s.backfillRows.all(b.next_id, low, batch) : [];
      if (rows.length === 0) {
        this.s.backfillDone.run();
        return 0;
      }
      const flat = backfillRows(rows);
      this.fts.addOldest(ftsRows(flat), rows.at(-1)!.id, rows[0]!.id);
      this.counts.add(flat);
      this.s.backfillMove.run(rows.at(-1)!.id - 1);
      return rows.length;
    }).immediate();
  }

  /**
   * Gives up to `pages` free pages back to the file system when free pages
   * are more than `keepFraction` of the file (databases created with
   * auto_vacuum = INCREMENTAL; others reuse free pages but never shrink).
   * Returns the number of pages freed.
   */
  vacuumStep(pages = 512, keepFraction = 0.2): number {
    if ((this.db.pragma('auto_vacuum', { simple: true }) as number) !== 2) return 0;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const total = this.db.pragma('page_count', { simple: true }) as number;
    if (free <= Math.max(1024, total * keepFraction)) return 0;
    this.db.pragma(`incremental_vacuum(${Math.min(pages, free)})`);
    return free - (this.db.pragma('freelist_count', { simple: true }) as number);
  }
}

/** Stored rows as the flat rows of the write path (params decoded for the full-text fields). */
function backfillRows(rows: readonly StoredRow[]): unknown[] {
  const out: unknown[] = new Array(rows.length * EVENT_ROW_WIDTH);
  for (let i = 0, at = 0; i < rows.length; i++, at += EVENT_ROW_WIDTH) {
    const r = rows[i]!;
    let params: Record<string, unknown> = {};
    try {
      params = decodeParams(r.params, { source: r.source, type: r.type, sourceAddress: r.source_address });
    } catch {
      // unreadable params: the row is still indexed by its message and type
    }
    out[at + COL.id] = r.id;
    out[at + COL.receivedAt] = r.received_at;
    out[at + COL.reportedAt] = r.reported_at;
    out[at + COL.source] = r.source;
    out[at + COL.sourceAddress] = r.source_address;
    out[at + COL.deviceId] = r.device_id;
    out[at + COL.severity] = r.severity;
    out[at + COL.type] = r.type;
    out[at + COL.message] = r.message;
    out[at + COL.params] = r.params;
    out[at + COL.ftsHost] = ftsHost(params, r.source_address);
    out[at + COL.ftsApp] = typeof params.appName === 'string' ? params.appName : null;
    out[at + COL.ftsVars] = ftsVars(params);
  }
  return out;
}
