import { describe, expect, it } from 'vitest';
import { AuditRepository, type AuditWrite } from '../../../server/store/audit.repository.js';
import { STORE_ENGINES } from '../../helpers/store-engines.js';
import { byteOrder, freshDb, HOSTILE } from './config-repo-helpers.js';

const entry = (over: Partial<AuditWrite> = {}): AuditWrite => ({
  at: 1_000,
  userId: 1,
  username: 'admin',
  role: 'admin',
  sourceAddress: '127.0.0.1',
  action: 'device.update',
  objectType: 'device',
  objectId: '7',
  objectName: 'r1',
  method: 'PUT',
  path: '/api/v1/devices/7',
  status: 200,
  outcome: 'ok',
  before: { name: 'r0' },
  after: { name: 'r1' },
  details: null,
  ...over,
});

describe.each(STORE_ENGINES)('AuditRepository on %s', (engine) => {
  const db = freshDb(engine);

  it('records an entry and reads it back whole, JSON fields included', () => {
    const audit = new AuditRepository(db());
    const e = entry({ before: JSON.parse('{"__proto__":"x","nested":{"a":[1,"two",null]}}') as unknown, after: undefined, details: { big: 12345678901234567890n } as unknown });
    const id = audit.record(e);
    expect(typeof id).toBe('number');
    const back = audit.get(id)!;
    expect(back).toEqual({ ...e, id, after: null, details: { big: '12345678901234567890' } });
    expect(Object.hasOwn(back.before as object, '__proto__')).toBe(true);
    expect(audit.get(id + 1)).toBeUndefined();
  });

  it('filters by user, object, action (an object\'s actions or one), outcome and time, newest first, page by page', () => {
    const audit = new AuditRepository(db());
    const ids = [
      audit.record(entry({ at: 100, action: 'device.create', objectId: '1' })),
      audit.record(entry({ at: 200, action: 'device.update', objectId: '1', username: 'Bob' })),
      audit.record(entry({ at: 300, action: 'devices.bulk', objectType: 'devices', objectId: null })),
      audit.record(entry({ at: 400, action: 'alarm.ack', objectType: 'alarm', objectId: '9', outcome: 'denied', status: 403 })),
      audit.record(entry({ at: 500, action: 'device_x.update', objectType: 'device_x' })),
      audit.record(entry({ at: 600, action: 'DEVICE.update', objectType: 'DEVICE' })),
    ];
    const list = (q: Parameters<AuditRepository['list']>[0]) => audit.list(q).items.map((i) => i.id);
    expect(list({ limit: 100 })).toEqual([...ids].reverse());
    // `device` is that object's actions: not `devices.bulk`, not `device_x.…` (the _ is not a wildcard);
    // like SQLite's LIKE, the prefix ignores ASCII case.
    expect(list({ action: 'device', limit: 100 })).toEqual([ids[5], ids[1], ids[0]]);
    expect(list({ action: 'device.update', limit: 100 })).toEqual([ids[1]]);
    expect(list({ action: 'device_', limit: 100 })).toEqual([]);
    expect(list({ action: '%', limit: 100 })).toEqual([]);
    expect(list({ username: 'Bob', limit: 100 })).toEqual([ids[1]]);
    expect(list({ username: 'bob', limit: 100 })).toEqual([]);
    expect(list({ objectType: 'device', objectId: '1', limit: 100 })).toEqual([ids[1], ids[0]]);
    expect(list({ outcome: 'denied', limit: 100 })).toEqual([ids[3]]);
    expect(list({ from: 200, to: 400, limit: 100 })).toEqual([ids[3], ids[2], ids[1]]);
    const page1 = audit.list({ limit: 4 });
    expect(page1.items.map((i) => i.id)).toEqual([ids[5], ids[4], ids[3], ids[2]]);
    expect(page1.nextCursor).toBe(ids[2]);
    const page2 = audit.list({ limit: 4, beforeId: page1.nextCursor! });
    expect(page2).toMatchObject({ nextCursor: null });
    expect(page2.items.map((i) => i.id)).toEqual([ids[1], ids[0]]);
    expect(audit.objectTypes()).toEqual(['DEVICE', 'alarm', 'device', 'device_x', 'devices']);
  });

  it('keeps hostile text and finds it again; a NUL (a failed login can send one) is kept in its place', () => {
    const audit = new AuditRepository(db());
    for (const s of HOSTILE) {
      const id = audit.record(entry({ username: s, objectName: s, objectId: s, path: s, objectType: s.slice(0, 100), details: { s } }));
      expect(audit.get(id)).toMatchObject({ username: s, objectName: s, objectId: s, path: s, details: { s } });
      expect(audit.list({ username: s, limit: 10 }).items.map((i) => i.id)).toEqual([id]);
      expect(audit.list({ objectType: s.slice(0, 100), objectId: s, limit: 10 }).items.map((i) => i.id)).toEqual([id]);
    }
    expect(audit.objectTypes()).toEqual([...new Set(['device', ...HOSTILE.map((s) => s.slice(0, 100))])].filter((t) => t !== 'device').sort(byteOrder));
    const nul = audit.record(entry({ username: 'adm\0in', objectName: 'a\0b', details: { username: 'adm\0in' } }));
    const back = audit.get(nul)!;
    // PostgreSQL text cannot hold U+0000: it reads back as U+FFFD there; the JSON keeps it on both.
    const stored = engine === 'postgres' ? 'adm\uFFFDin' : 'adm\0in';
    expect(back).toMatchObject({ username: stored, details: { username: 'adm\0in' } });
    expect(audit.list({ username: 'adm\0in', limit: 10 }).items.map((i) => i.id)).toEqual([nul]);
  });

  it('trims entries older than a cutoff in batches, oldest first', () => {
    const audit = new AuditRepository(db());
    for (let at = 1; at <= 10; at++) audit.record(entry({ at: at * 100 }));
    expect(audit.deleteOlderThan(550, 3)).toBe(3);
    expect(audit.list({ limit: 100 }).items.map((i) => i.at)).toEqual([1000, 900, 800, 700, 600, 500, 400]);
    expect(audit.deleteOlderThan(550, 100)).toBe(2);
    expect(audit.deleteOlderThan(550, 100)).toBe(0);
    expect(audit.list({ limit: 100 }).items).toHaveLength(5);
  });
});
