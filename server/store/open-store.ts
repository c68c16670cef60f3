import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../log/logger.js';
import { PG_MIGRATIONS_DIR } from '../paths.js';
import { openDatabase, type Db } from './database.js';
import { redactDatabaseUrl, scrubDatabaseUrl } from './database-url.js';
import { databaseFiles, secureDataFiles } from './file-modes.js';
import { migrate, readMigrations, schemaVersion } from './migrate.js';
import { migratePostgres } from './pg/migrate.js';
import { openPgDb } from './pg/pg-db.js';
import type { SecretBox } from './secret-box.js';
import { stagedKeyPath } from './secret-key-file.js';
import { openSecretBox } from './secret-store.js';

export const DATABASE_FILE = 'netwatch.db';
export const DEFAULT_KEY_FILE = 'secret.key';

/** Where the database and the secret key live for a data dir and an optional `secretKeyFile`. */
export function storePaths(dataDir: string, secretKeyFile?: string): { dataDir: string; dbPath: string; keyFile: string } {
  const dir = resolve(dataDir);
  return { dataDir: dir, dbPath: join(dir, DATABASE_FILE), keyFile: resolve(secretKeyFile ?? join(dir, DEFAULT_KEY_FILE)) };
}

/**
 * Which database the store runs on. `dbPath` used to say it; on PostgreSQL
 * there is no file, so everything that opens its own connection (reader
 * threads, the event store thread) takes this instead.
 */
export type StoreBackend = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** What ReadPool.open `file` and openEventStoreThread take for a backend. */
export const connectionTarget = (b: StoreBackend): string | { postgresUrl: string } => (b.kind === 'sqlite' ? b.file : { postgresUrl: b.url });

/** The backend for people: the file, or the URL with its password as `***`. */
export const describeBackend = (b: StoreBackend): string => (b.kind === 'sqlite' ? b.file : redactDatabaseUrl(b.url));

/** Thrown when the PostgreSQL store cannot be opened (unreachable, refused, a migration failed); its message holds no password. */
export class StoreOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreOpenError';
  }
}

export interface OpenStoreOptions {
  dataDir: string;
  secretKeyFile?: string;
  migrationsDir: string;
  /** `databaseUrl`: PostgreSQL instead of SQLite in `dataDir`. */
  databaseUrl?: string;
  log: Logger;
}

export interface OpenedStore {
  db: Db;
  backend: StoreBackend;
  keyFile: string;
  secrets: SecretBox;
}

/**
 * Opens the store the config selects: PostgreSQL when `databaseUrl` is set
 * (openPgStore), else the SQLite file in `dataDir` (openSqliteStore).
 */
export function openStore(opts: OpenStoreOptions): Promise<OpenedStore> {
  return opts.databaseUrl ? openPgStore({ ...opts, databaseUrl: opts.databaseUrl }) : Promise.resolve(openSqliteStore(opts));
}

/**
 * Start-up of the SQLite store: private file modes (data dir 0700; database, WAL,
 * SHM and key files 0600, tightened and logged when looser), migrations, then
 * the secret key (created on first start) with every plaintext secret
 * encrypted. Throws SecretKeyError, with the database closed and its secrets
 * untouched, when the key is missing or wrong.
 */
export function openSqliteStore(opts: Omit<OpenStoreOptions, 'databaseUrl'>): OpenedStore & { dbPath: string } {
  const { log } = opts;
  const { dataDir, dbPath, keyFile } = storePaths(opts.dataDir, opts.secretKeyFile);
  for (const c of secureDataFiles(dataDir, [...databaseFiles(dbPath), keyFile, stagedKeyPath(keyFile)])) {
    if (c.error) log.warn({ path: c.path, mode: c.from, err: new Error(c.error) }, `cannot tighten the mode of ${c.path} (${c.from}): it stays readable by others`);
    else log.warn({ path: c.path, from: c.from, to: c.to }, `tightened the mode of ${c.path} from ${c.from} to ${c.to}`);
  }
  const db = openDatabase(dbPath);
  try {
    const applied = migrate(db, readMigrations(opts.migrationsDir));
    if (applied.length) log.info({ applied, dbPath }, 'database migrated');
    const secrets = openSecrets(db, keyFile, log);
    return { db, dbPath, backend: { kind: 'sqlite', file: dbPath }, keyFile, secrets };
  } catch (err) {
    db.close();
    throw err;
  }
}


/**
 * Start-up of the PostgreSQL store: the migrations of migrations/postgres
 * (under their advisory lock, so central nodes starting together apply each
 * once; an empty database gets the whole schema), the synchronous PgDb
 * facade, then the secret key as on SQLite. The key stays a file
 * (`secretKeyFile`, default `<dataDir>/secret.key`, 0600): every central
 * node on the database must have the same one. The key check runs under a
 * session advisory lock, so two nodes starting at once on an empty database
 * cannot each make a key and seal the check with theirs: the second finds
 * the first's check and refuses to start without that key file (secret-store.ts).
 * Errors come back as StoreOpenError without the password.
 */
export async function openPgStore(opts: OpenStoreOptions & { databaseUrl: string }): Promise<OpenedStore> {
  const { log, databaseUrl: url } = opts;
  const { dataDir, keyFile } = storePaths(opts.dataDir, opts.secretKeyFile);
  const shown = redactDatabaseUrl(url);
  // The data dir still holds the key file (by default) and the MIB index.
  for (const c of secureDataFiles(dataDir, [keyFile, stagedKeyPath(keyFile)])) {
    if (c.error) log.warn({ path: c.path, mode: c.from, err: new Error(c.error) }, `cannot tighten the mode of ${c.path} (${c.from}): it stays readable by others`);
    else log.warn({ path: c.path, from: c.from, to: c.to }, `tightened the mode of ${c.path} from ${c.from} to ${c.to}`);
  }
  try {
    const { applied } = await migratePostgres(url, readMigrations(PG_MIGRATIONS_DIR));
    if (applied.length) log.info({ applied, database: shown }, 'PostgreSQL database migrated');
  } catch (err) {
    throw new StoreOpenError(`PostgreSQL store at ${shown}: ${scrubDatabaseUrl((err as Error).message, url)}`);
  }
  const db = openPgDb(url);
  try {
    // openSecretBox serialises nodes starting together itself (the seal lock, and a refusal when another
    // node sealed the check with another key), and holds the shared server lock a key rotation waits for.
    return { db, backend: { kind: 'postgres', url }, keyFile, secrets: openSecrets(db, keyFile, log) };
  } catch (err) {
    db.close();
    if ((err as Error).name === 'PgSyncError') throw new StoreOpenError(`PostgreSQL store at ${shown}: ${scrubDatabaseUrl((err as Error).message, url)}`);
    throw err;
  }
}

function openSecrets(db: Db, keyFile: string, log: Logger): SecretBox {
  const { box, report } = openSecretBox(db, keyFile, (err, where) => log.error({ err, where }, `stored secret cannot be decrypted: ${where}; it is withheld`));
  if (report.generatedKey) log.warn({ keyFile, kid: report.kid }, `created the secret key ${keyFile}: back it up apart from the database (a backup of the database is unreadable without it)`);
  if (report.rotation === 'completed') log.warn({ keyFile, kid: report.kid }, 'finished an interrupted key rotation: the new key is now in place');
  if (report.rotation === 'discarded') log.warn({ keyFile, kid: report.kid }, 'undid an interrupted key rotation: the database still uses the current key');
  if (report.sealed) log.info({ sealed: report.sealed }, `encrypted ${report.sealed} stored secret(s) that were plaintext`);
  return box;
}

/** GET /status's database facts: where (no password), how big, which schema version. */
export function databaseFacts(db: Db, backend: StoreBackend): { path: string; sizeBytes: number; schemaVersion: number } {
  if (backend.kind === 'postgres') {
    const row = db
      .prepare('SELECT pg_database_size(current_database()) AS size, (SELECT max(version) FROM schema_migrations) AS version')
      .get() as { size: number; version: number | null };
    return { path: describeBackend(backend), sizeBytes: Number(row.size), schemaVersion: row.version ?? 0 };
  }
  let sizeBytes = 0;
  for (const suffix of ['', '-wal']) {
    try {
      sizeBytes += statSync(backend.file + suffix).size;
    } catch {
      // the WAL file may not exist yet
    }
  }
  return { path: backend.file, sizeBytes, schemaVersion: schemaVersion(db) };
}
