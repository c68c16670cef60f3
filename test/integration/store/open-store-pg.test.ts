import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { DeviceRepository } from '../../../server/store/device.repository.js';
import { databaseFacts, openStore, StoreOpenError, type OpenedStore } from '../../../server/store/open-store.js';
import { isPostgres } from '../../../server/store/pg/pg-db.js';
import { SecretKeyError } from '../../../server/store/secret-box.js';
import { postgresAvailable } from '../../helpers/postgres.js';
import { testPostgres } from '../../helpers/store-engines.js';
import { capturingLogger } from './store-helpers.js';

/** openStore with databaseUrl: an empty database migrated, the secret key file shared by every node. */
const dirs: string[] = [];
const opened: OpenedStore[] = [];
afterAll(() => {
  for (const s of opened) s.db.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const dataDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'nw-openpg-'));
  dirs.push(d);
  return d;
};
async function open(dir: string, databaseUrl: string, secretKeyFile?: string) {
  const cap = capturingLogger();
  const s = await openStore({ dataDir: dir, secretKeyFile, databaseUrl, migrationsDir: MIGRATIONS_DIR, log: cap.log });
  opened.push(s);
  return { ...s, messages: cap.messages };
}

describe.skipIf(!postgresAvailable())('openStore on PostgreSQL', { timeout: 60_000 }, () => {
  it('migrates an empty database, makes the key file in the data dir, and writes no SQLite file', async () => {
    const url = await (await testPostgres()).newDatabase();
    const dir = dataDir();
    const s = await open(dir, url);
    expect(isPostgres(s.db)).toBe(true);
    expect(s.backend).toEqual({ kind: 'postgres', url });
    expect(existsSync(join(dir, 'secret.key'))).toBe(true);
    expect(existsSync(join(dir, 'netwatch.db'))).toBe(false);
    expect(s.messages().join('\n')).toMatch(/PostgreSQL database migrated/);
    const facts = databaseFacts(s.db, s.backend);
    expect(facts.schemaVersion).toBeGreaterThanOrEqual(2);
    expect(facts.sizeBytes).toBeGreaterThan(0);
  });

  it('a second node with the same key file opens it; one without it refuses and names the key the database needs', async () => {
    const url = await (await testPostgres()).newDatabase();
    const first = await open(dataDir(), url);
    const devices = new DeviceRepository(first.db, first.secrets);
    expect(devices.list()).toEqual([]);

    const shared = join(dataDir(), 'shared.key');
    copyFileSync(first.keyFile, shared);
    const second = await open(dataDir(), url, shared);
    expect(second.messages().join('\n')).not.toMatch(/created the secret key/);

    const withoutKey = open(dataDir(), url);
    await expect(withoutKey).rejects.toBeInstanceOf(SecretKeyError);
    await expect(open(dataDir(), url)).rejects.toThrow(/encrypted with key [0-9a-f]+, but the key file .* does not exist/);
  });

  it('reports a database it cannot reach as a StoreOpenError without the password', async () => {
    const pgs = await testPostgres();
    const url = `postgres://netwatch:Hidden-Pw-42@127.0.0.1:${pgs.port}/no_such_db`;
    const err = await open(dataDir(), url).then(() => null, (e: Error) => e);
    expect(err).toBeInstanceOf(StoreOpenError);
    expect(err!.message).toContain(`PostgreSQL store at postgres://netwatch:***@127.0.0.1:${pgs.port}/no_such_db`);
    expect(err!.message).not.toContain('Hidden-Pw-42');
  });
});
