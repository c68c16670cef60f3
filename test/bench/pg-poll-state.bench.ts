/**
 * The poll state's many-row writes on PostgreSQL: a device's interfaces after a poll
 * (PollStateRepository.replaceInterfaces) and one ICMP sweep's results (recordIcmp). Each PgDb
 * statement blocks the main thread for a round trip to its connection thread, so these are measured
 * as main-thread time per call. Side by side on the same machine:
 *   - postgres multi-row: the repository as it is (pg/poll-state-batch.ts, rows as unnested arrays);
 *   - postgres per row:   the same repository made to take its one-statement-per-row path (the
 *                         statements SQLite uses), which is what PostgreSQL ran before;
 *   - sqlite:             the reference (a WAL file, as the server opens it).
 * PostgreSQL runs durable (fsync on).
 *
 *   npm run bench -- pg-poll-state
 *   npx tsx test/bench/pg-poll-state.bench.ts [devices] [interfaces] [reps]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_DIR, PG_MIGRATIONS_DIR } from '../../server/paths.js';
import { openDatabase, type Db } from '../../server/store/database.js';
import { migrate, readMigrations } from '../../server/store/migrate.js';
import { migratePostgres } from '../../server/store/pg/migrate.js';
import { openPgDb } from '../../server/store/pg/pg-db.js';
import { PollStateRepository, type IcmpUpdate, type InterfaceWrite } from '../../server/store/poll-state.repository.js';
import { startPostgres } from '../helpers/postgres.js';

const DEVICES = Number(process.argv[2] ?? 1_000);
const IFACES = Number(process.argv[3] ?? 48);
const REPS = Number(process.argv[4] ?? 100);
const out = (o: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ bench: 'pg-poll-state', devices: DEVICES, interfaces: IFACES, reps: REPS, ...o, loadAvg1m: Math.round(loadavg()[0]! * 100) / 100 })}\n`);

const iface = (i: number, rep: number): InterfaceWrite => ({
  ifIndex: i, name: `GigabitEthernet1/0/${i}`, descr: `GigabitEthernet1/0/${i}`, alias: i % 3 ? null : `uplink ${i}`, type: 6, speedBps: 1e9,
  mac: '00:11:22:33:44:55', adminStatus: 1, operStatus: (i + rep) % 7 ? 1 : 2, inBps: rep * 1000 + i, outBps: rep * 900 + i,
  inErrorsPs: 0, outErrorsPs: 0, inDiscardsPs: 0, outDiscardsPs: 0, inUtilPct: 0.5, outUtilPct: 0.4, hcCounters: true,
});
const sweep = (ids: number[], rep: number) =>
  ids.map((deviceId, k): { deviceId: number; update: IcmpUpdate } => ({
    deviceId, update: { icmpState: (k + rep) % 50 ? 'up' : 'down', at: 1_000 + rep, min: 0.1, avg: 0.2 + rep / 1000, max: 0.4, jitter: 0.01, lossPct: (k + rep) % 50 ? 0 : 100 },
  }));

function seed(db: Db): number[] {
  const dev = db.prepare('INSERT INTO devices (name, address, created_at, updated_at) VALUES (?, ?, 0, 0) RETURNING id');
  const ids: number[] = [];
  db.transaction(() => {
    for (let d = 1; d <= DEVICES; d++) ids.push((dev.get(`dev${d}`, `127.0.${d >> 8}.${d & 255}`) as { id: number }).id);
  })();
  return ids;
}

function p50(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]! * 1000) / 1000;
}

function measure(db: Db, repo: PollStateRepository, ids: number[]): { interfacesP50Ms: number; icmpSweepP50Ms: number } {
  const ifTimes: number[] = [];
  const icmpTimes: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const rows = Array.from({ length: IFACES }, (_, i) => iface(i + 1, rep));
    const t0 = performance.now();
    repo.replaceInterfaces(ids[rep % ids.length]!, rows, 1_000 + rep);
    ifTimes.push(performance.now() - t0);
  }
  for (let rep = 0; rep < Math.max(5, Math.round(REPS / 10)); rep++) {
    const results = sweep(ids, rep);
    const t0 = performance.now();
    repo.recordIcmp(results);
    icmpTimes.push(performance.now() - t0);
  }
  const stored = db.prepare('SELECT count(*) AS n FROM device_status WHERE last_icmp_at IS NOT NULL').get() as { n: number | string };
  if (Number(stored.n) !== ids.length) throw new Error(`ICMP results stored for ${String(stored.n)} of ${ids.length} devices`);
  return { interfacesP50Ms: p50(ifTimes), icmpSweepP50Ms: p50(icmpTimes) };
}

/** The repository takes its per-row path on a database that does not say it is PostgreSQL (isPostgres reads `engine`). */
function perRow(db: Db): Db {
  return new Proxy(db, {
    get(target, key) {
      if (key === 'engine') return undefined;
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const dir = mkdtempSync(join(tmpdir(), 'nw-bench-'));
const results: Record<string, { interfacesP50Ms: number; icmpSweepP50Ms: number }> = {};
try {
  const lite = openDatabase(join(dir, 'netwatch.db'));
  migrate(lite, readMigrations(MIGRATIONS_DIR));
  results.sqlite = measure(lite, new PollStateRepository(lite), seed(lite));
  lite.close();
  out({ store: 'sqlite', ...results.sqlite });

  const server = await startPostgres({ durable: true });
  try {
    for (const path of ['multi-row', 'per-row'] as const) {
      const url = await server.newDatabase(path.replace('-', ''));
      await migratePostgres(url, readMigrations(PG_MIGRATIONS_DIR));
      const db = openPgDb(url);
      const ids = seed(db);
      const repo = new PollStateRepository(path === 'per-row' ? perRow(db) : db);
      results[path] = measure(db, repo, ids);
      db.close();
      out({ store: 'postgres', path, ...results[path] });
    }
  } finally {
    await server.stop();
  }
  const m = results['multi-row']!;
  const r = results['per-row']!;
  const s = results.sqlite!;
  out({
    figure: 'ratios',
    interfacesPerRowOverMultiRow: Math.round((r.interfacesP50Ms / m.interfacesP50Ms) * 100) / 100,
    icmpSweepPerRowOverMultiRow: Math.round((r.icmpSweepP50Ms / m.icmpSweepP50Ms) * 100) / 100,
    interfacesMultiRowOverSqlite: Math.round((m.interfacesP50Ms / s.interfacesP50Ms) * 100) / 100,
    icmpSweepMultiRowOverSqlite: Math.round((m.icmpSweepP50Ms / s.icmpSweepP50Ms) * 100) / 100,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
