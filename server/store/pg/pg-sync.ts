import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { startWorker } from '../../worker-thread.js';
import type { SyncAnswer, SyncRequest } from './pg-sync.worker.js';

/**
 * A synchronous PostgreSQL connection: the repositories are synchronous (they
 * were written for better-sqlite3), so on PostgreSQL each statement is a
 * blocking round trip to a connection thread that holds one pg.Client. The
 * caller sleeps on a shared flag (Atomics.wait) until the thread answers; its
 * event loop does not run meanwhile, exactly as during a better-sqlite3 call.
 * One connection serves one thread, one statement at a time, so a transaction
 * is simply BEGIN … COMMIT on it.
 */

export interface PgSyncOptions {
  /** Server-side statement_timeout (ms); 0 = none. Default 30 s. */
  statementTimeoutMs?: number;
  /** How long a call waits for the thread before giving up and replacing it (ms). Default statement timeout + 10 s. */
  waitMs?: number;
}

/** An error from PostgreSQL, with its SQLSTATE in `pgCode` and, for constraint failures, better-sqlite3's code in `code`. */
export class PgSyncError extends Error {
  readonly code: string;
  constructor(
    message: string,
    readonly pgCode: string | undefined,
    readonly detail?: string,
    readonly constraint?: string,
  ) {
    super(message);
    this.name = 'PgSyncError';
    this.code = SQLITE_CODE[pgCode ?? ''] ?? (pgCode ? `PG_${pgCode}` : 'PG_CONNECTION');
  }
}

/** SQLSTATE → the better-sqlite3 code callers already test for (e.g. a 409 on a duplicate name). */
const SQLITE_CODE: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  '23505': 'SQLITE_CONSTRAINT_UNIQUE',
  '23503': 'SQLITE_CONSTRAINT_FOREIGNKEY',
  '23502': 'SQLITE_CONSTRAINT_NOTNULL',
  '23514': 'SQLITE_CONSTRAINT_CHECK',
});

/**
 * Sleeps until `flag[0]` is no longer 0 or `timeoutMs` has passed; true when it was set.
 * It waits for the value, not for a wake-up: the connection thread's notify for the previous
 * statement can land after that statement's answer was read (the wait having returned
 * 'not-equal' first) and would otherwise end this wait with no answer on the port.
 */
export function waitForFlag(flag: Int32Array, timeoutMs: number): boolean {
  const deadline = performance.now() + timeoutMs;
  while (Atomics.load(flag, 0) === 0) {
    const left = deadline - performance.now();
    if (left <= 0 || Atomics.wait(flag, 0, 0, left) === 'timed-out') return Atomics.load(flag, 0) !== 0;
  }
  return true;
}

export interface SyncResult {
  rows: unknown[];
  rowCount: number;
  fields: string[];
}

export class PgSyncConnection {
  private worker!: Worker;
  private port!: MessagePort;
  private flag!: Int32Array;
  private closed = false;
  private readonly statementTimeoutMs: number;
  private readonly waitMs: number;
  /** Statements sent, and the time spent waiting for them (ms). */
  readonly stats = { statements: 0, waitMs: 0, errors: 0, restarts: 0 };

  constructor(
    readonly url: string,
    opts: PgSyncOptions = {},
  ) {
    this.statementTimeoutMs = opts.statementTimeoutMs ?? 30_000;
    this.waitMs = opts.waitMs ?? this.statementTimeoutMs + 10_000;
    this.spawn();
  }

  private spawn(): void {
    const { port1, port2 } = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    this.worker = startWorker(import.meta.url, 'pg-sync.worker', { url: this.url, port: port2, flag, statementTimeoutMs: this.statementTimeoutMs }, [port2]);
    this.worker.unref();
    this.port = port1;
    this.flag = new Int32Array(flag);
  }

  /** Runs one statement and waits for its answer. Throws PgSyncError. */
  query(sql: string, params: unknown[] = [], rowMode?: 'array'): SyncResult {
    if (this.closed) throw new PgSyncError('the PostgreSQL connection is closed', undefined);
    const started = performance.now();
    Atomics.store(this.flag, 0, 0);
    const req: SyncRequest = { sql, params: params.map(toWire), rowMode };
    this.port.postMessage(req);
    const woke = waitForFlag(this.flag, this.waitMs) ? 'ok' : 'timed-out';
    this.stats.statements++;
    this.stats.waitMs += performance.now() - started;
    if (woke === 'timed-out') {
      this.stats.errors++;
      this.restart();
      throw new PgSyncError(`PostgreSQL did not answer within ${this.waitMs} ms`, undefined);
    }
    const msg = receiveMessageOnPort(this.port);
    if (!msg) {
      this.stats.errors++;
      this.restart();
      throw new PgSyncError('the PostgreSQL connection thread woke without an answer', undefined);
    }
    const a = msg.message as SyncAnswer;
    if (!a.ok) {
      this.stats.errors++;
      throw new PgSyncError(a.message, a.code, a.detail, a.constraint);
    }
    return { rows: a.rows.map(fromWire), rowCount: a.rowCount, fields: a.fields };
  }

  private restart(): void {
    this.stats.restarts++;
    void this.worker.terminate();
    this.port.close();
    this.spawn();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}

/** Values as node-postgres binds them: a Buffer stays bytea; undefined is NULL (better-sqlite3 refuses it, pg sends NULL). */
function toWire(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

/** Buffers arrive as Uint8Array after the thread hop: give callers Buffers again, as better-sqlite3 does for BLOBs. */
function fromWire(row: unknown): unknown {
  if (Array.isArray(row)) return row.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v));
  if (row && typeof row === 'object') {
    const r = row as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      const v = r[k];
      if (v instanceof Uint8Array && !Buffer.isBuffer(v)) r[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    }
  }
  return row;
}
