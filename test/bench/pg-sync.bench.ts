/**
 * What one synchronous statement costs on each engine: the repositories run
 * their SQL synchronously, on SQLite through better-sqlite3 and on PostgreSQL
 * through PgDb (a blocking round trip to a connection thread). Side by side on
 * the same machine, the same table and statements:
 *   - sqlite:      better-sqlite3, WAL, synchronous=NORMAL (the server's settings);
 *   - pgdb:        PgDb, one statement at a time, as the repositories call it;
 *   - pg-async:    node-postgres' own async client awaited one statement at a
 *                  time (the reference: the cost of the round trip itself, without the thread hop);
 * for a primary-key read, a single-row insert in autocommit, and 100 inserts in one
 * transaction. PostgreSQL runs with fsync on and default synchronous_commit.
 * Reports per-statement µs p50/p99 and statements/s. The `hop` figure is
 * pgdb's p50 minus pg-async's: what the synchronous bridge adds.
 *
 *   npm run bench -- pg-sync
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Db } from '../../server/store/database.js';
import { openPgDb } from '../../server/store/pg/pg-db.js';
import { startPostgres } from '../helpers/postgres.js';

const N = Number(process.argv[2] ?? 5_000);
const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'pg-sync', ...o, loadAvg1m: Math.round(loadavg()[0]! * 100) / 100 })}\n`);
const DDL = 'CREATE TABLE t (id bigint PRIMARY KEY, name text NOT NULL, n bigint NOT NULL)';

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 1000 * 10) / 10;
  const total = s.reduce((a, b) => a + b, 0);
  return { p50Us: q(0.5), p99Us: q(0.99), perSecond: Math.round(s.length / (total / 1000)) };
}

function syncRuns(db: Db) {
  db.exec(DDL);
  const ins = db.prepare('INSERT INTO t (id, name, n) VALUES (?, ?, ?)');
  const get = db.prepare('SELECT id, name, n FROM t WHERE id = ?');
  const insert: number[] = [];
  for (let i = 1; i <= N; i++) {
    const t = performance.now();
    ins.run(i, `device-${i}`, i * 7);
    insert.push(performance.now() - t);
  }
  const read: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    get.get(1 + ((i * 7919) % N));
    read.push(performance.now() - t);
  }
  const tx: number[] = [];
  const batch = db.transaction((base: number) => {
    for (let j = 0; j < 100; j++) ins.run(base + j, 'x', j);
  });
  for (let k = 0; k < Math.max(5, N / 500); k++) {
    const t = performance.now();
    batch(1_000_000 + k * 100);
    tx.push(performance.now() - t);
  }
  return { insert: stats(insert), read: stats(read), tx100: stats(tx) };
}

async function asyncRuns(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(DDL.replace('TABLE t', 'TABLE t2'));
  const insert: number[] = [];
  for (let i = 1; i <= N; i++) {
    const t = performance.now();
    await c.query({ name: 'i', text: 'INSERT INTO t2 (id, name, n) VALUES ($1, $2, $3)', values: [i, `device-${i}`, i * 7] });
    insert.push(performance.now() - t);
  }
  const read: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await c.query({ name: 'g', text: 'SELECT id, name, n FROM t2 WHERE id = $1', values: [1 + ((i * 7919) % N)] });
    read.push(performance.now() - t);
  }
  const tx: number[] = [];
  for (let k = 0; k < Math.max(5, N / 500); k++) {
    const t = performance.now();
    await c.query('BEGIN');
    for (let j = 0; j < 100; j++) await c.query({ name: 'i', text: 'INSERT INTO t2 (id, name, n) VALUES ($1, $2, $3)', values: [1_000_000 + k * 100 + j, 'x', j] });
    await c.query('COMMIT');
    tx.push(performance.now() - t);
  }
  await c.end();
  return { insert: stats(insert), read: stats(read), tx100: stats(tx) };
}

const dir = mkdtempSync(join(tmpdir(), 'nw-pgsync-bench-'));
const pgs = await startPostgres({ durable: true });
try {
  const lite = openDatabase(join(dir, 'b.db'));
  const sqlite = syncRuns(lite);
  lite.close();
  const url = await pgs.newDatabase();
  const pgdbDb = openPgDb(url);
  const pgdb = syncRuns(pgdbDb);
  pgdbDb.close();
  const pgAsync = await asyncRuns(url);
  for (const op of ['read', 'insert', 'tx100'] as const) {
    out({ figure: `statement-${op}`, statements: op === 'tx100' ? 'one transaction of 100 inserts' : 1, sqlite: sqlite[op], pgdb: pgdb[op], pgAsync: pgAsync[op], hopP50Us: Math.round((pgdb[op].p50Us - pgAsync[op].p50Us) * 10) / 10, pgdbVsSqliteP50: Math.round((pgdb[op].p50Us / sqlite[op].p50Us) * 10) / 10 });
  }
} finally {
  await pgs.stop();
  rmSync(dir, { recursive: true, force: true });
}
