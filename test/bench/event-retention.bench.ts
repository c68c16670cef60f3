/**
 * Retention at storm rates, through the real event store thread: fills a new
 * database to a row cap, then keeps handing it batches of 1,000 realistic
 * events as fast as it takes them (four batches in flight) while it removes
 * the oldest beyond the cap after every batch and drops emptied full-text
 * partitions. Prints the rate the thread sustains at the cap (insert +
 * retention), the longest write transaction of each kind (how long the write
 * lock is held at most), and the file size at the start and end of the
 * capped phase (it should not grow).
 *
 *   npx tsx test/bench/event-retention.bench.ts [cap=1000000] [events past the cap=2000000]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '../../server/contracts/events.js';
import { MIGRATIONS_DIR } from '../../server/paths.js';
import { openDatabase } from '../../server/store/database.js';
import { eventRows } from '../../server/store/event-row.js';
import { openEventStoreThread } from '../../server/store/event-store-thread.js';
import { migrate, readMigrations } from '../../server/store/migrate.js';
import { realisticEvents } from './lib/realistic-events.js';

const CAP = Number(process.argv[2] ?? 1_000_000);
const PAST = Number(process.argv[3] ?? 2_000_000);
const BATCH = 1000;
const dir = mkdtempSync(join(tmpdir(), 'nw-retention-bench-'));
const file = join(dir, 'netwatch.db');
const db = openDatabase(file);
migrate(db, readMigrations(MIGRATIONS_DIR));
db.close();

// A pool of prepared rows, reused with new ids and times (making 3 M events up front costs more than the run).
const pool = [...realisticEvents(100_000, { perSecond: 100_000, startMs: Date.now() - 3_600_000 })];
let nextId = 1;
function batch(): unknown[] {
  const out: StoredEvent[] = [];
  const now = Date.now();
  for (let i = 0; i < BATCH; i++) {
    const e = pool[(nextId - 1) % pool.length]!;
    out.push({ ...e, id: nextId++, receivedAt: now });
  }
  return eventRows(out);
}
const size = () => statSync(file).size + statSync(`${file}-wal`, { throwIfNoEntry: false })!.size;

const sink = await openEventStoreThread(file, { retention: { maxAgeMs: 30 * 86_400_000, maxRows: CAP }, maintenanceIntervalMs: 1000 });
async function pump(n: number): Promise<number> {
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let done = 0; done < n; done += BATCH) {
    inFlight.push(sink.insert(batch()));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return performance.now() - t0;
}

const fillMs = await pump(CAP);
await sink.maintain();
const atCap = size();
const before = sink.counters();
// The capped phase in quarters, with the file size after each.
let cappedMs = 0;
const sizes: number[] = [];
for (let q = 0; q < 4; q++) {
  cappedMs += await pump(PAST / 4);
  await sink.maintain();
  sizes.push(Math.round(size() / 1e5) / 10);
}
const after = await sink.maintain();
const end = size();
await sink.close();
rmSync(dir, { recursive: true, force: true });

process.stdout.write(
  JSON.stringify({
    bench: 'event-retention',
    cap: CAP,
    eventsPastCap: PAST,
    fillEventsPerS: Math.round((CAP / fillMs) * 1000),
    atCapEventsPerS: Math.round((PAST / cappedMs) * 1000),
    removedAtCap: after.retention_cap_removed! - (before.retention_cap_removed ?? 0),
    partitionsDropped: after.index_partitions_dropped,
    longestInsertMs: after.longest_insert_ms,
    longestRetentionMs: after.longest_retention_ms,
    longestPartitionDropMs: after.longest_partition_drop_ms,
    longestVacuumMs: after.longest_vacuum_ms,
    longestCheckpointMs: after.longest_checkpoint_ms,
    fileMbAtCap: Math.round(atCap / 1e5) / 10,
    fileMbAtEnd: Math.round(end / 1e5) / 10,
    fileMbEachQuarter: sizes,
    loadAvg1m: Math.round(loadavg()[0]! * 100) / 100,
  }) + '\n',
);
