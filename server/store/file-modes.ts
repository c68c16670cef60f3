import { chmodSync, mkdirSync, statSync } from 'node:fs';

/** A mode this process changed (or could not change) at start-up, for the log. */
export interface ModeChange {
  path: string;
  from: string;
  to: string;
  /** Set when chmod failed (read-only mount, another owner): the file stays as it was. */
  error?: string;
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0');

function tighten(path: string, wanted: number): ModeChange | null {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  // Only group/other bits matter: the owner's own bits are left alone.
  if ((mode & 0o077) === 0) return null;
  const change: ModeChange = { path, from: octal(mode), to: octal(wanted) };
  try {
    chmodSync(path, wanted);
  } catch (err) {
    change.error = (err as Error).message;
  }
  return change;
}

/**
 * The data directory is private to the server (0700) and so are the database,
 * its WAL and shared-memory files and the key files (0600). Creates the
 * directory when missing; tightens what exists with looser modes and returns
 * what it changed so the caller can log it.
 */
export function secureDataFiles(dataDir: string, files: readonly string[]): ModeChange[] {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const changes = [tighten(dataDir, 0o700), ...files.map((f) => tighten(f, 0o600))];
  return changes.filter((c): c is ModeChange => c !== null);
}

/** The database and the files SQLite keeps beside it. */
export const databaseFiles = (dbFile: string): string[] => [dbFile, `${dbFile}-wal`, `${dbFile}-shm`, `${dbFile}-journal`];
