/**
 * Reader thread on PostgreSQL: the protocol of read.worker.ts (see
 * read-pool.ts), so a ReadPool opened with `{ postgresUrl }` serves the
 * event reads off the main thread, rows decoded here. One op at a time, on
 * one connection whose statements stop at the pool's time budget
 * (statement_timeout), so a reader the pool terminates leaves no query
 * running on the server for long.
 *
 * The events ops run on PgEventRepository (async, pg.Pool). Every other op of
 * READ_OPS runs as on SQLite: `runReadOp` on `readerRepositories(db)` built on
 * a PgDb (the synchronous facade, one more connection, read-only, with the
 * same statement_timeout), so the op's code and its repositories' SQL are the
 * ones SQLite runs.
 */
import { parentPort, workerData, type TransferListItem } from 'node:worker_threads';
import { readerRepositories, runReadOp, type ExportPageArgs } from '../read-ops.js';
import type { EventQuery } from '../event.repository.js';
import { openPgDb } from './pg-db.js';
import { PgEventRepository } from './pg-event.repository.js';

const port = parentPort!;
const { url, statementTimeoutMs } = workerData as { url: string; statementTimeoutMs: number };

const pool = PgEventRepository.pool(url, 1, Math.max(1, Math.floor(statementTimeoutMs)));
// An idle connection the server closed: the pool drops it and opens another for the next read.
pool.on('error', () => undefined);
const repo = new PgEventRepository(pool);
const timeout = Math.max(1, Math.floor(statementTimeoutMs));
// The connection of the other ops: opened on first use (a reader that serves events only never opens it).
let db: ReturnType<typeof openPgDb> | null = null;
let repos: ReturnType<typeof readerRepositories> | null = null;
function syncRepos() {
  if (!repos) {
    db = openPgDb(url, { statementTimeoutMs: timeout });
    // One snapshot per op: an op of several statements (the dashboard's counters, an alarm and its
    // events) sees one state of the database, not a commit between two of its statements.
    db.exec('SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    repos = readerRepositories(db);
  }
  return repos;
}

const OPS = new Map<string, (args: unknown) => Promise<unknown>>([
  ['events.query', (a) => repo.query(a as EventQuery)],
  ['events.get', async (a) => (await repo.get(a as number)) ?? null],
  ['events.exportPage', (a) => repo.exportPage(a as ExportPageArgs)],
]);

function serialize(err: unknown): { status?: number; code?: string; message: string; stack?: string } {
  const e = err as { status?: unknown; code?: unknown; message?: unknown; stack?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (typeof e?.status === 'number' && typeof e.code === 'string') return { status: e.status, code: e.code, message };
  return { message, code: typeof e?.code === 'string' ? e.code : undefined, stack: typeof e?.stack === 'string' ? e.stack : undefined };
}

pool
  .query('SELECT 1 FROM events LIMIT 0')
  .then(() => port.postMessage({ type: 'ready' }))
  .catch((err: Error) => port.postMessage({ type: 'open-error', message: err.message }));

port.on('message', (m: { type: 'run'; id: number; op: string; args: unknown } | { type: 'close' }) => {
  if (m.type === 'close') {
    db?.close();
    void pool.end().finally(() => port.close());
    return;
  }
  const op =
    OPS.get(m.op) ??
    (async (a: unknown) => {
      const r = syncRepos();
      return db!.transaction(() => runReadOp(r, m.op, a))();
    });
  op(m.args).then(
    (result) => {
      const bytes = (result as { bytes?: unknown } | null)?.bytes;
      const transfer: TransferListItem[] = bytes instanceof Uint8Array ? [bytes.buffer as ArrayBuffer] : [];
      port.postMessage({ type: 'done', id: m.id, result }, transfer);
    },
    (err) => port.postMessage({ type: 'failed', id: m.id, error: serialize(err) }),
  );
});
