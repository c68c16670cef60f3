import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InventoryItem } from '../../../server/contracts/inventory.js';
import type { Db } from '../../../server/store/database.js';
import { InventoryRepository, type InventoryApply } from '../../../server/store/inventory.repository.js';
import { openTestDb, STORE_ENGINES } from '../../helpers/store-engines.js';
import { addDevice, HOSTILE, longText, nulOf } from './store-fixtures.js';

const item = (index: string, extra: Partial<InventoryItem> = {}): InventoryItem => ({
  index, parentIndex: null, class: 'module', name: `slot ${index}`, descr: 'Line card', model: 'WS-X6748', serial: `SN${index}`, hardwareRev: 'A0',
  firmwareRev: null, softwareRev: '15.1', manufacturer: 'Cisco', fru: true, vendorType: '1.3.6.1.4.1.9.12.3.1.9.1', parentRelPos: 1, alias: null, assetId: null, ...extra,
});

const snapshot = (deviceId: number, source: string, at: number, items: InventoryItem[], rest: Partial<InventoryApply> = {}): InventoryApply => ({
  deviceId, source, at, upsert: items, count: items.length, removed: [], history: items.map((i) => ({ index: i.index, change: 'added', class: i.class, name: i.name, model: i.model, serial: i.serial, changes: [] })), ...rest,
});

describe.each(STORE_ENGINES)('InventoryRepository on %s', (engine) => {
  let db: Db;
  let repo: InventoryRepository;
  let d1: number;
  let d2: number;
  beforeEach(async () => {
    db = await openTestDb(engine);
    repo = new InventoryRepository(db);
    d1 = addDevice(db, 'Core-B');
    d2 = addDevice(db, 'access-a', '127.0.0.2');
  }, 60_000);
  afterEach(() => db.close());

  it('stores a baseline snapshot, then its bookkeeping per source, sources in name order', () => {
    expect(repo.sourceState(d1, 'entity')).toBeUndefined();
    expect(repo.stored(d1, 'entity').size).toBe(0);
    repo.apply(snapshot(d1, 'entity', 1_000, [item('1', { class: 'chassis', fru: false }), item('2', { parentIndex: '1', fru: null })]));
    repo.apply(snapshot(d1, 'template:psu', 1_000, [item('a')]));
    expect(repo.sourceState(d1, 'entity')).toEqual({ source: 'entity', baselineAt: 1_000, collectedAt: 1_000, items: 2 });
    expect(repo.sources(d1).map((s) => s.source)).toEqual(['entity', 'template:psu']);
    const stored = repo.stored(d1, 'entity');
    expect([...stored.keys()].sort()).toEqual(['1', '2']);
    expect(stored.get('1')).toEqual({ ...item('1', { class: 'chassis', fru: false }), firstSeen: 1_000, lastSeen: 1_000, removedAt: null });
    expect(stored.get('2')!.fru).toBeNull();
    repo.touchSource(d1, 'entity', 1_500);
    expect(repo.sourceState(d1, 'entity')).toEqual({ source: 'entity', baselineAt: 1_000, collectedAt: 1_500, items: 2 });
  });

  it('applies a change: removed marked, present touched, changed updated, returning ones get a new first_seen; an older snapshot never moves collected_at back', () => {
    repo.apply(snapshot(d1, 'entity', 1_000, [item('1'), item('2'), item('3')]));
    repo.apply(snapshot(d1, 'entity', 2_000, [item('2', { serial: 'NEW' })], {
      count: 2, removed: ['3'],
      history: [{ index: '3', change: 'removed', class: 'module', name: 'slot 3', model: 'WS-X6748', serial: 'SN3', changes: [] },
        { index: '2', change: 'changed', class: 'module', name: 'slot 2', model: 'WS-X6748', serial: 'NEW', changes: [{ field: 'serial', old: 'SN2', new: 'NEW' }] }],
    }));
    let s = repo.stored(d1, 'entity');
    expect(s.get('1')).toMatchObject({ lastSeen: 2_000, firstSeen: 1_000, removedAt: null });
    expect(s.get('2')).toMatchObject({ serial: 'NEW', lastSeen: 2_000, firstSeen: 1_000 });
    expect(s.get('3')).toMatchObject({ lastSeen: 1_000, removedAt: 2_000 });
    expect(repo.current(d1).map((i) => i.index)).toEqual(['1', '2']);
    // Back again: first_seen restarts, removed_at clears.
    repo.apply(snapshot(d1, 'entity', 3_000, [item('3')], { count: 3 }));
    s = repo.stored(d1, 'entity');
    expect(s.get('3')).toMatchObject({ firstSeen: 3_000, lastSeen: 3_000, removedAt: null });
    // A late, older snapshot.
    repo.apply(snapshot(d1, 'entity', 2_500, [], { count: 3, history: [] }));
    expect(repo.sourceState(d1, 'entity')).toMatchObject({ baselineAt: 1_000, collectedAt: 3_000, items: 3 });
  });

  it('lists current components by source, then index as a number, then as text (both engines alike)', () => {
    const idx = ['10', '2', 'abc', '1.3', '1.10', '-1', ' 7', '007', '', '99999999999999999999999', 'x10'];
    repo.apply(snapshot(d1, 'tmpl', 1, idx.map((i) => item(i))));
    repo.apply(snapshot(d1, 'entity', 1, [item('2'), item('10')]));
    expect(repo.current(d1).map((i) => `${i.source}:${i.index}`)).toEqual([
      'entity:2', 'entity:10',
      'tmpl:-1', 'tmpl:', 'tmpl:abc', 'tmpl:x10', 'tmpl:1.10', 'tmpl:1.3', 'tmpl:2', 'tmpl: 7', 'tmpl:007', 'tmpl:10', 'tmpl:99999999999999999999999',
    ]);
    expect(repo.current(d2)).toEqual([]);
  });

  it('pages history newest first and keeps change lists and hostile text as given', () => {
    for (let k = 0; k < 5; k++) {
      repo.apply(snapshot(d1, 'entity', 1_000 + k, [], {
        count: 0, history: [{ index: String(k), change: 'changed', class: 'fan', name: HOSTILE[k]!, model: null, serial: '__proto__', changes: [{ field: 'serial', old: HOSTILE[k]!, new: '\u0000x' }] }],
      }));
    }
    const first = repo.history(d1, { limit: 2 });
    expect(first.map((h) => h.index)).toEqual(['4', '3']);
    expect(first[0]).toEqual({ id: first[0]!.id, deviceId: d1, source: 'entity', index: '4', at: 1_004, change: 'changed', class: 'fan', name: HOSTILE[4], model: null, serial: '__proto__', changes: [{ field: 'serial', old: HOSTILE[4], new: '\u0000x' }] });
    const next = repo.history(d1, { limit: 10, beforeId: first[1]!.id });
    expect(next.map((h) => h.index)).toEqual(['2', '1', '0']);
    expect(repo.history(d2, { limit: 10 })).toEqual([]);
    // A history line the schema refuses rolls the whole snapshot back.
    expect(() => repo.apply(snapshot(d1, 'entity', 9_000, [item('9')], { history: [{ index: '9', change: 'moved' as 'added', class: 'fan', name: null, model: null, serial: null, changes: [] }] }))).toThrow();
    expect(repo.stored(d1, 'entity').has('9')).toBe(false);
  });

  it('searches serials and models of every device in any case, its wildcards literal, removed ones on request, by device name', () => {
    repo.apply(snapshot(d1, 'entity', 1, [item('1', { serial: 'FOX123%_A', model: 'C9300-48P' }), item('2', { serial: 'fox999', model: 'PWR-C1' })]));
    repo.apply(snapshot(d2, 'entity', 1, [item('1', { serial: 'zFoX1', model: 'c9300-24t' }), item('3', { serial: null, model: null })]));
    repo.apply(snapshot(d2, 'entity', 2, [], { count: 0, removed: ['1'], history: [] }));
    const hits = (q: Parameters<InventoryRepository['search']>[0]) => repo.search(q).map((h) => `${h.deviceName}/${h.index}`);
    expect(hits({ serial: 'fox', limit: 10 })).toEqual(['Core-B/1', 'Core-B/2']);
    // Device names are case-insensitive in order (NOCASE / citext): access-a before Core-B.
    expect(hits({ serial: 'fox', includeRemoved: true, limit: 10 })).toEqual(['access-a/1', 'Core-B/1', 'Core-B/2']);
    expect(hits({ serial: '%_', limit: 10 })).toEqual(['Core-B/1']);
    expect(hits({ serial: '_', limit: 10 })).toEqual(['Core-B/1']);
    expect(hits({ model: 'C9300', includeRemoved: true, limit: 10 })).toEqual(['access-a/1', 'Core-B/1']);
    expect(hits({ serial: 'fox', model: 'pwr', limit: 10 })).toEqual(['Core-B/2']);
    expect(hits({ limit: 2 })).toEqual(['access-a/3', 'Core-B/1']);
    const [h] = repo.search({ serial: 'zfox', includeRemoved: true, limit: 1 });
    expect(h).toMatchObject({ deviceId: d2, deviceName: 'access-a', source: 'entity', removedAt: 2, serial: 'zFoX1' });
    for (const q of [...HOSTILE, '\u0000', "'", '\\']) expect(() => repo.search({ serial: q, model: q, limit: 5 })).not.toThrow();
  });

  it('stores hostile component text and index (NUL as U+FFFD on PostgreSQL) and finds it again by its stored index', () => {
    const idx = ['__proto__', "o'neil", 'a\u0000b', longText(4), ...HOSTILE.slice(3)];
    repo.apply(snapshot(d1, 'entity', 1, idx.map((i) => item(i, { name: i, serial: i, descr: `d\u0000${i}` }))));
    const stored = repo.stored(d1, 'entity');
    expect(stored.size).toBe(idx.length);
    for (const i of stored.values()) expect(i.descr).toBe(nulOf(db, 'd\u0000') + i.name);
    expect(stored.get('__proto__')).toMatchObject({ name: '__proto__', serial: '__proto__' });
    // Applying the same snapshot again by the stored indexes leaves one row per component.
    repo.apply(snapshot(d1, 'entity', 2, [...stored.values()], { history: [] }));
    expect(repo.stored(d1, 'entity').size).toBe(idx.length);
    expect(repo.current(d1)).toHaveLength(idx.length);
  });

  it('loses inventory with its device', () => {
    repo.apply(snapshot(d1, 'entity', 1, [item('1')]));
    db.prepare('DELETE FROM devices WHERE id = ?').run(d1);
    expect(repo.current(d1)).toEqual([]);
    expect(repo.sources(d1)).toEqual([]);
    expect(repo.history(d1, { limit: 5 })).toEqual([]);
  });
});
