import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { AuthTokenRepository } from '../../../server/store/auth-token.repository.js';
import { openDatabase } from '../../../server/store/database.js';
import { DeviceRepository } from '../../../server/store/device.repository.js';
import { migrate, readMigrations, schemaVersion } from '../../../server/store/migrate.js';
import { UserRepository } from '../../../server/store/user.repository.js';
import { EventRepository } from '../../../server/store/event.repository.js';
import { PollStateRepository } from '../../../server/store/poll-state.repository.js';
import { SampleRepository } from '../../../server/store/sample.repository.js';
import { TopologyRepository } from '../../../server/store/topology.repository.js';
import { DashboardRepository } from '../../../server/store/dashboard.repository.js';
import { CustomOidRepository } from '../../../server/store/custom-oid.repository.js';
import { UnknownSenderRepository } from '../../../server/store/unknown-sender.repository.js';
import { CollectorRepository } from '../../../server/store/collector.repository.js';
import { LatencyRepository } from '../../../server/store/latency.repository.js';
import { InventoryRepository } from '../../../server/store/inventory.repository.js';
import { testSecretBox } from '../../helpers/secrets.js';

const tempDb = () => openDatabase(join(mkdtempSync(join(tmpdir(), 'nw-mig-')), 'netwatch.db'));

describe('migrations', () => {
  it('apply in order on an empty database and leave the schema the repositories expect', () => {
    const db = tempDb();
    const all = readMigrations(MIGRATIONS_DIR);
    expect(all.length).toBeGreaterThan(0);
    expect(migrate(db, all)).toEqual(all.map((m) => m.version));
    expect(schemaVersion(db)).toBe(all.at(-1)!.version);
    // Every repository prepares all its statements up front: a missing table or column throws here.
    expect(() => new UserRepository(db)).not.toThrow();
    expect(() => new AuthTokenRepository(db)).not.toThrow();
    expect(() => new DeviceRepository(db, testSecretBox())).not.toThrow();
    expect(() => new EventRepository(db)).not.toThrow();
    expect(() => new PollStateRepository(db)).not.toThrow();
    expect(() => new SampleRepository(db)).not.toThrow();
    expect(() => new TopologyRepository(db)).not.toThrow();
    expect(() => new DashboardRepository(db)).not.toThrow();
    expect(() => new UnknownSenderRepository(db)).not.toThrow();
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2); // incremental, for a new database
    expect(() => new CustomOidRepository(db)).not.toThrow();
    expect(() => new CollectorRepository(db)).not.toThrow();
    expect(() => new LatencyRepository(db)).not.toThrow();
    expect(() => new InventoryRepository(db)).not.toThrow();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('puts devices that existed before sites (0012) at the central site', () => {
    const db = tempDb();
    const all = readMigrations(MIGRATIONS_DIR);
    migrate(db, all.filter((m) => m.version < 12));
    db.prepare("INSERT INTO devices (name, address, created_at, updated_at) VALUES ('old-sw', '192.0.2.1', 1, 1)").run();
    migrate(db, all);
    expect(new DeviceRepository(db, testSecretBox()).list().map((d) => [d.name, d.site])).toEqual([['old-sw', 'central']]);
    expect(new CollectorRepository(db).list()).toEqual([]);
    db.close();
  });

  it('keeps every event (ids, columns) across 0015 and then accepts the alertmanager source, and no other new one', () => {
    const db = tempDb();
    const all = readMigrations(MIGRATIONS_DIR);
    migrate(db, all.filter((m) => m.version < 15));
    const insert = db.prepare('INSERT INTO events (id, received_at, reported_at, source, source_address, device_id, severity, type, message, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const before = [
      [7, 1000, null, 'syslog', '192.0.2.1', 3, 2, 'LINK', 'down', '[1]'],
      [9, 2000, 1500, 'trap', null, null, 4, '1.3.6.1.6.3.1.1.5.3', 'linkDown', '{"a":1}'],
      [12, 3000, null, 'system', null, null, 1, 'collector.down', 'gone', '{}'],
    ];
    for (const r of before) insert.run(...r);
    expect(() => insert.run(13, 1, null, 'alertmanager', null, null, 0, 'X', 'x', '{}')).toThrow(/CHECK/);
    migrate(db, all);
    expect(db.prepare('SELECT id, received_at, reported_at, source, source_address, device_id, severity, type, message, params FROM events ORDER BY id').raw().all()).toEqual(before);
    insert.run(13, 4000, null, 'alertmanager', null, null, 0, 'NodeDown', 'NodeDown: down', '{}');
    expect(() => insert.run(14, 1, null, 'carrier-pigeon', null, null, 0, 'X', 'x', '{}')).toThrow(/CHECK/);
    expect(() => insert.run(15, 1, null, 'syslog', null, null, 6, 'X', 'x', '{}')).toThrow(/CHECK/);
    expect(() => new EventRepository(db)).not.toThrow();
    db.close();
  });

  it('is a no-op the second time', () => {
    const db = tempDb();
    const all = readMigrations(MIGRATIONS_DIR);
    migrate(db, all);
    expect(migrate(db, all)).toEqual([]);
    db.close();
  });

  it('rolls back a failing migration completely and keeps the old version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-migdir-'));
    writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(join(dir, '0002_b.sql'), 'CREATE TABLE b (y INTEGER); INSERT INTO nope VALUES (1);');
    const db = tempDb();
    expect(() => migrate(db, readMigrations(dir))).toThrow(/nope/);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    db.close();
  });

  it('refuses gaps in numbering and a database newer than the server', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-migdir-'));
    writeFileSync(join(dir, '0001_a.sql'), 'SELECT 1;');
    writeFileSync(join(dir, '0003_c.sql'), 'SELECT 1;');
    expect(() => readMigrations(dir)).toThrow(/without gaps/);
    const db = tempDb();
    db.pragma('user_version = 99');
    expect(() => migrate(db, readMigrations(MIGRATIONS_DIR))).toThrow(/newer than this server/);
    db.close();
  });

  it('cascades a device delete to its SNMP settings', () => {
    const db = tempDb();
    migrate(db, readMigrations(MIGRATIONS_DIR));
    const devices = new DeviceRepository(db, testSecretBox());
    const d = devices.create({
      name: 'r1', address: '127.0.0.1', group: null, location: null, tags: ['core'], pollIntervalSec: 60, icmpEnabled: true,
      snmp: { enabled: true, version: '2c', port: 161, community: 'c', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 1000, retries: 1 },
    });
    expect(devices.get(d.id)?.tags).toEqual(['core']);
    devices.delete(d.id);
    expect(db.prepare('SELECT count(*) AS n FROM device_snmp').get()).toEqual({ n: 0 });
    db.close();
  });
});
