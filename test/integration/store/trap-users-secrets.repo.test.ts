import { describe, expect, it } from 'vitest';
import { DeviceRepository } from '../../../server/store/device.repository.js';
import { SECRET_COLUMNS, SecretRepository } from '../../../server/store/secret.repository.js';
import { toTrapUserDto, TrapUserRepository, type TrapUserWrite } from '../../../server/store/trap-user.repository.js';
import { STORE_ENGINES } from '../../helpers/store-engines.js';
import { testSecretBox } from '../../helpers/secrets.js';
import { byteOrder, deviceWrite, freshDb, HOSTILE } from './config-repo-helpers.js';

const box = testSecretBox();
const user = (username: string, over: Partial<TrapUserWrite> = {}): TrapUserWrite => ({
  username, authProtocol: 'sha', authKey: 'auth-key-123', privProtocol: 'aes', privKey: 'priv-key-456', ...over,
});

describe.each(STORE_ENGINES)('TrapUserRepository on %s', (engine) => {
  const db = freshDb(engine);

  it('creates, lists by username (bytes), gets and deletes USM users; keys sealed at rest, read back open', () => {
    const repo = new TrapUserRepository(db(), box);
    const names = ['zed', 'Alice', 'alice', 'a_b', 'a-b', 'Ünï', ...HOSTILE.map((s) => s.slice(0, 32))];
    const made = names.map((n, i) => repo.create(i % 3 === 0 ? user(n, { privProtocol: null, privKey: null }) : user(n), 1_000 + i));
    expect(made[0]).toEqual({ id: made[0]!.id, username: 'zed', authProtocol: 'sha', authKey: 'auth-key-123', privProtocol: null, privKey: null, createdAt: 1_000 });
    expect(toTrapUserDto(made[0]!)).toMatchObject({ level: 'authNoPriv', authKeySet: true, privKeySet: false });
    expect(repo.list().map((u) => u.username)).toEqual([...names].sort(byteOrder));
    expect(repo.get(made[1]!.id)).toEqual(made[1]);
    expect(repo.get(999_999)).toBeUndefined();
    const raw = db().prepare('SELECT auth_key, priv_key FROM trap_users WHERE id = ?').get(made[1]!.id) as { auth_key: string; priv_key: string };
    expect(raw.auth_key).toMatch(/^enc:v1:/);
    expect(raw.priv_key).toMatch(/^enc:v1:/);
    expect(repo.delete(made[1]!.id)).toBe(true);
    expect(repo.delete(made[1]!.id)).toBe(false);
    expect(repo.list()).toHaveLength(names.length - 1);
  });

  it('refuses a duplicate username (the route answers 409) and a key without its protocol', () => {
    const repo = new TrapUserRepository(db(), box);
    repo.create(user('tu'));
    expect(() => repo.create(user('tu'))).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_UNIQUE' }));
    expect(() => repo.create(user('tu2', { authProtocol: null }))).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
    expect(repo.list()).toHaveLength(1);
  });

  it('creates the SNMP engine id once and keeps it', () => {
    const a = new TrapUserRepository(db(), box).engineId();
    expect(a).toMatch(/^80001f8805[0-9a-f]{16}$/);
    expect(new TrapUserRepository(db(), box).engineId()).toBe(a);
    expect(db().prepare('SELECT count(*) AS n FROM trap_engine').get()).toEqual({ n: 1 });
  });
});

describe.each(STORE_ENGINES)('SecretRepository on %s', (engine) => {
  const db = freshDb(engine);

  it('reads every secret cell in key order, rewrites one, and keeps the key check row', () => {
    const repo = new SecretRepository(db());
    expect(repo.check()).toBeUndefined();
    expect(repo.cells()).toEqual([]);
    const devices = new DeviceRepository(db(), box);
    const d1 = devices.create(deviceWrite('r1'));
    const d2 = devices.create(deviceWrite('r2', '127.0.0.2', { snmp: { ...deviceWrite('x').snmp, community: null, version: '3', username: 'u', authProtocol: 'sha', authKey: 'a'.repeat(8), privProtocol: 'aes', privKey: 'p'.repeat(8) } }));
    const t = new TrapUserRepository(db(), box).create(user('tu'));
    const cells = repo.cells();
    expect(cells.map((c) => [c.where.table, c.where.column, c.rowKey])).toEqual([
      ['device_snmp', 'community', d1.id],
      ['device_snmp', 'auth_key', d2.id],
      ['device_snmp', 'priv_key', d2.id],
      ['trap_users', 'auth_key', t.id],
      ['trap_users', 'priv_key', t.id],
    ]);
    expect(cells.every((c) => box.open(c.value).length > 0)).toBe(true);
    repo.transaction(() => repo.update(cells[0]!, box.seal("it's new")));
    expect(devices.get(d1.id)!.snmp.community).toBe("it's new");
    expect(() => repo.transaction(() => {
      repo.update(cells[0]!, box.seal('rolled back'));
      throw new Error('no');
    })).toThrow('no');
    expect(new DeviceRepository(db(), box).get(d1.id)!.snmp.community).toBe("it's new");

    repo.setCheck('kid1', 'sealed1', 5);
    expect(repo.check()).toEqual({ kid: 'kid1', sealed: 'sealed1' });
    repo.setCheck('kid2', 'sealed2', 6);
    expect(repo.check()).toEqual({ kid: 'kid2', sealed: 'sealed2' });
    expect(db().prepare('SELECT count(*) AS n FROM secret_key_check').get()).toEqual({ n: 1 });
    expect(SECRET_COLUMNS.length).toBe(6);
  });
});
