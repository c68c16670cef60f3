/**
 * Read side of the event store on a large table: fills a new database with N
 * realistic events received over the last ~50 minutes (through
 * `EventRowInserter`, as the store thread writes them; 100 of them carry a
 * rare word), then times, on a second, read-only connection (as a reader
 * thread has), the dashboard's event figures, a search without a match, a
 * search with 100 matches, and each filter of the events page and some
 * combinations: p50 / p99 / max over 20 runs each, and the first page size.
 *
 *   npx tsx test/bench/event-query.bench.ts [events=1000000]
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '../../server/contracts/events.js';
import { MIGRATIONS_DIR } from '../../server/paths.js';
import { DashboardRepository } from '../../server/store/dashboard.repository.js';
import { openDatabase } from '../../server/store/database.js';
import { EventRepository, type EventQuery } from '../../server/store/event.repository.js';
import { eventRows } from '../../server/store/event-row.js';
import { EventRowInserter } from '../../server/store/event-row-inserter.js';
import { migrate, readMigrations } from '../../server/store/migrate.js';
import { realisticEvents } from './lib/realistic-events.js';

const N = Number(process.argv[2] ?? 1_000_000);
const RUNS = 20;
const dir = mkdtempSync(join(tmpdir(), 'nw-query-bench-'));
const file = join(dir, 'netwatch.db');
const db = openDatabase(file);
migrate(db, readMigrations(MIGRATIONS_DIR));
const inserter = new EventRowInserter(db);
const now = Date.now();
const span = 50 * 60_000;
let id = 1;
let batch: StoredEvent[] = [];
const t0 = performance.now();
for (const e of realisticEvents(N, { seed: 4, startMs: now - span, perSecond: N / (span / 1000) })) {
  if (id % Math.floor(N / 100) === 0) e.message = `${e.message} zebrafish`;
  batch.push(Object.assign(e, { id: id++ }));
  if (batch.length === 1000) {
    inserter.insert(eventRows(batch));
    batch = [];
  }
}
if (batch.length) inserter.insert(eventRows(batch));
db.pragma('wal_checkpoint(TRUNCATE)');
const fillS = (performance.now() - t0) / 1000;
db.close();

const ro = new Database(file, { readonly: true });
const events = new EventRepository(ro);
const dashboard = new DashboardRepository(ro);

function time(fn: () => unknown): { p50: number; p99: number; max: number; result: unknown } {
  const ms: number[] = [];
  let result: unknown;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    result = fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { p50: r(ms[Math.floor(RUNS / 2)]!), p99: r(ms[Math.ceil(RUNS * 0.99) - 1]!), max: r(ms.at(-1)!), result };
}

const hourAgo = now - 3_600_000;
const out: Record<string, unknown>[] = [];
const d = time(() => ({ perMinute: dashboard.eventsPerMinute(hourAgo), top: dashboard.topEventTypes(hourAgo, 10), sev: dashboard.eventSeverities(hourAgo) }));
out.push({ case: 'dashboard events (per minute, by severity, top types)', p50: d.p50, p99: d.p99, max: d.max });
const mid = now - span / 2;
const queries: [string, EventQuery][] = [
  ['newest page, no filter', { limit: 200 }],
  ['search, no match', { limit: 200, search: 'qqqzzzx' }],
  ['search, 100 matches', { limit: 200, search: 'zebrafish' }],
  ['search, common word', { limit: 200, search: 'interface' }],
  ['search host: and app:', { limit: 200, search: 'host:web08 app:sshd' }],
  ['severity critical (none)', { limit: 200, minSeverity: 'critical' }],
  ['severity major or worse', { limit: 200, minSeverity: 'major' }],
  ['severity warning or worse', { limit: 200, minSeverity: 'warning' }],
  ['severity info or worse', { limit: 200, minSeverity: 'info' }],
  ['source trap', { limit: 200, source: ['trap'] }],
  ['source syslog,trap', { limit: 200, source: ['syslog', 'trap'] }],
  ['device', { limit: 200, deviceId: 7 }],
  ['type exact', { limit: 200, type: 'sshd' }],
  ['type prefix', { limit: 200, type: 'LINEPROTO*' }],
  ['time range 10 min', { limit: 200, from: mid, to: mid + 600_000 }],
  ['device + major', { limit: 200, deviceId: 9, minSeverity: 'major' }],
  ['trap + device + time', { limit: 200, source: ['trap'], deviceId: 7, from: mid, to: mid + 600_000 }],
  ['search + severity warning', { limit: 200, search: 'link', minSeverity: 'warning' }],
  ['page 5 by cursor', { limit: 200, beforeId: N - 1000 }],
  ['substring, rare', { limit: 200, text: 'zebrafish' }],
];
for (const [name, q] of queries) {
  const r = time(() => events.query(q));
  const page = r.result as { items: unknown[]; partial?: boolean };
  out.push({ case: name, p50: r.p50, p99: r.p99, max: r.max, items: page.items.length, partial: page.partial ?? false });
}
ro.close();
const bytes = statSync(file).size;
rmSync(dir, { recursive: true, force: true });
for (const o of out) process.stdout.write(JSON.stringify({ bench: 'event-query', events: N, ...o }) + '\n');
process.stdout.write(JSON.stringify({ bench: 'event-query', events: N, fillS: Math.round(fillS), bytesPerEvent: Math.round((bytes / N) * 10) / 10, loadAvg1m: Math.round(loadavg()[0]! * 100) / 100 }) + '\n');
