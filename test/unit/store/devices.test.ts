import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeviceResolver } from '../../../server/events/device-resolver.js';
import { InProcessBus } from '../../../server/events/bus.js';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { openDatabase } from '../../../server/store/database.js';
import { DeviceRepository, type DeviceWrite } from '../../../server/store/device.repository.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';
import { testSecretBox } from '../../helpers/secrets.js';

const box = testSecretBox();

function setup() {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'nw-devices-')), 'netwatch.db'));
  migrate(db, readMigrations(MIGRATIONS_DIR));
  return db;
}

const write = (name: string, address: string): DeviceWrite => ({
  name, address, group: null, location: null, tags: ['core'], pollIntervalSec: 60, icmpEnabled: true,
  snmp: { enabled: true, version: '2c', port: 161, community: 'public', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 1000, retries: 1 },
});

describe('DeviceRepository list cache', () => {
  it('sees every write, also one made through another repository on the same database', () => {
    const db = setup();
    const a = new DeviceRepository(db, box);
    const b = new DeviceRepository(db, box);
    const r1 = a.create(write('r1', '127.0.0.1'));
    expect(a.list().map((d) => d.name)).toEqual(['r1']);
    const g = a.generation();
    const r2 = b.create(write('r2', '127.0.0.2'));
    expect(a.generation()).not.toBe(g);
    expect(a.list().map((d) => d.name)).toEqual(['r1', 'r2']);
    b.update(r1.id, { ...write('r0', '127.0.0.9') });
    expect(a.list().map((d) => [d.name, d.address])).toEqual([['r0', '127.0.0.9'], ['r2', '127.0.0.2']]);
    b.delete(r2.id);
    expect(a.list().map((d) => d.name)).toEqual(['r0']);
  });

  it('does not keep rows of a transaction that is rolled back', () => {
    const db = setup();
    const repo = new DeviceRepository(db, box);
    repo.create(write('keep', '127.0.0.1'));
    expect(() =>
      db.transaction(() => {
        repo.create(write('gone', '127.0.0.2'));
        expect(repo.list()).toHaveLength(2);
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(repo.list().map((d) => d.name)).toEqual(['keep']);
  });

  it('hands out frozen records, so one reader cannot change what another sees', () => {
    const db = setup();
    const repo = new DeviceRepository(db, box);
    repo.create(write('r1', '127.0.0.1'));
    const [d] = repo.list();
    expect(() => ((d as { name: string }).name = 'x')).toThrow(TypeError);
    expect(() => d!.tags.push('x')).toThrow(TypeError);
    expect(repo.list()[0]!.name).toBe('r1');
  });
});

describe('DeviceResolver', () => {
  it('follows devices added, changed and removed (reloading once per burst of changes)', () => {
    const db = setup();
    const repo = new DeviceRepository(db, box);
    const bus = new InProcessBus();
    let loads = 0;
    const resolver = new DeviceResolver(() => (loads++, repo.addresses()), bus);
    expect(resolver.resolve('127.0.0.5')).toBeNull();
    const created = [];
    for (let i = 0; i < 50; i++) {
      const d = repo.create(write(`d${i}`, `127.0.1.${i}`));
      created.push(d);
      bus.publish('device.created', d as never);
    }
    const before = loads;
    expect(resolver.resolve('127.0.1.7')).toBe(created[7]!.id);
    expect(resolver.resolve('::ffff:127.0.1.8')).toBe(created[8]!.id);
    expect(loads - before).toBe(1);
    repo.update(created[7]!.id, write('d7', '127.0.2.7'));
    bus.publish('device.updated', created[7] as never);
    expect(resolver.resolve('127.0.1.7')).toBeNull();
    expect(resolver.resolve('127.0.2.7')).toBe(created[7]!.id);
    repo.delete(created[8]!.id);
    bus.publish('device.deleted', { id: created[8]!.id } as never);
    expect(resolver.resolve('127.0.1.8')).toBeNull();
    resolver.close();
  });
});
