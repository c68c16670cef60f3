import pg from 'pg';
import { workerData, type MessagePort } from 'node:worker_threads';
import { PG_TYPES } from './pg-types.js';

/**
 * The connection thread behind PgSyncConnection (pg-sync.ts): one pg.Client,
 * one query at a time. The caller posts a request on `port` and sleeps on
 * `flag` (Atomics.wait); this thread runs the query, posts the answer, then
 * sets the flag and wakes it. Errors travel as data (message, SQLSTATE,
 * detail), never as an exception that would end the thread.
 */

interface Init {
  url: string;
  port: MessagePort;
  flag: SharedArrayBuffer;
  statementTimeoutMs: number;
}

export interface SyncRequest {
  sql: string;
  params: unknown[];
  /** 'array': rows as arrays (better-sqlite3's raw()). */
  rowMode?: 'array';
}

export type SyncAnswer =
  | { ok: true; rows: unknown[]; rowCount: number; fields: string[] }
  | { ok: false; message: string; code?: string; detail?: string; constraint?: string; broken?: boolean };

const init = workerData as Init;
/**
 * Server-side prepared statements by SQL text: the repositories prepare a fixed set of
 * statements, so each is parsed and planned once per connection. Texts beyond the cap
 * (SQL built per call, e.g. an IN list) run unnamed.
 */
const NAMED_MAX = 2_000;
let names = new Map<string, string>();
const nameOf = (sql: string): string | undefined => {
  let n = names.get(sql);
  if (n === undefined && names.size < NAMED_MAX) names.set(sql, (n = `nw${names.size}`));
  return n;
};
const flag = new Int32Array(init.flag);
let client: pg.Client | null = null;

async function connection(): Promise<pg.Client> {
  if (client) return client;
  const c = new pg.Client({ connectionString: init.url, types: PG_TYPES, application_name: 'netwatch' });
  c.on('error', () => {
    // A dropped connection: the next request connects again.
    if (client === c) client = null;
  });
  // Prepared statements belong to a connection: a new one prepares again.
  names = new Map();
  await c.connect();
  if (init.statementTimeoutMs > 0) await c.query(`SET statement_timeout = ${Math.floor(init.statementTimeoutMs)}`);
  client = c;
  return c;
}

function answer(a: SyncAnswer): void {
  init.port.postMessage(a);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

init.port.on('message', (req: SyncRequest) => {
  void (async () => {
    let c: pg.Client | null = null;
    try {
      c = await connection();
      const name = req.params.length ? nameOf(req.sql) : undefined;
      const r: pg.QueryResult = await c.query({ name, text: req.sql, values: req.params, rowMode: req.rowMode } as pg.QueryConfig);
      answer({ ok: true, rows: r.rows, rowCount: r.rowCount ?? 0, fields: r.fields.map((f) => f.name) });
    } catch (err) {
      const e = err as pg.DatabaseError & { code?: string };
      // No SQLSTATE: the connection itself failed (refused, reset); drop it so the next call reconnects.
      const broken = !e.code || e.code.startsWith('08') || e.code === '57P01';
      if (broken && c) {
        if (client === c) client = null;
        void c.end().catch(() => undefined);
      }
      answer({ ok: false, message: e.message ?? String(err), code: e.code, detail: e.detail, constraint: e.constraint, broken });
    }
  })();
});
