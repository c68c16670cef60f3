/**
 * Event store thread: its own connection to the database and the only writer
 * of events. It inserts event rows (ids assigned by the main thread) with
 * their full-text entries, counters and unknown-sender summary, one
 * transaction per batch, so the main thread parses, classifies and serves the
 * API while SQLite writes and syncs. Between batches it keeps the tables in
 * shape in short steps: the row cap right after each batch (so retention
 * keeps up with any intake rate), age retention, dropping emptied full-text
 * partitions, counting rows from before the upgrade, returning free pages.
 * Protocol: see event-store-thread.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './database.js';
import { EventMaintenance } from './event-maintenance.js';
import { EVENT_ROW_WIDTH } from './event-row.js';
import { EventRowInserter } from './event-row-inserter.js';
import type { EventStoreOptions } from './event-store-thread.js';

const port = parentPort!;
const { file, options } = workerData as { file: string; options: EventStoreOptions };
const CAP_BATCH = 2000;
const AGE_BATCH = 2000;
const BACKFILL_BATCH = 1000;

const stats = {
  retention_removed: 0,
  retention_age_removed: 0,
  retention_cap_removed: 0,
  counter_minutes_expired: 0,
  index_partitions_dropped: 0,
  unknown_senders_trimmed: 0,
  backfill_rows: 0,
  backfill_pending: 0,
  vacuum_pages: 0,
  maintenance_errors: 0,
  /** Longest single write transaction by kind (ms): how long the write lock was held at most (checkpoints hold none). */
  longest_insert_ms: 0,
  longest_retention_ms: 0,
  longest_partition_drop_ms: 0,
  longest_backfill_ms: 0,
  longest_vacuum_ms: 0,
  longest_checkpoint_ms: 0,
};
type Longest = 'longest_insert_ms' | 'longest_retention_ms' | 'longest_partition_drop_ms' | 'longest_backfill_ms' | 'longest_vacuum_ms' | 'longest_checkpoint_ms';

function timed<T>(kind: Longest, fn: () => T): T {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    const ms = Math.round((performance.now() - t0) * 10) / 10;
    if (ms > stats[kind]) stats[kind] = ms;
  }
}

const immediate = () => new Promise<void>((r) => setImmediate(r));
/** Batches between checkpoints (~1,000 events each: a few MiB of WAL). */
const CHECKPOINT_EVERY = 8;
let batchesSinceCheckpoint = 0;

/**
 * Copies the WAL into the database without waiting for readers (PASSIVE). No
 * connection checkpoints by itself (the main one neither): this is the only
 * place, so its cost is counted apart from the write transactions.
 */
function checkpoint(): void {
  batchesSinceCheckpoint = 0;
  timed('longest_checkpoint_ms', () => db.pragma('wal_checkpoint(PASSIVE)'));
}
let db: ReturnType<typeof openDatabase>;
let inserter: EventRowInserter;
let maint: EventMaintenance;
let closed = false;
try {
  db = openDatabase(file);
  // Checkpoints are run here, timed on their own, rather than by SQLite right after a commit.
  db.pragma('wal_autocheckpoint = 0');
  inserter = new EventRowInserter(db, options);
  maint = new EventMaintenance(db, options);
  port.postMessage({ type: 'ready' });
} catch (err) {
  port.postMessage({ type: 'open-error', message: (err as Error).message });
}

function failed(err: unknown): void {
  stats.maintenance_errors++;
  port.postMessage({ type: 'maintenance-error', message: (err as Error).message });
}

/** After a batch: back under the row cap (removing up to twice what came in, in short steps). */
function keepCap(inserted: number): void {
  const maxRows = options.retention?.maxRows;
  if (!maxRows) return;
  let budget = Math.max(CAP_BATCH, inserted * 2);
  let removed = 0;
  while (budget > 0) {
    const n = timed('longest_retention_ms', () => maint.pruneBeyondCap(maxRows, Math.min(CAP_BATCH, budget)));
    removed += n;
    budget -= CAP_BATCH;
    if (n < CAP_BATCH) break;
  }
  stats.retention_removed += removed;
  stats.retention_cap_removed += removed;
  if (removed && timed('longest_partition_drop_ms', () => maint.dropIndexPartition())) stats.index_partitions_dropped++;
}

let maintaining: Promise<void> | null = null;
/** One round of upkeep; a round asked for while one runs starts after it. */
function maintain(): Promise<void> {
  const next = (maintaining ?? Promise.resolve()).then(upkeep);
  maintaining = next.finally(() => {
    if (maintaining === next) maintaining = null;
  });
  return next;
}

/** Age retention, expired counters, emptied partitions, the summary's bound, free pages: step by step. */
async function upkeep(): Promise<void> {
  if (closed) return;
  try {
    const r = options.retention;
    while (r && !closed) {
      const n = timed('longest_retention_ms', () => maint.pruneOlderThan(Date.now() - r.maxAgeMs, AGE_BATCH));
      stats.retention_removed += n;
      stats.retention_age_removed += n;
      if (n < AGE_BATCH) break;
      await immediate();
    }
    while (!closed) {
      const n = timed('longest_retention_ms', () => maint.expireCounters(Date.now()));
      stats.counter_minutes_expired += n;
      if (n === 0) break;
      await immediate();
    }
    while (!closed) {
      const n = timed('longest_retention_ms', () => maint.expireSeconds());
      if (n === 0) break;
      await immediate();
    }
    if (!closed) timed('longest_retention_ms', () => maint.expireRemoteBatches(Date.now()));
    while (!closed && timed('longest_partition_drop_ms', () => maint.dropIndexPartition())) {
      stats.index_partitions_dropped++;
      await immediate();
    }
    while (!closed) {
      const n = timed('longest_retention_ms', () => maint.trimSenders());
      stats.unknown_senders_trimmed += n;
      if (n === 0) break;
      await immediate();
    }
    if (!closed) checkpoint();
    for (let i = 0; i < 16 && !closed; i++) {
      const pages = timed('longest_vacuum_ms', () => maint.vacuumStep());
      stats.vacuum_pages += pages;
      if (pages === 0) break;
      await immediate();
    }
  } catch (err) {
    failed(err);
  }
}

/** Rows from before the upgrade: indexed and counted newest first, between batches. */
async function backfill(): Promise<void> {
  try {
    stats.backfill_pending = maint.backfillPending() ? 1 : 0;
    while (!closed && stats.backfill_pending) {
      const n = timed('longest_backfill_ms', () => maint.backfillStep(BACKFILL_BATCH));
      stats.backfill_rows += n;
      if (n === 0) stats.backfill_pending = 0;
      await immediate();
    }
  } catch (err) {
    failed(err);
  }
}

const tick = setInterval(() => {
  if (!maintaining) void maintain();
}, options.maintenanceIntervalMs ?? 10_000);
const report = setInterval(() => port.postMessage({ type: 'stats', stats }), 1000);
if (maint!) {
  void backfill();
  void maintain();
}

port.on('message', (m: { type: 'insert'; seq: number; rows: unknown[]; keys?: string[] } | { type: 'maintain' } | { type: 'close' }) => {
  if (m.type === 'close') {
    closed = true;
    clearInterval(tick);
    clearInterval(report);
    port.postMessage({ type: 'stats', stats });
    db?.close();
    port.postMessage({ type: 'closed' });
    port.close();
    return;
  }
  if (m.type === 'maintain') {
    void maintain().then(() => port.postMessage({ type: 'maintained', stats }));
    return;
  }
  try {
    timed('longest_insert_ms', () => inserter.insert(m.rows, m.keys));
    port.postMessage({ type: 'stored', seq: m.seq });
  } catch (err) {
    port.postMessage({ type: 'failed', seq: m.seq, message: (err as Error).message });
    return;
  }
  try {
    keepCap(m.rows.length / EVENT_ROW_WIDTH);
    if (++batchesSinceCheckpoint >= CHECKPOINT_EVERY) checkpoint();
  } catch (err) {
    failed(err);
  }
});
