import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { openDatabase, type Db } from '../../../server/store/database.js';
import { DeviceRepository } from '../../../server/store/device.repository.js';
import { NotificationRepository } from '../../../server/store/notification.repository.js';
import { openSqliteStore as openStore, storePaths } from '../../../server/store/open-store.js';
import { newSecretKey, SecretKeyError, type SecretBox } from '../../../server/store/secret-box.js';
import { formatKey, readKeyFile } from '../../../server/store/secret-key-file.js';
import { rotateSecretKey } from '../../../server/store/secret-store.js';
import { TrapUserRepository } from '../../../server/store/trap-user.repository.js';
import { capturingLogger, leakedInto, legacyDatabase, mode, PLAINTEXT } from './store-helpers.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  dbs.splice(0).forEach((d) => d.open && d.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'nw-secrets-'));
  dirs.push(d);
  return join(d, 'data');
}

function open(dir: string) {
  const cap = capturingLogger();
  const s = openStore({ dataDir: dir, migrationsDir: MIGRATIONS_DIR, log: cap.log });
  dbs.push(s.db);
  return { ...s, messages: cap.messages };
}

/** Every secret read back through the repositories, as the rest of the server sees them. */
function readBack(db: Db, secrets: SecretBox) {
  const devices = new DeviceRepository(db, secrets);
  const channels = new NotificationRepository(db, secrets);
  const [trap] = new TrapUserRepository(db, secrets).list();
  const hook = channels.record(1)!.config as { secret: string; headers: Record<string, string> };
  return {
    community: devices.get(1)!.snmp.community,
    authKey: devices.get(2)!.snmp.authKey,
    privKey: devices.get(2)!.snmp.privKey,
    trapAuth: trap!.authKey,
    trapPriv: trap!.privKey,
    webhookSecret: hook.secret,
    headerValue: hook.headers.Authorization,
    slackUrl: channels.record(2)!.config.url,
    smtpPassword: channels.record(3)!.config.password,
  };
}

/** The raw stored values of every secret column. */
function rawSecrets(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return [
      ...db.prepare('SELECT community, auth_key, priv_key FROM device_snmp ORDER BY device_id').raw().all().flat(),
      ...db.prepare('SELECT auth_key, priv_key FROM trap_users ORDER BY id').raw().all().flat(),
      ...db.prepare('SELECT config FROM notification_channels ORDER BY id').raw().all().flat(),
    ].filter((v): v is string => v !== null);
  } finally {
    db.close();
  }
}

const secretsOf = Object.values(PLAINTEXT);

describe('secrets at rest: start-up', () => {
  it('encrypts every plaintext secret of an older database in one pass, leaves none in the database, WAL or SHM file, and reads them all back', () => {
    const dir = dataDir();
    const { dbPath, keyFile } = storePaths(dir);
    legacyDatabase(dbPath);
    expect(leakedInto(dbPath, secretsOf).length).toBeGreaterThan(0); // the attack this guards against

    const s = open(dir);
    expect(s.messages()).toContain('encrypted 8 stored secret(s) that were plaintext');
    expect(s.messages().some((m) => m.startsWith(`created the secret key ${keyFile}`))).toBe(true);
    expect(mode(keyFile)).toBe('0600');
    expect(readBack(s.db, s.secrets)).toEqual(PLAINTEXT);
    expect(leakedInto(dbPath, secretsOf)).toEqual([]);
    const kid = readKeyFile(keyFile)!.kid;
    expect(rawSecrets(dbPath).every((v) => v.startsWith(`enc:v1:${kid}:`))).toBe(true);
    s.db.close();
    expect(leakedInto(dbPath, secretsOf)).toEqual([]);

    // Idempotent: a second start finds nothing to encrypt and changes no value.
    const before = rawSecrets(dbPath);
    const again = open(dir);
    expect(again.messages().filter((m) => m.includes('encrypted') || m.includes('created the secret key'))).toEqual([]);
    expect(rawSecrets(dbPath)).toEqual(before);
    expect(readBack(again.db, again.secrets)).toEqual(PLAINTEXT);
  });

  it('refuses to start with a missing, foreign or damaged key file, says what to do, and changes nothing', () => {
    const dir = dataDir();
    const { dbPath, keyFile } = storePaths(dir);
    legacyDatabase(dbPath);
    open(dir).db.close();
    const stored = rawSecrets(dbPath);
    const original = readFileSync(keyFile, 'utf8');
    const kid = readKeyFile(keyFile)!.kid;

    rmSync(keyFile);
    expect(() => open(dir)).toThrow(SecretKeyError);
    expect(() => open(dir)).toThrow(new RegExp(`encrypted with key ${kid}, but the key file .* does not exist: restore it from your backup`));
    expect(existsSync(keyFile)).toBe(false); // no new key that would make the secrets unreadable for good

    const foreign = newSecretKey();
    writeFileSync(keyFile, formatKey(foreign), { mode: 0o600 });
    expect(() => open(dir)).toThrow(new RegExp(`encrypted with key ${kid}, but .* holds key ${foreign.kid}`));

    writeFileSync(keyFile, formatKey({ kid, key: newSecretKey().key }));
    expect(() => open(dir)).toThrow(/does not decrypt the database's secrets: the key file is damaged or not the one of this database/);

    writeFileSync(keyFile, 'garbage\n');
    expect(() => open(dir)).toThrow(/is not a Netwatch secret key file/);

    expect(rawSecrets(dbPath)).toEqual(stored);
    writeFileSync(keyFile, original);
    const restored = open(dir);
    expect(readBack(restored.db, restored.secrets)).toEqual(PLAINTEXT);
  });

  it('creates the data dir 0700 and the database, WAL, SHM and key files 0600, and tightens looser modes it finds (logging each)', () => {
    const dir = dataDir();
    const { dbPath, keyFile } = storePaths(dir);
    const s = open(dir);
    new DeviceRepository(s.db, s.secrets).create({
      name: 'r1', address: '127.0.0.1', group: null, location: null, tags: [], pollIntervalSec: 60, icmpEnabled: true,
      snmp: { enabled: true, version: '2c', port: 161, community: PLAINTEXT.community, username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 1000, retries: 1 },
    });
    expect(mode(dir)).toBe('0700');
    for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, keyFile]) expect([f, mode(f)]).toEqual([f, '0600']);
    s.db.close();

    // An older install: world-readable files. The next start tightens them and says so.
    const db = new Database(dbPath);
    db.pragma('journal_mode = WAL');
    db.prepare("UPDATE devices SET location = 'lab'").run(); // leaves a WAL and SHM file while open
    chmodSync(dir, 0o755);
    for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, keyFile]) chmodSync(f, 0o644);
    const again = open(dir);
    db.close();
    expect(mode(dir)).toBe('0700');
    for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, keyFile]) expect([f, mode(f)]).toEqual([f, '0600']);
    for (const f of [dir, dbPath, keyFile]) expect(again.messages()).toContain(`tightened the mode of ${f} from ${f === dir ? '0755' : '0644'} to ${f === dir ? '0700' : '0600'}`);
  });
});

describe('secrets at rest: key rotation', () => {
  it('re-encrypts every secret with a new key, replaces the key file and keeps everything readable', () => {
    const dir = dataDir();
    const { dbPath, keyFile } = storePaths(dir);
    legacyDatabase(dbPath);
    open(dir).db.close();
    const oldKid = readKeyFile(keyFile)!.kid;

    const r = rotateSecretKey(dbPath, keyFile);
    expect(r.oldKid).toBe(oldKid);
    expect(r.newKid).not.toBe(oldKid);
    expect(r.rewritten).toBe(8);
    expect(readKeyFile(keyFile)!.kid).toBe(r.newKid);
    expect(mode(keyFile)).toBe('0600');
    expect(existsSync(`${keyFile}.new`)).toBe(false);
    expect(rawSecrets(dbPath).every((v) => v.startsWith(`enc:v1:${r.newKid}:`))).toBe(true);
    expect(leakedInto(dbPath, secretsOf)).toEqual([]);
    const s = open(dir);
    expect(readBack(s.db, s.secrets)).toEqual(PLAINTEXT);
    s.db.close();

    // --keep-old-key: the old key stays beside it (for backups taken before), 0600.
    const r2 = rotateSecretKey(dbPath, keyFile, { keepOldKey: true });
    expect(r2.oldKeyFile).toBe(`${keyFile}.${r.newKid}.old`);
    expect(readKeyFile(r2.oldKeyFile!)!.kid).toBe(r.newKid);
    expect(mode(r2.oldKeyFile!)).toBe('0600');
  });

  it('refuses while the server has the database open, changing nothing', () => {
    const dir = dataDir();
    const { dbPath, keyFile } = storePaths(dir);
    legacyDatabase(dbPath);
    const server = open(dir);
    const key = readFileSync(keyFile, 'utf8');
    const stored = rawSecrets(dbPath);
    expect(() => rotateSecretKey(dbPath, keyFile)).toThrow(/is in use: stop the Netwatch server before rotating its key/);
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
    expect(existsSync(`${keyFile}.new`)).toBe(false);
    expect(rawSecrets(dbPath)).toEqual(stored);
    expect(readBack(server.db, server.secrets)).toEqual(PLAINTEXT);
  });

  it('killed (SIGKILL) after any step, leaves a state the next start finishes or undoes with every secret readable', async () => {
    const template = dataDir();
    const paths = storePaths(template);
    legacyDatabase(paths.dbPath);
    open(template).db.close();
    const oldKid = readKeyFile(paths.keyFile)!.kid;
    const child = fileURLToPath(new URL('./rotate-crash.child.ts', import.meta.url));
    for (const [step, outcome] of [['staged', 'discarded'], ['committed', 'completed'], ['installed', null]] as const) {
      const dir = dataDir();
      cpSync(template, dir, { recursive: true });
      const { dbPath, keyFile } = storePaths(dir);
      const signal = await new Promise<string | null>((resolve) =>
        execFile(process.execPath, ['--import', 'tsx', child, dbPath, keyFile, step], { cwd: ROOT, timeout: 30_000 }, (err) => resolve((err as { signal?: string } | null)?.signal ?? null)),
      );
      expect([step, signal]).toEqual([step, 'SIGKILL']);
      const s = open(dir);
      expect([step, readBack(s.db, s.secrets)]).toEqual([step, PLAINTEXT]);
      const kid = readKeyFile(keyFile)!.kid;
      expect([step, kid === oldKid]).toEqual([step, step === 'staged']);
      expect(rawSecrets(dbPath).every((v) => v.startsWith(`enc:v1:${kid}:`))).toBe(true);
      expect(existsSync(`${keyFile}.new`)).toBe(false);
      const msg = outcome === 'completed' ? 'finished an interrupted key rotation: the new key is now in place' : 'undid an interrupted key rotation: the database still uses the current key';
      expect([step, s.messages().includes(msg)]).toEqual([step, outcome !== null]);
      s.db.close();
      // And a rotation runs normally afterwards.
      expect(rotateSecretKey(dbPath, keyFile).rewritten).toBe(8);
    }
  });

  it('discards a next-key file cut short while being written (before anything was re-encrypted)', () => {
    const dir = dataDir();
    const { dbPath, keyFile } = storePaths(dir);
    legacyDatabase(dbPath);
    open(dir).db.close();
    writeFileSync(`${keyFile}.new`, 'netwatch-secret-key:v1:0123456789abcdef:AAAA', { mode: 0o600 });
    const s = open(dir);
    expect(readBack(s.db, s.secrets)).toEqual(PLAINTEXT);
    expect(existsSync(`${keyFile}.new`)).toBe(false);
    expect(s.messages()).toContain('undid an interrupted key rotation: the database still uses the current key');
  });
});
