import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_MIGRATIONS_DIR } from '../../../server/paths.js';
import { AuditRepository } from '../../../server/store/audit.repository.js';
import { CollectorRepository } from '../../../server/store/collector.repository.js';
import type { Db } from '../../../server/store/database.js';
import { DeviceRepository } from '../../../server/store/device.repository.js';
import { readMigrations } from '../../../server/store/migrate.js';
import { migratePostgres } from '../../../server/store/pg/migrate.js';
import { openPgDb } from '../../../server/store/pg/pg-db.js';
import { TemplateRepository } from '../../../server/store/template.repository.js';
import { TrapUserRepository } from '../../../server/store/trap-user.repository.js';
import { UserRepository } from '../../../server/store/user.repository.js';
import { postgresAvailable } from '../../helpers/postgres.js';
import { testPostgres } from '../../helpers/store-engines.js';
import { testSecretBox } from '../../helpers/secrets.js';
import { byteOrder, deviceWrite, nocaseOrder } from './config-repo-helpers.js';

/**
 * The test databases use the C.UTF-8 locale, whose order is code point order,
 * so they cannot tell whether a list is sorted by the database's collation or
 * by bytes. A production database is often created under a locale such as
 * en_US, whose order ignores punctuation and case at first. This database uses
 * ICU's English collation: the lists must still come out as on SQLite.
 */
describe.skipIf(!postgresAvailable())('config lists on a PostgreSQL database with a natural-language collation', () => {
  let db: Db;
  beforeAll(async () => {
    const server = await testPostgres();
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE icu_en TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`);
    } finally {
      await c.end();
    }
    const url = server.url.replace(/\/postgres$/, '/icu_en');
    await migratePostgres(url, readMigrations(PG_MIGRATIONS_DIR));
    db = openPgDb(url);
  }, 60_000);
  afterAll(() => db?.close());

  it('the database really orders otherwise (the premise of this test)', () => {
    const words = ['a_b', 'ab', 'a-c', 'B', 'a'];
    const got = db.prepare("SELECT w FROM unnest(CAST(? AS text[])) AS w ORDER BY w").pluck().all(`{${words.join(',')}}`);
    expect(got).not.toEqual([...words].sort(byteOrder));
  });

  it('lists devices, sites, users, trap users, collectors, templates and audit object types in SQLite\'s order', () => {
    const names = ['a_b', 'ab', 'a-c', 'B', 'a', 'Zed', '_z', 'a b', 'A.d'];
    const box = testSecretBox();
    const devices = new DeviceRepository(db, box);
    names.forEach((n, i) => devices.create(deviceWrite(n, '127.0.0.1', { site: `${n.replace(/[^A-Za-z0-9_-]/g, '')}x` })));
    expect(devices.list().map((d) => d.name)).toEqual([...names].sort(nocaseOrder));
    expect(devices.sites()).toEqual([...new Set(names.map((n) => `${n.replace(/[^A-Za-z0-9_-]/g, '')}x`))].sort(byteOrder));
    const users = new UserRepository(db);
    for (const n of names) users.create({ username: n, passwordHash: 'h', role: 'viewer' });
    expect(users.list().map((u) => u.username)).toEqual([...names].sort(nocaseOrder));
    const trap = new TrapUserRepository(db, box);
    for (const n of names) trap.create({ username: n, authProtocol: null, authKey: null, privProtocol: null, privKey: null });
    expect(trap.list().map((u) => u.username)).toEqual([...names].sort(byteOrder));
    const collectors = new CollectorRepository(db);
    for (const n of names) collectors.upsert({ id: n, site: 's', version: '1', hostname: 'h', address: null, startedAt: 0, lastSeen: 0, lagMs: 0, counters: new Map(), spoolRecords: 0, spoolBytes: 0, publicKey: null });
    expect(collectors.list().map((c) => c.id)).toEqual([...names].sort(byteOrder));
    const templates = new TemplateRepository(db);
    for (const n of names) templates.create({ id: n, body: '{}', sourceText: null, deviceId: null, group: null });
    expect(templates.list().map((t) => t.id)).toEqual([...names].sort(byteOrder));
    const audit = new AuditRepository(db);
    for (const n of names) audit.record({ at: 1, userId: null, username: null, role: null, sourceAddress: null, action: `${n}.x`, objectType: n, objectId: null, objectName: null, method: null, path: null, status: 200, outcome: 'ok', before: null, after: null, details: null });
    expect(audit.objectTypes()).toEqual([...names].sort(byteOrder));
  });
});
