/**
 * Reader thread: its own read-only connection, the read repositories built on
 * it, and one op at a time from read-ops.ts. Protocol: see read-pool.ts.
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData, type TransferListItem } from 'node:worker_threads';
import { openReadOnlyDatabase, type Db } from './database.js';
import { readerRepositories, runReadOp, type ReaderRepositories } from './read-ops.js';

const port = parentPort!;
const { file } = workerData as { file: string };

/**
 * `all()` collects through `iterate()` on this connection: every row then
 * returns to JavaScript, so a reader terminated for its time budget stops at
 * the next row instead of finishing the whole query first (better-sqlite3 has
 * no sqlite3_interrupt). A query that produces no row until it ends (an
 * aggregate, a scan that finds nothing) still runs to its end before the
 * thread exits.
 */
function interruptibleAll(db: Db): void {
  const prepare = db.prepare.bind(db) as Db['prepare'];
  db.prepare = ((source: string) => {
    const stmt = prepare(source);
    if (stmt.reader) {
      stmt.all = function (this: typeof stmt, ...args: unknown[]) {
        const out: unknown[] = [];
        for (const row of this.iterate(...args)) out.push(row);
        return out;
      } as typeof stmt.all;
    }
    return stmt;
  }) as Db['prepare'];
}

/** An error as the main thread rebuilds it: typed (status, code) when it is a domain error, else a message to log. */
function serialize(err: unknown): { status?: number; code?: string; message: string; details?: unknown; stack?: string } {
  const e = err as { status?: unknown; code?: unknown; message?: unknown; details?: unknown; stack?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (typeof e?.status === 'number' && typeof e.code === 'string') return { status: e.status, code: e.code, message, details: e.details };
  return { message, code: typeof e?.code === 'string' ? e.code : undefined, stack: typeof e?.stack === 'string' ? e.stack : undefined };
}

/**
 * Readers yield the CPU to the main thread, the store thread and intake when
 * cores are short: a nice value 10 above the process's (per thread on Linux;
 * raising it needs no privilege). A read may then take longer under a storm,
 * within its time budget; intake and the API do not wait for it.
 */
function lowerPriority(): void {
  try {
    setPriority(Math.min(19, getPriority() + 10));
  } catch {
    // not allowed or not supported here: the reader runs at normal priority
  }
}

lowerPriority();
let db: Db | undefined;
let repos: ReaderRepositories | undefined;
try {
  db = openReadOnlyDatabase(file);
  interruptibleAll(db);
  repos = readerRepositories(db);
  port.postMessage({ type: 'ready' });
} catch (err) {
  port.postMessage({ type: 'open-error', message: (err as Error).message });
}

port.on('message', (m: { type: 'run'; id: number; op: string; args: unknown } | { type: 'close' }) => {
  if (m.type === 'close') {
    db?.close();
    port.close();
    return;
  }
  try {
    const result = runReadOp(repos!, m.op, m.args);
    // Bytes (an export page) move to the main thread instead of being copied.
    const bytes = (result as { bytes?: unknown } | null)?.bytes;
    const transfer: TransferListItem[] = bytes instanceof Uint8Array ? [bytes.buffer as ArrayBuffer] : [];
    port.postMessage({ type: 'done', id: m.id, result }, transfer);
  } catch (err) {
    port.postMessage({ type: 'failed', id: m.id, error: serialize(err) });
  }
});
