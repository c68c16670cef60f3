/**
 * The event store thread's write path and the bytes each event costs on disk:
 * fills a new database with N realistic events (test/bench/lib/realistic-events.ts,
 * parsed by the real syslog parser and trap converter) through
 * `EventRowInserter` in batches of 1,000, as the store thread does, then
 * checkpoints and divides the file size by N. Prints events/s stored (wall and
 * per CPU-second of this thread) and the size of each table and index (dbstat).
 *
 *   npx tsx test/bench/event-store.bench.ts [events=500000]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '../../server/contracts/events.js';
import { MIGRATIONS_DIR } from '../../server/paths.js';
import { openDatabase } from '../../server/store/database.js';
import { EventRowInserter, eventRows } from '../../server/store/event.repository.js';
import { migrate, readMigrations } from '../../server/store/migrate.js';
import { realisticEvents } from './lib/realistic-events.js';

const N = Number(process.argv[2] ?? 500_000);
const BATCH = 1000;
const dir = mkdtempSync(join(tmpdir(), 'nw-store-bench-'));
const file = join(dir, 'netwatch.db');
const db = openDatabase(file);
migrate(db, readMigrations(MIGRATIONS_DIR));
const inserter = new EventRowInserter(db);

// Rows are made up front (the main thread's work): only the store thread's part is timed.
const batches: unknown[][] = [];
let id = 1;
let messageBytes = 0;
let batch: StoredEvent[] = [];
for (const e of realisticEvents(N, { perSecond: 2000 })) {
  messageBytes += Buffer.byteLength(e.message);
  batch.push(Object.assign(e, { id: id++ }));
  if (batch.length === BATCH) {
    batches.push(eventRows(batch));
    batch = [];
  }
}
if (batch.length) batches.push(eventRows(batch));

let slowest = 0;
const c0 = process.cpuUsage();
const t0 = performance.now();
for (const rows of batches) {
  const b0 = performance.now();
  inserter.insert(rows);
  slowest = Math.max(slowest, performance.now() - b0);
}
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(c0);
db.pragma('wal_checkpoint(TRUNCATE)');
const bytes = statSync(file).size;
const objects = db
  .prepare<[], { name: string; bytes: number }>("SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE aggregate = FALSE GROUP BY name ORDER BY bytes DESC")
  .all()
  .filter((o) => o.bytes > 64 * 1024)
  .map((o) => ({ name: o.name, bytesPerEvent: Math.round((o.bytes / N) * 10) / 10 }));
db.close();
rmSync(dir, { recursive: true, force: true });

process.stdout.write(
  JSON.stringify({
    bench: 'event-store',
    events: N,
    eventsPerS: Math.round((N / wallMs) * 1000),
    eventsPerCpuS: Math.round((N / (cpu.user + cpu.system)) * 1e6),
    usPerEvent: Math.round(((cpu.user + cpu.system) / N) * 100) / 100,
    slowestBatchMs: Math.round(slowest * 10) / 10,
    bytesPerEvent: Math.round((bytes / N) * 10) / 10,
    avgMessageBytes: Math.round(messageBytes / N),
    objects,
    loadAvg1m: Math.round(loadavg()[0]! * 100) / 100,
  }) + '\n',
);
