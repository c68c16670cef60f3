import { join, resolve } from 'node:path';
import type { Logger } from '../log/logger.js';
import { openDatabase, type Db } from './database.js';
import { databaseFiles, secureDataFiles } from './file-modes.js';
import { migrate, readMigrations } from './migrate.js';
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
 * Start-up of the store: private file modes (data dir 0700; database, WAL,
 * SHM and key files 0600, tightened and logged when looser), migrations, then
 * the secret key (created on first start) with every plaintext secret
 * encrypted. Throws SecretKeyError, with the database closed and its secrets
 * untouched, when the key is missing or wrong.
 */
export function openStore(opts: { dataDir: string; secretKeyFile?: string; migrationsDir: string; log: Logger }): { db: Db; dbPath: string; keyFile: string; secrets: SecretBox } {
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
    const { box, report } = openSecretBox(db, keyFile, (err, where) => log.error({ err, where }, `stored secret cannot be decrypted: ${where}; it is withheld`));
    if (report.generatedKey) log.warn({ keyFile, kid: report.kid }, `created the secret key ${keyFile}: back it up apart from the database (a backup of the database is unreadable without it)`);
    if (report.rotation === 'completed') log.warn({ keyFile, kid: report.kid }, 'finished an interrupted key rotation: the new key is now in place');
    if (report.rotation === 'discarded') log.warn({ keyFile, kid: report.kid }, 'undid an interrupted key rotation: the database still uses the current key');
    if (report.sealed) log.info({ sealed: report.sealed }, `encrypted ${report.sealed} stored secret(s) that were plaintext`);
    return { db, dbPath, keyFile, secrets: box };
  } catch (err) {
    db.close();
    throw err;
  }
}
