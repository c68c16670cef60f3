import { describe, expect, it } from 'vitest';
import { CollectorRepository, type CollectorWrite } from '../../../server/store/collector.repository.js';
import { CustomOidRepository } from '../../../server/store/custom-oid.repository.js';
import { DeviceRepository } from '../../../server/store/device.repository.js';
import { MaintenanceRepository, type MaintenanceWrite } from '../../../server/store/maintenance.repository.js';
import { TemplateInstanceRepository, TemplateRepository } from '../../../server/store/template.repository.js';
import { STORE_ENGINES } from '../../helpers/store-engines.js';
import { testSecretBox } from '../../helpers/secrets.js';
import { byteOrder, deviceWrite, freshDb, HOSTILE } from './config-repo-helpers.js';

const box = testSecretBox();

const heartbeat = (id: string, over: Partial<CollectorWrite> = {}): CollectorWrite => ({
  id, site: 'east', version: '1.2.3', hostname: 'c1', address: '127.0.0.1', startedAt: 100, lastSeen: 200, lagMs: 5,
  counters: new Map([['events', 10]]), spoolRecords: 1, spoolBytes: 2, publicKey: 'pk1', ...over,
});

describe.each(STORE_ENGINES)('CollectorRepository on %s', (engine) => {
  const db = freshDb(engine);

  it('inserts from a heartbeat, refreshes it (keeping first seen and the public key when none comes), marks it down and up, deletes it', () => {
    const repo = new CollectorRepository(db());
    const first = repo.upsert(heartbeat('c-1'));
    expect(first).toEqual({
      id: 'c-1', site: 'east', version: '1.2.3', hostname: 'c1', address: '127.0.0.1', startedAt: 100, firstSeen: 200, lastSeen: 200, lagMs: 5,
      counters: Object.assign(Object.create(null), { events: 10 }), spoolRecords: 1, spoolBytes: 2, state: 'up', publicKey: 'pk1',
    });
    expect(repo.setState('c-1', 'down')).toBe(true);
    expect(repo.get('c-1')!.state).toBe('down');
    expect(repo.setState('nope', 'down')).toBe(false);
    const again = repo.upsert(heartbeat('c-1', { lastSeen: 900, publicKey: null, version: '1.2.4', counters: new Map([['__proto__', 1], ['constructor', 2]]) }));
    expect(again).toMatchObject({ firstSeen: 200, lastSeen: 900, version: '1.2.4', state: 'up', publicKey: 'pk1' });
    expect(Object.getPrototypeOf(again.counters)).toBeNull();
    expect(Object.entries(again.counters)).toEqual([['__proto__', 1], ['constructor', 2]]);
    expect(repo.upsert(heartbeat('c-1', { publicKey: 'pk2' })).publicKey).toBe('pk2');
    expect(repo.delete('c-1')).toBe(true);
    expect(repo.delete('c-1')).toBe(false);
    expect(repo.get('c-1')).toBeUndefined();
  });

  it('lists by site, hostname and id, and its sites, in byte order; keeps hostile text', () => {
    const repo = new CollectorRepository(db());
    const rows: [string, string, string][] = [['b', 'west', 'h1'], ['a', 'west', 'h1'], ['c', 'East', 'z'], ['d', 'east', 'a-b'], ['e', 'east', 'a_b'], ['f', 'a_1', 'x'], ['g', 'a-1', 'x']];
    for (const [id, site, hostname] of rows) repo.upsert(heartbeat(id, { site, hostname }));
    const cmp = (x: [string, string, string], y: [string, string, string]) => byteOrder(x[1], y[1]) || byteOrder(x[2], y[2]) || byteOrder(x[0], y[0]);
    expect(repo.list().map((c) => c.id)).toEqual([...rows].sort(cmp).map((r) => r[0]));
    expect(repo.sites()).toEqual([...new Set(rows.map((r) => r[1]))].sort(byteOrder));
    for (const [i, s] of HOSTILE.entries()) {
      const c = repo.upsert(heartbeat(`${s.slice(0, 100)}${i}`, { hostname: s, version: s, counters: new Map([[s, i]]) }));
      expect(repo.get(c.id)).toMatchObject({ hostname: s, version: s, counters: { [s]: i } });
    }
  });
});

describe.each(STORE_ENGINES)('CustomOidRepository on %s', (engine) => {
  const db = freshDb(engine);

  it('creates per device and per group, lists, finds a device\'s own and its group\'s, and goes with its device', () => {
    const devices = new DeviceRepository(db(), box);
    const d1 = devices.create(deviceWrite('r1', '127.0.0.1', { group: 'core' }));
    const d2 = devices.create(deviceWrite('r2', '127.0.0.2'));
    const repo = new CustomOidRepository(db());
    const own = repo.create({ deviceId: d1.id, group: null, oid: '1.3.6.1.4.1.9.1.0', name: 'temp', input: 'CISCO::temp.0', unit: '°C' }, 1_000);
    expect(own).toEqual({ id: own.id, deviceId: d1.id, group: null, oid: '1.3.6.1.4.1.9.1.0', name: 'temp', input: 'CISCO::temp.0', unit: '°C', createdAt: 1_000 });
    const grp = repo.create({ deviceId: null, group: 'core', oid: '1.3.6.1.2.1.1.3.0', name: HOSTILE[0]!, input: HOSTILE[1]!, unit: null });
    const other = repo.create({ deviceId: d2.id, group: null, oid: '1.3.6.1.2.1.1.3.0', name: 'up', input: 'sysUpTime.0', unit: null });
    expect(repo.list().map((c) => c.id)).toEqual([own.id, grp.id, other.id]);
    expect(repo.forDevice(d1.id, 'core').map((c) => c.id)).toEqual([own.id, grp.id]);
    expect(repo.forDevice(d2.id, null).map((c) => c.id)).toEqual([other.id]);
    expect(repo.forDevice(d2.id, 'CORE').map((c) => c.id)).toEqual([other.id]);
    expect(repo.get(grp.id)).toMatchObject({ name: HOSTILE[0], input: HOSTILE[1] });
    expect(() => repo.create({ deviceId: 999_999, group: null, oid: '1.3', name: 'x', input: 'x', unit: null })).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }));
    expect(() => repo.create({ deviceId: d1.id, group: 'core', oid: '1.3', name: 'x', input: 'x', unit: null })).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
    expect(repo.delete(other.id)).toBe(true);
    expect(repo.delete(other.id)).toBe(false);
    devices.delete(d1.id);
    expect(repo.list().map((c) => c.id)).toEqual([grp.id]);
  });
});

describe.each(STORE_ENGINES)('TemplateRepository and TemplateInstanceRepository on %s', (engine) => {
  const db = freshDb(engine);

  it('creates, lists by id in byte order, updates and deletes templates (and their instances); a duplicate id conflicts', () => {
    const devices = new DeviceRepository(db(), box);
    const d = devices.create(deviceWrite('r1'));
    const repo = new TemplateRepository(db());
    const ids = ['zeta', 'Alpha', 'alpha', 'a-b', 'a_b', 'a.b'];
    for (const id of ids) repo.create({ id, body: '{"x":1}', sourceText: null, deviceId: null, group: null }, 1_000);
    const own = repo.create({ id: 'own', body: HOSTILE[3]!, sourceText: HOSTILE[0]!, deviceId: d.id, group: null }, 2_000);
    expect(own).toEqual({ id: 'own', body: HOSTILE[3], sourceText: HOSTILE[0], deviceId: d.id, group: null, createdAt: 2_000, updatedAt: 2_000 });
    expect(repo.list().map((t) => t.id)).toEqual([...ids, 'own'].sort(byteOrder));
    expect(() => repo.create({ id: 'zeta', body: '{}', sourceText: null, deviceId: null, group: null })).toThrow(expect.objectContaining({ code: expect.stringMatching(/^SQLITE_CONSTRAINT_(PRIMARYKEY|UNIQUE)$/) }));
    expect(repo.update('own', '{"y":2}', 'y: 2', 3_000)).toMatchObject({ body: '{"y":2}', sourceText: 'y: 2', createdAt: 2_000, updatedAt: 3_000 });
    expect(repo.update('missing', '{}', null)).toBeUndefined();
    expect(repo.get('missing')).toBeUndefined();

    const inst = new TemplateInstanceRepository(db());
    inst.save(d.id, 'own', [{ table: 1, instance: { index: '1', label: HOSTILE[4]!, firstSeen: 1, lastSeen: 2, goneAt: null } }]);
    expect(inst.load(d.id)).toHaveLength(1);
    expect(repo.delete('own')).toBe(true);
    expect(inst.load(d.id)).toEqual([]);
    expect(repo.delete('own')).toBe(false);
    // A device template goes with its device.
    repo.create({ id: 'dev', body: '{}', sourceText: null, deviceId: d.id, group: null });
    devices.delete(d.id);
    expect(repo.get('dev')).toBeUndefined();
  });

  it('replaces a device\'s instances of one template at once, keeps other templates\', skips a deleted device, forgets a device', () => {
    const devices = new DeviceRepository(db(), box);
    const d = devices.create(deviceWrite('r1'));
    const inst = new TemplateInstanceRepository(db());
    const i = (index: string, goneAt: number | null = null) => ({ index, label: `if ${index} ${HOSTILE[0]}`, firstSeen: 10, lastSeen: 20, goneAt });
    inst.save(d.id, 't1', [{ table: 0, instance: i('1') }, { table: 0, instance: i('2', 15) }, { table: 1, instance: i('1') }]);
    inst.save(d.id, 't2', [{ table: 0, instance: i('9') }]);
    inst.save(d.id, 't1', [{ table: 0, instance: i('3') }]);
    const sorted = () => inst.load(d.id).sort((a, b) => byteOrder(`${a.templateId}/${a.table}/${a.instance.index}`, `${b.templateId}/${b.table}/${b.instance.index}`));
    expect(sorted()).toEqual([
      { templateId: 't1', table: 0, instance: i('3') },
      { templateId: 't2', table: 0, instance: i('9') },
    ]);
    // A duplicate key in one save fails it whole: the rows before stay as they were.
    expect(() => inst.save(d.id, 't2', [{ table: 0, instance: i('8') }, { table: 0, instance: i('8') }])).toThrow(expect.objectContaining({ code: expect.stringMatching(/^SQLITE_CONSTRAINT_(PRIMARYKEY|UNIQUE)$/) }));
    expect(sorted().map((r) => r.instance.index)).toEqual(['3', '9']);
    inst.save(999_999, 't1', [{ table: 0, instance: i('1') }]);
    expect(db().prepare('SELECT count(*) AS n FROM template_instances WHERE device_id = ?').get(999_999)).toEqual({ n: 0 });
    inst.forgetDevice(d.id);
    expect(inst.load(d.id)).toEqual([]);
  });
});

describe.each(STORE_ENGINES)('MaintenanceRepository on %s', (engine) => {
  const db = freshDb(engine);

  const once = (over: Partial<MaintenanceWrite> = {}): MaintenanceWrite => ({
    name: 'upgrade', deviceId: null, group: 'core', kind: 'once', startsAt: 1_000, endsAt: 2_000, days: [], startTime: null, durationMin: null, timezone: 'UTC', createdBy: 'admin', ...over,
  });

  it('creates, lists, gets and deletes windows; prunes one-off windows that ended; goes with its device', () => {
    const devices = new DeviceRepository(db(), box);
    const d = devices.create(deviceWrite('r1'));
    const repo = new MaintenanceRepository(db());
    const a = repo.create(once({ name: HOSTILE[0]! }), 500);
    expect(a).toEqual({ id: a.id, ...once({ name: HOSTILE[0]! }), createdAt: 500 });
    const weekly = repo.create(once({ kind: 'weekly', startsAt: null, endsAt: null, days: [0, 6], startTime: '22:00', durationMin: 90, timezone: 'Europe/Zürich', deviceId: d.id, group: null, createdBy: HOSTILE[2]! }));
    const later = repo.create(once({ endsAt: 9_000 }));
    expect(repo.list().map((w) => w.id)).toEqual([a.id, weekly.id, later.id]);
    expect(repo.get(weekly.id)).toMatchObject({ days: [0, 6], startTime: '22:00', durationMin: 90, timezone: 'Europe/Zürich', deviceId: d.id, createdBy: '__proto__' });
    expect(() => repo.create(once({ group: null }))).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
    expect(repo.deleteEndedBefore(3_000)).toBe(1);
    expect(repo.get(a.id)).toBeUndefined();
    expect(repo.delete(later.id)).toBe(true);
    expect(repo.delete(later.id)).toBe(false);
    devices.delete(d.id);
    expect(repo.list()).toEqual([]);
  });
});
