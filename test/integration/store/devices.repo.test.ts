import { describe, expect, it } from 'vitest';
import { DeviceRepository, toDeviceDto } from '../../../server/store/device.repository.js';
import { STORE_ENGINES } from '../../helpers/store-engines.js';
import { testSecretBox } from '../../helpers/secrets.js';
import { deviceWrite, freshDb, HOSTILE, nocaseOrder } from './config-repo-helpers.js';

const box = testSecretBox();

describe.each(STORE_ENGINES)('DeviceRepository on %s', (engine) => {
  const db = freshDb(engine);

  it('creates, reads back, updates and deletes a device with its SNMP settings; secrets are sealed at rest', () => {
    const repo = new DeviceRepository(db(), box);
    const v3 = { enabled: true, version: '3' as const, port: 1161, community: null, username: 'u1', authProtocol: 'sha256' as const, authKey: 'auth-pass-1', privProtocol: 'aes' as const, privKey: 'priv-pass-1', context: 'ctx', timeoutMs: 1500, retries: 2 };
    const created = repo.create(deviceWrite('r1', '127.0.0.1', { group: 'core', location: 'lab', tags: ['a', 'b'], pollIntervalSec: 30, icmpEnabled: false, site: 'east', snmp: v3 }), 1_000);
    expect(created).toEqual({
      id: created.id, name: 'r1', address: '127.0.0.1', group: 'core', location: 'lab', tags: ['a', 'b'], pollIntervalSec: 30, icmpEnabled: false, site: 'east',
      createdAt: 1_000, updatedAt: 1_000, snmp: v3,
    });
    expect(typeof created.id).toBe('number');
    expect(repo.get(created.id)).toEqual(created);
    expect(repo.idByName('r1')).toBe(created.id);
    const raw = db().prepare('SELECT community, auth_key, priv_key FROM device_snmp WHERE device_id = ?').get(created.id) as Record<string, string | null>;
    expect(raw.community).toBeNull();
    expect(raw.auth_key).toMatch(/^enc:v1:/);
    expect(raw.priv_key).toMatch(/^enc:v1:/);
    expect(toDeviceDto(created).snmp).toMatchObject({ authKeySet: true, privKeySet: true, communitySet: false });

    const updated = repo.update(created.id, deviceWrite('r1-renamed', '127.0.0.9'), 2_000)!;
    expect(updated).toMatchObject({ id: created.id, name: 'r1-renamed', address: '127.0.0.9', site: 'central', createdAt: 1_000, updatedAt: 2_000, icmpEnabled: true });
    expect(updated.snmp).toMatchObject({ version: '2c', community: 'public', authKey: null, port: 161 });
    expect(repo.update(999_999, deviceWrite('nobody'))).toBeUndefined();
    expect(repo.delete(created.id)).toBe(true);
    expect(repo.delete(created.id)).toBe(false);
    expect(repo.get(created.id)).toBeUndefined();
    expect(db().prepare('SELECT count(*) AS n FROM device_snmp').get()).toEqual({ n: 0 });
  });

  it('refuses a second device whose name differs only in case (the route answers 409), on create and on rename, leaving nothing half-written', () => {
    const repo = new DeviceRepository(db(), box);
    const a = repo.create(deviceWrite('Core-Router'));
    const b = repo.create(deviceWrite('edge'));
    for (const name of ['core-router', 'CORE-ROUTER', 'Core-Router']) {
      expect(() => repo.create(deviceWrite(name))).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_UNIQUE' }));
      expect(() => repo.update(b.id, deviceWrite(name))).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_UNIQUE' }));
    }
    expect(repo.list().map((d) => d.name)).toEqual(['Core-Router', 'edge']);
    expect(db().prepare('SELECT count(*) AS n FROM device_snmp').get()).toEqual({ n: 2 });
    // Its own name in another case is a rename, not a conflict; lookups ignore case.
    expect(repo.update(a.id, deviceWrite('CORE-router'))!.name).toBe('CORE-router');
    expect(repo.idByName('core-ROUTER')).toBe(a.id);
    expect(repo.idByName('nope')).toBeUndefined();
    expect(repo.idByName('core-router\0')).toBeUndefined();
  });

  it('keeps hostile text exactly, in names, addresses, groups, locations and tags', () => {
    const repo = new DeviceRepository(db(), box);
    for (const [i, s] of HOSTILE.entries()) {
      const d = repo.create(deviceWrite(`${s}#${i}`, s, { group: s, location: s, tags: [s, '__proto__', 'constructor'], snmp: { ...deviceWrite('x').snmp, community: s, context: s } }));
      const back = repo.get(d.id)!;
      expect(back).toMatchObject({ name: `${s}#${i}`, address: s, group: s, location: s, tags: [s, '__proto__', 'constructor'] });
      expect(back.snmp).toMatchObject({ community: s, context: s });
      expect(repo.idByName(`${s}#${i}`)).toBe(d.id);
    }
    expect(repo.list()).toHaveLength(HOSTILE.length);
  });

  it('lists by name as SQLite orders NOCASE text (ASCII case folded, then bytes), and sites in byte order', () => {
    const repo = new DeviceRepository(db(), box);
    const names = ['Zeta', 'alpha', 'Beta', 'a-b', 'a_b', 'ab2', '_x', '~y', '10', '9', 'Ünï', 'über', 'a b', 'A.c'];
    const sites = ['west', 'East', 'east', 'a-1', 'a_1', 'a1', 'central'];
    names.forEach((n, i) => repo.create(deviceWrite(n, `127.0.0.${i + 1}`, { site: sites[i % sites.length] })));
    expect(repo.list().map((d) => d.name)).toEqual([...names].sort(nocaseOrder));
    expect(repo.sites()).toEqual([...new Set(sites)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(repo.addresses().sort((a, b) => a.id - b.id).map((r) => r.address)).toEqual(names.map((_, i) => `127.0.0.${i + 1}`));
  });

  it('counts enabled SNMP devices per version, and caches the list until a write (also through another repository)', () => {
    const a = new DeviceRepository(db(), box);
    const b = new DeviceRepository(db(), box);
    expect(a.snmpVersionSummary()).toEqual({ '1': 0, '2c': 0, '3': 0 });
    a.create(deviceWrite('v1', '127.0.0.1', { snmp: { ...deviceWrite('x').snmp, version: '1' } }));
    a.create(deviceWrite('v2', '127.0.0.2'));
    const off = a.create(deviceWrite('v2-off', '127.0.0.3', { snmp: { ...deviceWrite('x').snmp, enabled: false } }));
    expect(a.snmpVersionSummary()).toEqual({ '1': 1, '2c': 1, '3': 0 });
    const first = a.list();
    expect(a.list()).toEqual(first);
    expect(Object.isFrozen(first[0])).toBe(true);
    const g = a.generation();
    b.delete(off.id);
    expect(a.generation()).not.toBe(g);
    expect(a.list().map((d) => d.name)).toEqual(['v1', 'v2']);
  });

  it('does not keep the rows of a rolled-back transaction in its cache', () => {
    const repo = new DeviceRepository(db(), box);
    repo.create(deviceWrite('keep'));
    expect(() =>
      db().transaction(() => {
        repo.create(deviceWrite('gone', '127.0.0.2'));
        expect(repo.list()).toHaveLength(2);
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(repo.list().map((d) => d.name)).toEqual(['keep']);
  });

  it('reads a secret it cannot decrypt as null and says so, instead of failing the list', () => {
    const repo = new DeviceRepository(db(), box);
    const d = repo.create(deviceWrite('r1'));
    const other = new DeviceRepository(db(), testSecretBox());
    const back = other.get(d.id)!;
    expect(back.snmp.community).toBeNull();
    expect(back.secretError).toMatch(/community cannot be decrypted/);
    expect(other.list()[0]!.secretError).toMatch(/community/);
  });
});
