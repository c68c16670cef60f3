/**
 * Sample ingest on both engines: rows/s that SampleRepository.write stores,
 * on SQLite (a WAL file, as the server opens it) and on PostgreSQL through the
 * synchronous PgDb facade (multi-row INSERT … unnest into the day-partitioned
 * samples_raw), side by side, with the same batches. A third figure is the
 * PostgreSQL path one upsert per row (what write() did before multi-row), for
 * the gain. Metric ids are created before the clock starts on every side.
 *
 *   npm run bench -- pg-sample-ingest
 *   npx tsx test/bench/pg-sample-ingest.bench.ts [devices] [cycles]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_DIR, PG_MIGRATIONS_DIR } from '../../server/paths.js';
import { openDatabase, type Db } from '../../server/store/database.js';
import { migrate, readMigrations } from '../../server/store/migrate.js';
import { migratePostgres } from '../../server/store/pg/migrate.js';
import { openPgDb } from '../../server/store/pg/pg-db.js';
import { SampleRepository, type SampleInput } from '../../server/store/sample.repository.js';
import { startPostgres } from '../helpers/postgres.js';

const DEVICES = Number(process.argv[2] ?? 100);
const CYCLES = Number(process.argv[3] ?? 5);
const IFACES = 24;
const METRICS = ['ifInBps', 'ifOutBps', 'ifInErrors', 'ifOutErrors'];
const BATCH = 10_000;
const T0 = 1_800_000_000;
const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'pg-sample-ingest', devices: DEVICES, cycles: CYCLES, batch: BATCH, ...o, loadAvg1m: Math.round(loadavg()[0]! * 100) / 100 })}\n`);

const cycles: SampleInput[][] = Array.from({ length: CYCLES }, (_, c) => {
  const rows: SampleInput[] = [];
  for (let d = 1; d <= DEVICES; d++) for (let i = 1; i <= IFACES; i++) for (const m of METRICS) rows.push({ deviceId: d, metric: m, instance: `Gi0/${i}`, ts: T0 + c * 60, value: Math.random() * 1e9 });
  return rows;
});
const total = cycles.reduce((n, c) => n + c.length, 0);

function seed(db: Db): SampleRepository {
  const dev = db.prepare('INSERT INTO devices (name, address, created_at, updated_at) VALUES (?, ?, 0, 0) RETURNING id');
  const ids: number[] = [];
  db.transaction(() => {
    for (let d = 1; d <= DEVICES; d++) ids.push((dev.get(`dev${d}`, `127.0.${d >> 8}.${d & 255}`) as { id: number }).id);
  })();
  if (ids[0] !== 1 || ids.at(-1) !== DEVICES) throw new Error('device ids are not 1..N');
  const repo = new SampleRepository(db, { now: () => T0 * 1000 });
  db.transaction(() => {
    for (const s of cycles[0]!) repo.metricId(s.deviceId, s.metric, s.instance);
  })();
  repo.write([cycles[0]![0]!]); // PostgreSQL: the day's partition exists before the clock starts
  return repo;
}

function run(write: (rows: SampleInput[]) => void): { rowsPerS: number; slowestBatchMs: number } {
  let slowest = 0;
  const t0 = performance.now();
  for (const cycle of cycles) {
    for (let i = 0; i < cycle.length; i += BATCH) {
      const b0 = performance.now();
      write(cycle.slice(i, i + BATCH));
      slowest = Math.max(slowest, performance.now() - b0);
    }
  }
  const s = (performance.now() - t0) / 1000;
  return { rowsPerS: Math.round(total / s), slowestBatchMs: Math.round(slowest * 10) / 10 };
}

// SQLite (the reference).
const dir = mkdtempSync(join(tmpdir(), 'nw-bench-'));
{
  const db = openDatabase(join(dir, 'netwatch.db'));
  migrate(db, readMigrations(MIGRATIONS_DIR));
  const repo = seed(db);
  const r = run((rows) => repo.write(rows));
  out({ store: 'sqlite', path: 'SampleRepository.write', rows: total, ...r });
  db.close();
}
rmSync(dir, { recursive: true, force: true });

// PostgreSQL (durable: fsync on, as a server would run).
const server = await startPostgres({ durable: true });
try {
  for (const path of ['SampleRepository.write (multi-row)', 'one upsert per row'] as const) {
    const url = await server.newDatabase(path.startsWith('one') ? 'rowwise' : 'multirow');
    await migratePostgres(url, readMigrations(PG_MIGRATIONS_DIR));
    const db = openPgDb(url);
    const repo = seed(db);
    const upsert = db.prepare('INSERT INTO samples_raw (metric_id, ts, value) VALUES (?, ?, ?) ON CONFLICT (metric_id, ts) DO UPDATE SET value = excluded.value');
    const r = path.startsWith('one')
      ? run((rows) =>
          db.transaction(() => {
            for (const s of rows) upsert.run(repo.metricId(s.deviceId, s.metric, s.instance), Math.floor(s.ts), s.value);
          })(),
        )
      : run((rows) => repo.write(rows));
    const stored = db.prepare('SELECT count(*) FROM samples_raw').pluck().get();
    if (stored !== total) throw new Error(`stored ${String(stored)} of ${total}`);
    out({ store: 'postgres', path, rows: total, ...r });
    db.close();
  }
} finally {
  await server.stop();
}
