import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/** The WAL file is cut back to this after a checkpoint (it grows during a storm and would stay that size). */
export const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

/**
 * Opens a connection as the server uses them: WAL, synchronous=NORMAL,
 * foreign keys on, a busy timeout so a checkpoint never fails a write. A new
 * database is created with auto_vacuum=INCREMENTAL, so free pages can be
 * given back in steps (`PRAGMA incremental_vacuum`); an existing one keeps
 * its mode (switching needs a full VACUUM).
 * A new database file is created 0600 (its directory 0700); SQLite gives the
 * WAL and shared-memory files the database file's mode.
 */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    createPrivate(file);
  }
  const db = new Database(file);
  // Only possible before the first table exists.
  if ((db.pragma('page_count', { simple: true }) as number) === 0) db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
  return db;
}

/**
 * A read-only connection for a reader thread: it cannot write (`readonly`, and
 * `query_only` as well), reads a consistent snapshot per statement while the
 * writer goes on (the database is in WAL mode, set by the writer's connection),
 * and never creates the file.
 */
export function openReadOnlyDatabase(file: string): Db {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('query_only = ON');
  db.pragma('busy_timeout = 5000');
  // A bigger page cache than the 2 MB default: the dashboard and list queries revisit the same index pages.
  db.pragma('cache_size = -16384');
  return db;
}

/**
 * Creates an empty database file 0600 when there is none. Never opens an
 * existing one: closing any descriptor of a file drops every POSIX lock this
 * process holds on it, including those of SQLite connections already open
 * (the event store thread opens the file while the main connection has it).
 */
function createPrivate(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
