/**
 * Sample ingest: rows/s persisted by SampleRepository.write (metric ids looked
 * up by name) ÷ a raw better-sqlite3 batched WAL insert into the same schema,
 * run side by side on the same machine. Target ratio ≥ 0.5.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from '../../server/paths.js';
import { openDatabase, type Db } from '../../server/store/database.js';
import { migrate, readMigrations } from '../../server/store/migrate.js';
import { SampleRepository, type SampleInput } from '../../server/store/sample.repository.js';

const DEVICES = 500;
const IFACES = 24;
const METRICS = ['ifInBps', 'ifOutBps', 'ifInErrors', 'ifOutErrors'];
const CYCLES = 10;
const BATCH = 10_000;

function freshDb(): { db: Db; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nw-bench-'));
  const db = openDatabase(join(dir, 'netwatch.db'));
  migrate(db, readMigrations(MIGRATIONS_DIR));
  const dev = db.prepare('INSERT INTO devices (name, address, created_at, updated_at) VALUES (?, ?, 0, 0)');
  db.transaction(() => {
    for (let d = 1; d <= DEVICES; d++) dev.run(`dev${d}`, `127.0.${d >> 8}.${d & 255}`);
  })();
  return { db, dir };
}

function samples(cycle: number): SampleInput[] {
  const out: SampleInput[] = [];
  const ts = 1_800_000_000 + cycle * 60;
  for (let d = 1; d <= DEVICES; d++)
    for (let i = 1; i <= IFACES; i++) for (const m of METRICS) out.push({ deviceId: d, metric: m, instance: `Gi0/${i}`, ts, value: Math.random() * 1e9 });
  return out;
}

function ours(): number {
  const { db, dir } = freshDb();
  const repo = new SampleRepository(db);
  let rows = 0;
  const all = Array.from({ length: CYCLES }, (_, c) => samples(c));
  const t0 = performance.now();
  for (const cycle of all) {
    for (let i = 0; i < cycle.length; i += BATCH) repo.write(cycle.slice(i, i + BATCH));
    rows += cycle.length;
  }
  const s = (performance.now() - t0) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return rows / s;
}

function reference(): number {
  const { db, dir } = freshDb();
  // Pre-create metric ids, then plain prepared inserts in one transaction per batch.
  const insM = db.prepare('INSERT INTO metrics (device_id, name, instance) VALUES (?, ?, ?)');
  const ids: number[] = [];
  db.transaction(() => {
    for (let d = 1; d <= DEVICES; d++)
      for (let i = 1; i <= IFACES; i++) for (const m of METRICS) ids.push(Number(insM.run(d, m, `Gi0/${i}`).lastInsertRowid));
  })();
  const ins = db.prepare('INSERT INTO samples_raw (metric_id, ts, value) VALUES (?, ?, ?)');
  const batch = db.transaction((rows: [number, number, number][]) => {
    for (const r of rows) ins.run(r[0], r[1], r[2]);
  });
  const all = Array.from({ length: CYCLES }, (_, c) => ids.map((id) => [id, 1_800_000_000 + c * 60, Math.random() * 1e9] as [number, number, number]));
  let rows = 0;
  const t0 = performance.now();
  for (const cycle of all) {
    for (let i = 0; i < cycle.length; i += BATCH) batch(cycle.slice(i, i + BATCH));
    rows += cycle.length;
  }
  const s = (performance.now() - t0) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return rows / s;
}

// Interleave runs so machine noise hits both sides alike; report medians.
const a: number[] = [];
const b: number[] = [];
for (let i = 0; i < 3; i++) {
  b.push(reference());
  a.push(ours());
}
const median = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)]!;
const oursRate = median(a);
const refRate = median(b);
console.log(JSON.stringify({ bench: 'sample-ingest', metric: 'rows_per_s', value: Math.round(oursRate), reference: Math.round(refRate), ratio: +(oursRate / refRate).toFixed(3), target: '>= 0.5' }));
