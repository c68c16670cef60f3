/**
 * The event store thread on PostgreSQL: the same protocol as
 * event-store.worker.ts (SQLite), so the main thread's EventWriter talks to
 * either through `openEventStoreThread`. It holds one async connection,
 * applies the PostgreSQL migrations at start (under their advisory lock),
 * writes batches strictly in the order they arrive (one transaction each)
 * and runs partition upkeep between them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { PG_MIGRATIONS_DIR } from '../../paths.js';
import type { EventStoreOptions } from '../event-store-thread.js';
import { migratePostgres, readMigrations } from './migrate.js';
import { PgEventWriter } from './pg-event-writer.js';
import { PG_TYPES } from './pg-types.js';

const port = parentPort!;
const { url, options, idBuffer } = workerData as { url: string; options: EventStoreOptions; idBuffer: SharedArrayBuffer };
const answered = new Int32Array(idBuffer, 0, 2);
const block = new Float64Array(idBuffer, 8, 2);

const stats: Record<string, number> = { maintenance_errors: 0, longest_insert_ms: 0, longest_retention_ms: 0 };
let writer: PgEventWriter | null = null;
let closed = false;
/** Every message is handled after the previous one finished: batches commit in the order they were handed over. */
let queue: Promise<void> = Promise.resolve();
const serial = (fn: () => Promise<void>) => {
  queue = queue.then(fn, fn);
};

const publish = () => port.postMessage({ type: 'stats', stats: { ...stats, ...(writer?.stats ?? {}) } });

async function timed(kind: 'longest_insert_ms' | 'longest_retention_ms', fn: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  try {
    await fn();
  } finally {
    const ms = Math.round((performance.now() - t0) * 10) / 10;
    if (ms > stats[kind]!) stats[kind] = ms;
  }
}

/**
 * Retention (partition drops, counter expiry, sender trim) on PostgreSQL is one node's job: with
 * `retentionBySingleton` it runs only while the main thread says this node holds `event-retention`
 * (message 'retention'); partitions ahead are made on every node (creation is idempotent and locked).
 */
let retentionHeld = !options.retentionBySingleton;
stats.retention_held = retentionHeld ? 1 : 0;

async function maintain(): Promise<void> {
  if (closed || !writer) return;
  try {
    await timed('longest_retention_ms', () => writer!.maintain({ retention: retentionHeld }));
  } catch (err) {
    stats.maintenance_errors!++;
    port.postMessage({ type: 'maintenance-error', message: (err as Error).message });
  }
}

const tick = setInterval(() => serial(maintain), options.maintenanceIntervalMs ?? 10_000);
const report = setInterval(publish, 1000);

serial(async () => {
  try {
    await migratePostgres(url, readMigrations(PG_MIGRATIONS_DIR));
    writer = await PgEventWriter.open(url, { retention: options.retention, now: options.now });
    await writer.createAhead();
    port.postMessage({ type: 'ready' });
  } catch (err) {
    clearInterval(tick);
    clearInterval(report);
    port.postMessage({ type: 'open-error', message: (err as Error).message });
  }
});
serial(maintain);

/**
 * Id blocks (message `ids`): answered on a connection of their own, at once,
 * not behind the batches queued for the writer's connection. The answer goes
 * into the shared buffer (the main thread may be waiting on it) and as a
 * message. A failed reservation answers an empty block.
 */
let idClient: Promise<pg.Client> | null = null;
async function reserveIds(seq: number): Promise<void> {
  let answer: { start: number; end: number } | { message: string };
  try {
    idClient ??= (async () => {
      const c = new pg.Client({ connectionString: url, types: PG_TYPES, application_name: 'netwatch-event-ids' });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    })();
    answer = await PgEventWriter.idBlock(await idClient);
  } catch (err) {
    const c = idClient;
    idClient = null;
    void c?.then((x) => x.end()).catch(() => undefined);
    answer = { message: (err as Error).message };
  }
  block[0] = 'start' in answer ? answer.start : 0;
  block[1] = 'start' in answer ? answer.end : 0;
  Atomics.store(answered, 0, seq);
  Atomics.notify(answered, 0);
  port.postMessage({ type: 'ids', seq, ...answer });
}

port.on('message', (m: { type: 'insert'; seq: number; rows: unknown[]; keys?: string[] } | { type: 'maintain' } | { type: 'close' } | { type: 'ids'; seq: number } | { type: 'retention'; held: boolean }) => {
  if (m.type === 'retention') {
    retentionHeld = m.held === true;
    stats.retention_held = retentionHeld ? 1 : 0;
    return;
  }
  if (m.type === 'ids') {
    void reserveIds(m.seq);
    return;
  }
  if (m.type === 'close') {
    serial(async () => {
      closed = true;
      clearInterval(tick);
      clearInterval(report);
      publish();
      await writer?.close().catch(() => undefined);
      await idClient?.then((c) => c.end()).catch(() => undefined);
      port.postMessage({ type: 'closed' });
      port.close();
    });
    return;
  }
  if (m.type === 'maintain') {
    serial(async () => {
      await maintain();
      port.postMessage({ type: 'maintained', stats: { ...stats, ...(writer?.stats ?? {}) } });
    });
    return;
  }
  serial(async () => {
    try {
      if (!writer) throw new Error('PostgreSQL event store is not open');
      await timed('longest_insert_ms', () => writer!.insert(m.rows, m.keys));
      port.postMessage({ type: 'stored', seq: m.seq });
    } catch (err) {
      port.postMessage({ type: 'failed', seq: m.seq, message: (err as Error).message });
    }
  });
});
