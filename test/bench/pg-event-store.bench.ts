/**
 * Events on PostgreSQL vs the SQLite event store, side by side, the same rows:
 * N realistic events (lib/realistic-events.ts, ids assigned as the main thread
 * does) in batches of 1,000, written by the SQLite write path
 * (EventRowInserter, what the SQLite store thread runs) and by PgEventWriter
 * (what the PostgreSQL store thread runs: tsvector built here, one unnest
 * INSERT per batch) into a real PostgreSQL started with fsync on, default
 * synchronous_commit (SQLite runs WAL with synchronous=NORMAL: it does not
 * sync each commit, PostgreSQL does). Then the same queries on both stores
 * (EventRepository.query vs PgEventRepository.query, limit 100): p50/p99 ms.
 *
 *   npm run bench -- pg-event-store          (N = 1,000,000)
 *   npx tsx test/bench/pg-event-store.bench.ts [events] [runs]
 *
 * @timeout-minutes 30
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '../../server/contracts/events.js';
import { MIGRATIONS_DIR, PG_MIGRATIONS_DIR } from '../../server/paths.js';
import { openDatabase } from '../../server/store/database.js';
import { EventRepository, EventRowInserter, eventRows, type EventQuery } from '../../server/store/event.repository.js';
import { migrate, readMigrations } from '../../server/store/migrate.js';
import { migratePostgres } from '../../server/store/pg/migrate.js';
import { PgEventRepository } from '../../server/store/pg/pg-event.repository.js';
import { PgEventWriter } from '../../server/store/pg/pg-event-writer.js';
import { startPostgres } from '../helpers/postgres.js';
import { DEVICES, realisticEvents } from './lib/realistic-events.js';

const N = Number(process.argv[2] ?? 1_000_000);
const RUNS = Number(process.argv[3] ?? 40);
const BATCH = 1000;
const START = Date.UTC(2026, 11, 7);
const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'pg-event-store', ...o, loadAvg1m: Math.round(loadavg()[0]! * 100) / 100 })}\n`);

// Rows made up front (the main thread's work), the same for both stores.
const batches: unknown[][] = [];
{
  let id = 1;
  let batch: StoredEvent[] = [];
  for (const e of realisticEvents(N, { perSecond: 2000, startMs: START })) {
    batch.push(Object.assign(e, { id: id++ }));
    if (batch.length === BATCH) {
      batches.push(eventRows(batch));
      batch = [];
    }
  }
  if (batch.length) batches.push(eventRows(batch));
}

const ms = (t: number) => Math.round(t * 10) / 10;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return ms(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!);
};

// SQLite.
const dir = mkdtempSync(join(tmpdir(), 'nw-pgbench-'));
const file = join(dir, 'netwatch.db');
const db = openDatabase(file);
migrate(db, readMigrations(MIGRATIONS_DIR));
{
  const inserter = new EventRowInserter(db);
  let slowest = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const rows of batches) {
    const b0 = performance.now();
    inserter.insert(rows);
    slowest = Math.max(slowest, performance.now() - b0);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  db.pragma('wal_checkpoint(TRUNCATE)');
  out({ store: 'sqlite', phase: 'insert', events: N, batch: BATCH, eventsPerS: Math.round((N / wall) * 1000), writerCpuUsPerEvent: ms((cpu.user + cpu.system) / N), slowestBatchMs: ms(slowest), bytesPerEvent: ms(statSync(file).size / N) });
}

// PostgreSQL.
const server = await startPostgres({ durable: true });
const url = await server.newDatabase('bench');
await migratePostgres(url, readMigrations(PG_MIGRATIONS_DIR));
const writer = await PgEventWriter.open(url, { now: () => START });
{
  await writer.createAhead();
  let slowest = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const rows of batches) {
    const b0 = performance.now();
    await writer.insert(rows);
    slowest = Math.max(slowest, performance.now() - b0);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  await writer.client.query('ANALYZE events');
  const size = await writer.client.query<{ b: number }>("SELECT sum(pg_total_relation_size(inhrelid))::bigint AS b FROM pg_inherits WHERE inhparent = 'events'::regclass");
  out({ store: 'postgres', phase: 'insert', events: N, batch: BATCH, eventsPerS: Math.round((N / wall) * 1000), writerCpuUsPerEvent: ms((cpu.user + cpu.system) / N), slowestBatchMs: ms(slowest), bytesPerEvent: ms(size.rows[0]!.b / N), rowsRejected: writer.stats.rows_rejected });
}
await writer.close();

// The same queries on both.
const sqliteRepo = new EventRepository(db);
const pool = PgEventRepository.pool(url, 2);
const pgRepo = new PgEventRepository(pool);
const dev = DEVICES[7]!;
const QUERIES: [string, Omit<EventQuery, 'limit'>][] = [
  ['newest page', {}],
  ['page 50 (cursor)', { beforeId: N - 5000 }],
  ['device', { deviceId: dev.id }],
  ['source trap', { source: ['trap'] }],
  ['warning and worse', { minSeverity: 'warning' }],
  ['type exact', { type: 'LINEPROTO-5-UPDOWN' }],
  ['type prefix', { type: 'LINK*' }],
  ['search word', { search: 'down' }],
  ['search phrase', { search: '"changed state"' }],
  ['search prefix', { search: 'interf*' }],
  ['search host', { search: `host:${dev.name}` }],
  ['search two words + exclusion', { search: 'interface -up' }],
  ['search rare word', { search: 'zzznomatch' }],
  ['search + device + severity', { search: 'interface', deviceId: dev.id, minSeverity: 'warning' }],
  ['time range (1 min) in the middle', { from: START + (N / 2000) * 500, to: START + (N / 2000) * 500 + 60_000 }],
  ['substring', { text: 'gigabit' }],
];
for (const [name, q] of QUERIES) {
  const a: number[] = [];
  const b: number[] = [];
  let itemsA = 0;
  let itemsB = 0;
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    itemsA = sqliteRepo.query({ ...q, limit: 100 }).items.length;
    const t1 = performance.now();
    itemsB = (await pgRepo.query({ ...q, limit: 100 })).items.length;
    const t2 = performance.now();
    if (i === 0) continue; // warm-up
    a.push(t1 - t0);
    b.push(t2 - t1);
  }
  out({ phase: 'query', query: name, events: N, items: { sqlite: itemsA, postgres: itemsB }, sqliteP50Ms: pct(a, 50), sqliteP99Ms: pct(a, 99), postgresP50Ms: pct(b, 50), postgresP99Ms: pct(b, 99) });
}
await pool.end();
db.close();
await server.stop();
rmSync(dir, { recursive: true, force: true });
