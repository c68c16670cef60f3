import Database from 'better-sqlite3';
import { chmodSync, copyFileSync, existsSync, unlinkSync } from 'node:fs';
import type { Db } from './database.js';
import { schemaVersion } from './migrate.js';
import { isPostgres, openPgDb } from './pg/pg-db.js';
import { isSealed, newSecretKey, SecretBox, SecretKeyError, SecretUnreadableError, type SecretKey } from './secret-box.js';
import { installStagedKey, readKeyFile, stagedKeyPath, writeKeyFile } from './secret-key-file.js';
import { describeCell, SecretRepository } from './secret.repository.js';

/** The known value sealed into `secret_key_check`: opening it proves the key is the database's. */
const CHECK_TEXT = 'netwatch secret key check';
/** The migration that introduced encrypted secret columns. */
const SECRETS_SCHEMA = 7;

/**
 * PostgreSQL advisory lock keys ('nwsecret', 'nwseal  ' as 8 bytes). Every
 * server holds SERVER_LOCK shared on its connection from openSecretBox on; a
 * key rotation takes it exclusively, so it runs only while no server has the
 * database open (SQLite's exclusive locking mode does that for a file).
 * SEAL_LOCK makes the start-up pass of servers starting at once run one after
 * the other.
 */
export const SECRET_SERVER_LOCK = 0x6e77736563726574n;
const SECRET_SEAL_LOCK = 0x6e777365616c2020n;

export const isPostgresUrl = (s: string): boolean => /^postgres(ql)?:\/\//i.test(s);

export interface SecretStartReport {
  kid: string;
  /** A key file was created (first start, or a database from before encryption). */
  generatedKey: boolean;
  /** Plaintext values found and encrypted now. */
  sealed: number;
  /** Encrypted values checked. */
  verified: number;
  /** An interrupted rotation found at start-up: finished (`completed`) or undone (`discarded`). */
  rotation: 'completed' | 'discarded' | null;
}

/**
 * Which key the database's secrets are sealed with, from the key file and a
 * rotation's staged `<file>.new` (finishing or discarding that rotation).
 * Throws SecretKeyError when neither file holds the database's key.
 */
function resolveKey(repo: SecretRepository, keyFile: string): { key: SecretKey | null; rotation: SecretStartReport['rotation'] } {
  const check = repo.check();
  const current = readKeyFile(keyFile);
  const staged = stagedKeyPath(keyFile);
  let next: SecretKey | null = null;
  let stagedUnreadable = false;
  try {
    next = existsSync(staged) ? readKeyFile(staged) : null;
  } catch (err) {
    // Cut short while being written: the database never used it (it commits only after the file is synced).
    if (!(err instanceof SecretKeyError)) throw err;
    stagedUnreadable = true;
  }
  if (!check) return { key: current, rotation: null };
  const holder = [current, next].find((k) => k?.kid === check.kid);
  if (!holder) {
    throw new SecretKeyError(
      current
        ? `the database's secrets are encrypted with key ${check.kid}, but ${keyFile} holds key ${current.kid}: ` +
            'put back the key file that belongs to this database (from your backup), or point secretKeyFile / NMS_SECRET_KEY_FILE at it'
        : `the database's secrets are encrypted with key ${check.kid}, but the key file ${keyFile} does not exist: ` +
            'restore it from your backup, or point secretKeyFile / NMS_SECRET_KEY_FILE at it (a new key cannot read them)',
    );
  }
  try {
    if (new SecretBox([holder], holder.kid).open(check.sealed) !== CHECK_TEXT) throw new Error('check value differs');
  } catch {
    throw new SecretKeyError(
      `${holder === current ? keyFile : staged} holds key id ${holder.kid} but does not decrypt the database's secrets: the key file is damaged or not the one of this database`,
    );
  }
  if (!next && !stagedUnreadable) return { key: holder, rotation: null };
  if (holder === next) {
    installStagedKey(keyFile); // the rotation committed, then stopped before putting its key in place
    return { key: next, rotation: 'completed' };
  }
  unlinkSync(staged); // the rotation stopped before it committed: the database still uses the current key
  return { key: holder, rotation: 'discarded' };
}

/** Every secret value opened with `from` (throws, listing the unreadable ones); `rewrite` may re-seal each. */
function forEachSecret(repo: SecretRepository, from: SecretBox, rewrite: ((plain: string) => string) | null): { sealed: number; verified: number } {
  let sealed = 0;
  let verified = 0;
  const bad: string[] = [];
  for (const cell of repo.cells()) {
    let plain: string;
    if (isSealed(cell.value)) {
      try {
        plain = from.open(cell.value);
      } catch (err) {
        if (!(err instanceof SecretUnreadableError)) throw err;
        bad.push(`${describeCell(cell)}: ${err.message}`);
        continue;
      }
      verified++;
      if (rewrite) repo.update(cell, rewrite(plain));
    } else {
      repo.update(cell, (rewrite ?? ((p: string) => from.seal(p)))(cell.value));
      sealed++;
    }
  }
  if (bad.length) {
    throw new SecretKeyError(`${bad.length} stored secret(s) cannot be decrypted with key ${from.kid}: ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? '; …' : ''}`);
  }
  return { sealed, verified };
}

/**
 * Start-up, right after the migrations: finds the key (creating the key file,
 * 0600, only while the database holds no encrypted secret), then in one
 * transaction encrypts any plaintext secret and checks that every encrypted
 * one opens. Throws SecretKeyError, having changed nothing in the database,
 * when the key is missing or wrong.
 */
export function openSecretBox(
  db: Db,
  keyFile: string,
  onUnreadable?: (err: SecretUnreadableError, where: string) => void,
): { box: SecretBox; report: SecretStartReport } {
  const pg = isPostgres(db);
  if (pg && !db.prepare('SELECT pg_try_advisory_lock_shared(CAST(? AS bigint)) AS ok').pluck().get(SECRET_SERVER_LOCK.toString())) {
    throw new SecretKeyError(`a secret key rotation is running on the database ${db.name}: start the server again when it has finished`);
  }
  const repo = new SecretRepository(db);
  let { key, rotation } = resolveKey(repo, keyFile);
  let generatedKey = false;
  if (!key) {
    const sealedCell = repo.cells().find((c) => isSealed(c.value));
    if (sealedCell) throw new SecretKeyError(`the database holds encrypted secrets (${describeCell(sealedCell)}) but the key file ${keyFile} does not exist: restore it from your backup`);
    key = newSecretKey();
    writeKeyFile(keyFile, key);
    generatedKey = true;
  }
  const box = new SecretBox([key], key.kid, onUnreadable);
  // SQLite: overwrite the plaintext being replaced instead of leaving it in the pages' free space.
  // PostgreSQL has no such setting: the old row versions stay in the table files until VACUUM
  // reuses their space, and in the WAL (docs/POSTGRES.md).
  const prior = pg ? null : (db.pragma('secure_delete', { simple: true }) as number);
  if (!pg) db.pragma('secure_delete = ON');
  let counts: { sealed: number; verified: number };
  try {
    counts = repo.transaction(() => {
      if (pg) db.prepare('SELECT pg_advisory_xact_lock(CAST(? AS bigint))').run(SECRET_SEAL_LOCK.toString());
      const check = repo.check();
      // Another server starting at the same time sealed the database with its own key after resolveKey.
      if (check && check.kid !== box.kid) {
        throw new SecretKeyError(`another server just put the database's secrets under key ${check.kid} while this one holds key ${box.kid}: give every server the same key file`);
      }
      const c = forEachSecret(repo, box, null);
      if (!check) repo.setCheck(box.kid, box.seal(CHECK_TEXT));
      return c;
    });
  } finally {
    if (prior !== null) db.pragma(`secure_delete = ${prior}`);
  }
  // Old plaintext pages in the WAL go with it.
  if (counts.sealed && !pg) db.pragma('wal_checkpoint(TRUNCATE)');
  return { box, report: { kid: key.kid, generatedKey, rotation, ...counts } };
}

export interface RotationResult {
  oldKid: string;
  newKid: string;
  rewritten: number;
  rotation: SecretStartReport['rotation'];
  /** Where the old key was kept (`keepOldKey`). */
  oldKeyFile: string | null;
}

export type RotationStep = 'staged' | 'committed' | 'installed';

/**
 * Replaces the key: writes the new one to `<keyFile>.new`, re-encrypts every
 * secret in one transaction (with the database locked exclusively, so it
 * refuses to run while a server has it open), then renames the new key over
 * the old. Interrupted anywhere, the key the database uses is still on disk
 * (the old file until the commit, `.new` after it) and the next start or
 * rotation finishes or undoes the step. `afterStep` is for crash tests.
 *
 * `dbFile` may be a PostgreSQL URL (postgres://…): the rotation then holds
 * SECRET_SERVER_LOCK exclusively, so it refuses while any server has the
 * database open, and a server cannot start until it has finished. Only this
 * machine's key file is replaced: every other central node needs the new file.
 */
export function rotateSecretKey(dbFile: string, keyFile: string, opts: RotateOptions = {}): RotationResult {
  if (isPostgresUrl(dbFile)) return rotatePostgres(dbFile, keyFile, opts);
  if (!existsSync(dbFile)) throw new SecretKeyError(`no database at ${dbFile}`);
  const db = new Database(dbFile, { fileMustExist: true, timeout: 0 });
  try {
    // Held until close: no server can open the database while its key changes.
    db.pragma('locking_mode = EXCLUSIVE');
    try {
      db.exec('BEGIN EXCLUSIVE');
      db.exec('COMMIT');
    } catch (err) {
      if (String((err as { code?: string }).code).startsWith('SQLITE_BUSY')) {
        throw new SecretKeyError(`the database ${dbFile} is in use: stop the Netwatch server before rotating its key`);
      }
      throw err;
    }
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    if (schemaVersion(db) < SECRETS_SCHEMA) throw new SecretKeyError('this database has not been opened by a server with encrypted secrets yet: start the server once, then rotate');
    const result = rotateLocked(db, keyFile, opts);
    db.pragma('wal_checkpoint(TRUNCATE)');
    return result;
  } finally {
    db.close();
  }
}

type RotateOptions = { keepOldKey?: boolean; afterStep?: (step: RotationStep) => void };

function rotatePostgres(url: string, keyFile: string, opts: RotateOptions): RotationResult {
  const db = openPgDb(url);
  try {
    if (!db.prepare('SELECT pg_try_advisory_lock(CAST(? AS bigint)) AS ok').pluck().get(SECRET_SERVER_LOCK.toString())) {
      throw new SecretKeyError(`the database ${db.name} is in use: stop every Netwatch server on it before rotating its key`);
    }
    if (db.prepare("SELECT to_regclass('secret_key_check') IS NULL").pluck().get()) {
      throw new SecretKeyError('this database has not been opened by a server yet: start the server once, then rotate');
    }
    return rotateLocked(db, keyFile, opts);
  } finally {
    db.close(); // ends the session, and its lock with it
  }
}

/** The rotation proper, on a database no server has open. */
function rotateLocked(db: Db, keyFile: string, opts: RotateOptions): RotationResult {
  const repo = new SecretRepository(db);
  if (!repo.check()) throw new SecretKeyError('the database has no key check yet: start the server once, then rotate');
  const { key: old, rotation } = resolveKey(repo, keyFile);
  const oldBox = new SecretBox([old!], old!.kid);
  const next = newSecretKey();
  const nextBox = new SecretBox([next], next.kid);
  writeKeyFile(stagedKeyPath(keyFile), next);
  opts.afterStep?.('staged');
  let rewritten: number;
  try {
    rewritten = repo.transaction(() => {
      const { sealed, verified } = forEachSecret(repo, oldBox, (plain) => nextBox.seal(plain));
      repo.setCheck(next.kid, nextBox.seal(CHECK_TEXT));
      return sealed + verified;
    });
  } catch (err) {
    unlinkSync(stagedKeyPath(keyFile));
    throw err;
  }
  opts.afterStep?.('committed');
  let oldKeyFile: string | null = null;
  if (opts.keepOldKey) {
    oldKeyFile = `${keyFile}.${old!.kid}.old`;
    copyFileSync(keyFile, oldKeyFile);
    chmodSync(oldKeyFile, 0o600);
  }
  installStagedKey(keyFile);
  opts.afterStep?.('installed');
  return { oldKid: old!.kid, newKid: next.kid, rewritten, rotation, oldKeyFile };
}
