import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/**
 * Opens the one connection the server uses: WAL, synchronous=NORMAL,
 * foreign keys on, a busy timeout so a checkpoint never fails a write.
 * A new database file is created 0600 (its directory 0700); SQLite gives the
 * WAL and shared-memory files the database file's mode.
 */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    createPrivate(file);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
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
