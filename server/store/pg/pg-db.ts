import type { Db } from '../database.js';
import { PgSyncConnection, PgSyncError, type PgSyncOptions } from './pg-sync.js';

/**
 * The part of better-sqlite3's Database that the repositories use, on
 * PostgreSQL: prepare(sql).run/get/all/iterate/pluck/raw, transaction(fn),
 * exec, inTransaction, close. It lets one repository class, with one SQL text
 * written for both engines, run on either (see docs/POSTGRES.md, "Portable
 * SQL"). Statements go to the server through PgSyncConnection, synchronously.
 *
 * SQL rewriting is limited to parameters: `?` and `?NNN` become `$n`, and
 * `@name`, `:name`, `$name` become `$n` bound from the named object, as
 * better-sqlite3 binds them. Nothing else in the text is changed; SQL that
 * only SQLite understands fails on PostgreSQL with PostgreSQL's own message.
 * Anything of better-sqlite3's API outside that subset (pragma, function,
 * backup, serialize …) throws "not available on PostgreSQL".
 */

interface Compiled {
  text: string;
  /** For each $n (index n-1): a positional index, or a name. */
  slots: Array<{ pos: number } | { name: string }>;
  reader: boolean;
}

/** Rewrites the parameters of a SQLite statement into PostgreSQL's $n, skipping strings, quoted names and comments. */
export function compileSql(sql: string): Compiled {
  let out = '';
  const slots: Compiled['slots'] = [];
  const named = new Map<string, number>();
  let nextPos = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = closeQuote(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '?') {
      let j = i + 1;
      while (j < n && isDigit(sql[j]!)) j++;
      const pos = j > i + 1 ? Number(sql.slice(i + 1, j)) - 1 : nextPos;
      nextPos = pos + 1;
      slots.push({ pos });
      out += `$${slots.length}`;
      i = j;
    } else if ((c === '@' || c === '$' || (c === ':' && sql[i + 1] !== ':' && sql[i - 1] !== ':')) && isNameStart(sql[i + 1])) {
      let j = i + 1;
      while (j < n && isNameChar(sql[j]!)) j++;
      const name = sql.slice(i + 1, j);
      let slot = named.get(name);
      if (slot === undefined) {
        slots.push({ name });
        slot = slots.length;
        named.set(name, slot);
      }
      out += `$${slot}`;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  const head = out.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/, '').slice(0, 12).toUpperCase();
  const reader = /^(SELECT|WITH|VALUES|SHOW|EXPLAIN)\b/.test(head) || /\bRETURNING\b/i.test(out);
  return { text: out, slots, reader };
}

function closeQuote(sql: string, start: number, q: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === q) {
      if (sql[i + 1] === q) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}
const isDigit = (c: string) => c >= '0' && c <= '9';
const isNameStart = (c: string | undefined) => c !== undefined && /[A-Za-z_]/.test(c);
const isNameChar = (c: string) => /[A-Za-z0-9_]/.test(c);

/** Binds better-sqlite3-style arguments (values, arrays of values, one object of named values) to the compiled slots. */
export function bindArgs(c: Compiled, args: unknown[]): unknown[] {
  const positional: unknown[] = [];
  let names: Record<string, unknown> | undefined;
  for (const a of args) {
    if (Array.isArray(a)) positional.push(...(a as unknown[]));
    else if (a !== null && typeof a === 'object' && !(a instanceof Uint8Array) && !(a instanceof Date)) names = a as Record<string, unknown>;
    else positional.push(a);
  }
  return c.slots.map((s) => {
    if ('pos' in s) {
      if (s.pos >= positional.length) throw new RangeError(`too few parameter values were provided (${positional.length}) for: ${c.text.slice(0, 120)}`);
      return positional[s.pos];
    }
    if (!names || !Object.hasOwn(names, s.name)) throw new RangeError(`missing named parameter "${s.name}"`);
    return names[s.name];
  });
}

export class PgStatement {
  private pluckOn = false;
  private rawOn = false;
  private readonly compiled: Compiled;

  constructor(
    private readonly db: PgDb,
    readonly source: string,
  ) {
    this.compiled = compileSql(source);
  }

  get reader(): boolean {
    return this.compiled.reader;
  }

  pluck(on = true): this {
    this.pluckOn = on;
    if (on) this.rawOn = false;
    return this;
  }

  raw(on = true): this {
    this.rawOn = on;
    if (on) this.pluckOn = false;
    return this;
  }

  /** Writes; with RETURNING, lastInsertRowid is the first column of the first row returned. */
  run(...args: unknown[]): { changes: number; lastInsertRowid: number } {
    const r = this.db.connection.query(this.compiled.text, bindArgs(this.compiled, args), 'array');
    const first = (r.rows[0] as unknown[] | undefined)?.[0];
    return { changes: r.rowCount, lastInsertRowid: typeof first === 'number' ? first : 0 };
  }

  get(...args: unknown[]): unknown {
    return this.shape(this.exec(args))[0];
  }

  all(...args: unknown[]): unknown[] {
    return this.shape(this.exec(args));
  }

  /** All rows are fetched first (no server-side cursor): callers iterate bounded pages. */
  iterate(...args: unknown[]): IterableIterator<unknown> {
    return this.all(...args)[Symbol.iterator]();
  }

  expand(): never {
    throw unavailable('Statement.expand');
  }

  safeIntegers(): this {
    return this;
  }

  private exec(args: unknown[]) {
    return this.db.connection.query(this.compiled.text, bindArgs(this.compiled, args), this.pluckOn || this.rawOn ? 'array' : undefined);
  }

  private shape(r: { rows: unknown[] }): unknown[] {
    if (this.pluckOn) return r.rows.map((row) => (row as unknown[])[0]);
    return r.rows;
  }
}

const unavailable = (what: string) => new PgSyncError(`${what} is not available on PostgreSQL`, undefined);

type TxFn<F extends (...a: never[]) => unknown> = F & { deferred: F; immediate: F; exclusive: F };

export class PgDb {
  readonly connection: PgSyncConnection;
  private depth = 0;
  private savepoint = 0;
  open = true;
  readonly name: string;
  readonly engine = 'postgres' as const;

  constructor(url: string, opts: PgSyncOptions = {}) {
    this.connection = new PgSyncConnection(url, opts);
    this.name = url.replace(/\/\/[^@/]*@/, '//');
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  prepare(sql: string): PgStatement {
    return new PgStatement(this, sql);
  }

  /** Several statements, no parameters (PostgreSQL's simple query protocol). */
  exec(sql: string): this {
    this.connection.query(sql);
    return this;
  }

  /** better-sqlite3's transaction(): BEGIN/COMMIT around fn, ROLLBACK on a throw; nested calls use savepoints. */
  transaction<F extends (...a: never[]) => unknown>(fn: F): TxFn<F> {
    const run = ((...args: Parameters<F>) => {
      if (this.depth === 0) {
        this.connection.query('BEGIN');
        this.depth++;
        try {
          const result = fn(...args);
          this.connection.query('COMMIT');
          return result;
        } catch (err) {
          try {
            this.connection.query('ROLLBACK');
          } catch {
            /* the connection is gone: the server rolled back */
          }
          throw err;
        } finally {
          this.depth--;
        }
      }
      const sp = `nw_sp${++this.savepoint}`;
      this.connection.query(`SAVEPOINT ${sp}`);
      this.depth++;
      try {
        const result = fn(...args);
        this.connection.query(`RELEASE SAVEPOINT ${sp}`);
        return result;
      } catch (err) {
        this.connection.query(`ROLLBACK TO SAVEPOINT ${sp}`);
        this.connection.query(`RELEASE SAVEPOINT ${sp}`);
        throw err;
      } finally {
        this.depth--;
      }
    }) as unknown as TxFn<F>;
    run.deferred = run;
    run.immediate = run;
    run.exclusive = run;
    return run;
  }

  pragma(): never {
    throw unavailable('pragma');
  }

  function(): never {
    throw unavailable('Database.function');
  }

  close(): this {
    this.open = false;
    this.connection.close();
    return this;
  }
}

/**
 * A PostgreSQL database behind the `Db` type the repositories take. The cast
 * is the contract of this file: PgDb implements the subset of better-sqlite3
 * they use, and throws "not available on PostgreSQL" for the rest.
 */
export function openPgDb(url: string, opts?: PgSyncOptions): Db {
  return new PgDb(url, opts) as unknown as Db;
}

/** Which engine a `Db` runs on. */
export const isPostgres = (db: Db): boolean => (db as unknown as { engine?: string }).engine === 'postgres';
