import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../server/store/database.js';
import { DeviceRepository } from '../../../server/store/device.repository.js';
import { openPgDb } from '../../../server/store/pg/pg-db.js';
import { newSecretKey, SecretBox, SecretKeyError } from '../../../server/store/secret-box.js';
import { formatKey, readKeyFile } from '../../../server/store/secret-key-file.js';
import { openSecretBox, rotateSecretKey } from '../../../server/store/secret-store.js';
import { TrapUserRepository } from '../../../server/store/trap-user.repository.js';
import { postgresAvailable } from '../../helpers/postgres.js';
import { newPgDatabase } from '../../helpers/store-engines.js';
import { PLAINTEXT } from './store-helpers.js';

/**
 * Secrets at rest on PostgreSQL: the start-up pass (openSecretBox on a PgDb)
 * and key rotation (rotateSecretKey with a postgres:// URL). The SQLite side
 * is secret-store.test.ts.
 */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  dbs.splice(0).forEach((d) => d.open && d.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function keyFileIn(): string {
  const d = mkdtempSync(join(tmpdir(), 'nw-pgsecrets-'));
  dirs.push(d);
  return join(d, 'secret.key');
}

function open(url: string): Db {
  const db = openPgDb(url);
  dbs.push(db);
  return db;
}

/** A database whose secret columns hold plaintext, as rows copied in from elsewhere would: 8 secrets. */
async function plaintextDatabase(): Promise<string> {
  const url = await newPgDatabase();
  const db = openPgDb(url);
  try {
    const now = Date.now();
    const dev = db.prepare('INSERT INTO devices (name, address, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id').pluck();
    const d1 = dev.get('r1', '127.0.0.1', now, now);
    const d2 = dev.get('r2', '127.0.0.2', now, now);
    db.prepare("INSERT INTO device_snmp (device_id, version, community) VALUES (?, '2c', ?)").run(d1, PLAINTEXT.community);
    db.prepare("INSERT INTO device_snmp (device_id, version, username, auth_protocol, auth_key, priv_protocol, priv_key) VALUES (?, '3', 'u1', 'sha', ?, 'aes', ?)").run(d2, PLAINTEXT.authKey, PLAINTEXT.privKey);
    db.prepare("INSERT INTO trap_users (username, auth_protocol, auth_key, priv_protocol, priv_key, created_at) VALUES ('tu', 'sha', ?, 'aes', ?, ?)").run(PLAINTEXT.trapAuth, PLAINTEXT.trapPriv, now);
    const channel = db.prepare('INSERT INTO notification_channels (name, type, enabled, config, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?)');
    channel.run('hook', 'webhook', JSON.stringify({ url: 'http://127.0.0.1:9/', secret: PLAINTEXT.webhookSecret, headers: { Authorization: PLAINTEXT.headerValue } }), now, now);
    channel.run('slack', 'slack', JSON.stringify({ url: PLAINTEXT.slackUrl }), now, now);
    channel.run('mail', 'email', JSON.stringify({ host: '127.0.0.1', port: 25, username: 'nw', password: PLAINTEXT.smtpPassword }), now, now);
  } finally {
    db.close();
  }
  return url;
}

function rawSecrets(db: Db): string[] {
  return [
    ...(db.prepare('SELECT community, auth_key, priv_key FROM device_snmp ORDER BY device_id').raw().all() as unknown[][]).flat(),
    ...(db.prepare('SELECT auth_key, priv_key FROM trap_users ORDER BY id').raw().all() as unknown[][]).flat(),
    ...(db.prepare('SELECT config FROM notification_channels ORDER BY id').pluck().all() as unknown[]),
  ].filter((v): v is string => v !== null);
}

/** Every secret, opened: through the repositories for devices and trap users, the box for channel settings. */
function readBack(db: Db, box: SecretBox): string[] {
  const devices = new DeviceRepository(db, box).list();
  const [trap] = new TrapUserRepository(db, box).list();
  const channels = (db.prepare('SELECT config FROM notification_channels ORDER BY id').pluck().all() as string[]).map((c) => box.open(c));
  return [devices[0]!.snmp.community!, devices[1]!.snmp.authKey!, devices[1]!.snmp.privKey!, trap!.authKey!, trap!.privKey!, ...channels];
}
const PLAIN_ORDER = [PLAINTEXT.community, PLAINTEXT.authKey, PLAINTEXT.privKey, PLAINTEXT.trapAuth, PLAINTEXT.trapPriv];
const expectAllReadable = (db: Db, box: SecretBox) => {
  const got = readBack(db, box);
  expect(got.slice(0, 5)).toEqual(PLAIN_ORDER);
  expect(got[5]).toContain(PLAINTEXT.webhookSecret);
  expect(got[5]).toContain(PLAINTEXT.headerValue);
  expect(got[6]).toContain(PLAINTEXT.slackUrl);
  expect(got[7]).toContain(PLAINTEXT.smtpPassword);
};

describe.skipIf(!postgresAvailable())('secrets at rest on PostgreSQL', () => {
  it('seals every plaintext secret at start-up in one pass, reads them all back, and finds nothing to do the second time', async () => {
    const url = await plaintextDatabase();
    const keyFile = keyFileIn();
    const db = open(url);
    const { box, report } = openSecretBox(db, keyFile);
    expect(report).toMatchObject({ generatedKey: true, sealed: 8, verified: 0, rotation: null, kid: readKeyFile(keyFile)!.kid });
    expect(rawSecrets(db).every((v) => v.startsWith(`enc:v1:${report.kid}:`))).toBe(true);
    expect(rawSecrets(db)).toHaveLength(8);
    expectAllReadable(db, box);
    const before = rawSecrets(db);
    db.close();

    const again = open(url);
    const second = openSecretBox(again, keyFile);
    expect(second.report).toMatchObject({ generatedKey: false, sealed: 0, verified: 8, kid: report.kid });
    expect(rawSecrets(again)).toEqual(before);
  }, 60_000);

  it('refuses to start with a missing or foreign key file, changing nothing', async () => {
    const url = await plaintextDatabase();
    const keyFile = keyFileIn();
    open(url);
    const first = openSecretBox(dbs[0]!, keyFile).report.kid;
    dbs[0]!.close();
    const db = open(url);
    const stored = rawSecrets(db);
    const original = readFileSync(keyFile, 'utf8');
    rmSync(keyFile);
    expect(() => openSecretBox(db, keyFile)).toThrow(new RegExp(`encrypted with key ${first}, but the key file .* does not exist`));
    expect(existsSync(keyFile)).toBe(false);
    const foreign = newSecretKey();
    writeFileSync(keyFile, formatKey(foreign), { mode: 0o600 });
    expect(() => openSecretBox(db, keyFile)).toThrow(SecretKeyError);
    expect(rawSecrets(db)).toEqual(stored);
    writeFileSync(keyFile, original);
    expectAllReadable(db, openSecretBox(db, keyFile).box);
  }, 60_000);

  it('rotates the key of a PostgreSQL database: refused while a server has it open, then every secret re-sealed and readable with the new key', async () => {
    const url = await plaintextDatabase();
    const keyFile = keyFileIn();
    const server = open(url);
    const oldKid = openSecretBox(server, keyFile).report.kid;
    const key = readFileSync(keyFile, 'utf8');
    const stored = rawSecrets(server);
    expect(() => rotateSecretKey(url, keyFile)).toThrow(/is in use: stop every Netwatch server on it before rotating its key/);
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
    expect(existsSync(`${keyFile}.new`)).toBe(false);
    expect(rawSecrets(server)).toEqual(stored);
    server.close();

    // A server that starts while the rotation runs is refused, and the rotation finishes.
    let refused: unknown;
    const r = rotateSecretKey(url, keyFile, {
      afterStep: (step) => {
        if (step !== 'staged') return;
        const late = open(url);
        try {
          openSecretBox(late, keyFile);
        } catch (err) {
          refused = err;
        }
        late.close();
      },
    });
    expect(String(refused)).toMatch(/a secret key rotation is running on the database .*: start the server again when it has finished/);
    expect(r).toMatchObject({ oldKid, rewritten: 8, rotation: null, oldKeyFile: null });
    expect(r.newKid).not.toBe(oldKid);
    expect(readKeyFile(keyFile)!.kid).toBe(r.newKid);
    expect(existsSync(`${keyFile}.new`)).toBe(false);
    const after = open(url);
    expect(rawSecrets(after).every((v) => v.startsWith(`enc:v1:${r.newKid}:`))).toBe(true);
    const { box, report } = openSecretBox(after, keyFile);
    expect(report).toMatchObject({ kid: r.newKid, verified: 8, sealed: 0 });
    expectAllReadable(after, box);
    after.close();

    const r2 = rotateSecretKey(url, keyFile, { keepOldKey: true });
    expect(r2.oldKeyFile).toBe(`${keyFile}.${r.newKid}.old`);
    expect(readKeyFile(r2.oldKeyFile!)!.kid).toBe(r.newKid);
  }, 60_000);

  it('killed (SIGKILL) after any step of a rotation, leaves a state the next start finishes or undoes with every secret readable', async () => {
    const child = fileURLToPath(new URL('./rotate-crash.child.ts', import.meta.url));
    for (const [step, outcome] of [['staged', 'discarded'], ['committed', 'completed'], ['installed', null]] as const) {
      const url = await plaintextDatabase();
      const keyFile = keyFileIn();
      const first = open(url);
      const oldKid = openSecretBox(first, keyFile).report.kid;
      first.close();
      const signal = await new Promise<string | null>((resolve) =>
        execFile(process.execPath, ['--import', 'tsx', child, url, keyFile, step], { cwd: ROOT, timeout: 30_000 }, (err) => resolve((err as { signal?: string } | null)?.signal ?? null)),
      );
      expect([step, signal]).toEqual([step, 'SIGKILL']);
      const db = open(url);
      const { box, report } = openSecretBox(db, keyFile);
      expect([step, report.rotation]).toEqual([step, outcome]);
      expectAllReadable(db, box);
      expect([step, readKeyFile(keyFile)!.kid === oldKid]).toEqual([step, step === 'staged']);
      expect(rawSecrets(db).every((v) => v.startsWith(`enc:v1:${report.kid}:`))).toBe(true);
      expect(existsSync(`${keyFile}.new`)).toBe(false);
      db.close();
      // The killed rotation's session (and its lock) is gone: a rotation runs normally afterwards.
      expect(rotateSecretKey(url, keyFile).rewritten).toBe(8);
    }
  }, 120_000);

  it('a copy of the key file lets a second server on the same database start; a different key is refused', async () => {
    const url = await plaintextDatabase();
    const keyA = keyFileIn();
    const a = open(url);
    openSecretBox(a, keyA);
    const keyB = keyFileIn();
    cpSync(keyA, keyB);
    const b = open(url);
    expect(openSecretBox(b, keyB).report).toMatchObject({ sealed: 0, verified: 8 });
    const keyC = keyFileIn();
    writeFileSync(keyC, formatKey(newSecretKey()), { mode: 0o600 });
    expect(() => openSecretBox(open(url), keyC)).toThrow(/encrypted with key .*, but .* holds key/);
  }, 60_000);
});
