import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboxSample, ProposedRule } from '../../../server/contracts/inbox.js';
import type { Db } from '../../../server/store/database.js';
import { DependencyRepository } from '../../../server/store/dependency.repository.js';
import { INBOX_MAX_DEVICES, InboxRepository, type InboxDelta } from '../../../server/store/inbox.repository.js';
import { openTestDb, STORE_ENGINES } from '../../helpers/store-engines.js';

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;

const sample = (message: string): InboxSample => ({ message, severity: 'warning', sourceAddress: '192.0.2.1', deviceId: null, params: { app: 'sshd' } });
const delta = (type: string, over: Partial<InboxDelta> = {}): InboxDelta => ({
  source: 'syslog',
  type,
  count: 1,
  firstSeen: T0,
  lastSeen: T0,
  devices: [{ address: '192.0.2.1' }],
  sample: sample(`${type} happened`),
  ...over,
});
const opts = { maxRows: 100, dismissMs: DAY };

function devices(db: Db, n: number): number[] {
  const ins = db.prepare('INSERT INTO devices (name, address, created_at, updated_at) VALUES (?, ?, 0, 0) RETURNING id');
  return Array.from({ length: n }, (_, i) => (ins.get(`dev${i}`, `192.0.2.${i + 1}`) as { id: number }).id);
}

describe.each(STORE_ENGINES)('InboxRepository on %s', (engine) => {
  let db: Db;
  let repo: InboxRepository;
  beforeEach(async () => {
    db = await openTestDb(engine);
    repo = new InboxRepository(db);
  }, 60_000);
  afterEach(() => db.close());

  it('inserts new types and folds later deltas into them: counts add, first/last seen widen, devices merge up to the cap', () => {
    expect(repo.apply([delta('a'), delta('b', { lastSeen: T0 + 5 })], opts)).toBe(0);
    const a0 = repo.list({ limit: 10 }).find((e) => e.type === 'a')!;
    expect(a0).toMatchObject({ source: 'syslog', type: 'a', count: 1, firstSeen: T0, lastSeen: T0, devices: [{ address: '192.0.2.1' }], deviceCount: 1, state: 'new', stateAt: null, stateBy: null, ruleIds: [], editedRules: null });
    expect(a0.sample).toEqual(sample('a happened'));
    // An older first sighting moves first_seen back; an older last sighting does not move last_seen back.
    repo.apply([delta('a', { count: 4, firstSeen: T0 - 100, lastSeen: T0 - 50, devices: [{ address: '192.0.2.1' }, { id: 7, name: 'r7' }], sample: sample('newer') })], opts);
    expect(repo.get(a0.id)).toMatchObject({ count: 5, firstSeen: T0 - 100, lastSeen: T0, deviceCount: 2, devices: [{ address: '192.0.2.1' }, { id: 7, name: 'r7' }] });
    expect(repo.get(a0.id)!.sample.message).toBe('newer');
    repo.apply([delta('a', { firstSeen: T0 + 10, lastSeen: T0 + 20 })], opts);
    expect(repo.get(a0.id)).toMatchObject({ count: 6, firstSeen: T0 - 100, lastSeen: T0 + 20 });
    // Devices: labels kept up to INBOX_MAX_DEVICES, the count goes on.
    const many = Array.from({ length: INBOX_MAX_DEVICES + 5 }, (_, i) => ({ id: 100 + i }));
    repo.apply([delta('a', { devices: many })], opts);
    const a = repo.get(a0.id)!;
    expect(a.devices).toHaveLength(INBOX_MAX_DEVICES);
    expect(a.deviceCount).toBe(2 + INBOX_MAX_DEVICES + 5);
    expect(repo.get(999_999)).toBeUndefined();
  });

  it('caps the number of types: new ones beyond maxRows are counted, known ones still update', () => {
    expect(repo.apply([delta('a'), delta('b'), delta('c')], { ...opts, maxRows: 2 })).toBe(1);
    expect(repo.apply([delta('a', { count: 2 }), delta('d')], { ...opts, maxRows: 2 })).toBe(1);
    expect(repo.list({ limit: 10, all: true }).map((e) => [e.type, e.count]).sort()).toEqual([['a', 3], ['b', 1]]);
  });

  it('lists newest first (ties by id), new ones only unless all, with a limit', () => {
    repo.apply([delta('old', { lastSeen: T0 }), delta('mid', { lastSeen: T0 + 10 }), delta('tie1', { lastSeen: T0 + 20 }), delta('tie2', { lastSeen: T0 + 20 })], opts);
    expect(repo.list({ limit: 10 }).map((e) => e.type)).toEqual(['tie2', 'tie1', 'mid', 'old']);
    expect(repo.list({ limit: 2 }).map((e) => e.type)).toEqual(['tie2', 'tie1']);
    const mid = repo.list({ limit: 10 }).find((e) => e.type === 'mid')!;
    repo.mark(mid.id, 'dismissed', 'ann', [], T0 + 30);
    expect(repo.list({ limit: 10 }).map((e) => e.type)).toEqual(['tie2', 'tie1', 'old']);
    expect(repo.list({ limit: 10, all: true }).map((e) => e.type)).toEqual(['tie2', 'tie1', 'mid', 'old']);
  });

  it('marks accepted/dismissed; a dismissed type comes back only after dismissMs, an accepted one at once', () => {
    repo.apply([delta('d'), delta('acc')], opts);
    const [d, acc] = ['d', 'acc'].map((t) => repo.list({ limit: 10 }).find((e) => e.type === t)!);
    expect(repo.mark(d!.id, 'dismissed', 'ann', [], T0 + 1_000)).toMatchObject({ state: 'dismissed', stateAt: T0 + 1_000, stateBy: 'ann' });
    expect(repo.mark(acc!.id, 'accepted', 'bob', [3, 4], T0 + 1_000)).toMatchObject({ state: 'accepted', ruleIds: [3, 4] });
    repo.apply([delta('d', { lastSeen: T0 + 1_000 + DAY - 1 })], opts);
    expect(repo.get(d!.id)?.state).toBe('dismissed');
    repo.apply([delta('d', { lastSeen: T0 + 1_000 + DAY })], opts);
    expect(repo.get(d!.id)?.state).toBe('new');
    repo.apply([delta('acc', { lastSeen: T0 + 2_000 })], opts);
    expect(repo.get(acc!.id)?.state).toBe('new');
    expect(repo.mark(999_999, 'accepted', null)).toBeUndefined();
  });

  it('keeps an edited proposal and resets it; prunes types not seen since a time, keeping dismissed ones', () => {
    repo.apply([delta('old', { lastSeen: T0 }), delta('gone', { lastSeen: T0 }), delta('new', { lastSeen: T0 + DAY })], opts);
    const [old, gone] = ['old', 'gone'].map((t) => repo.list({ limit: 10 }).find((e) => e.type === t)!);
    const rules: ProposedRule[] = [{ name: "it's \"mine\"", description: '__proto__', enabled: true, body: { kind: 'event', match: { message: '^x$' }, actions: { disposition: 'store' } } }];
    expect(repo.saveEdited(old!.id, rules)?.editedRules).toEqual(rules);
    expect(repo.saveEdited(old!.id, null)?.editedRules).toBeNull();
    repo.mark(old!.id, 'dismissed', null, [], T0);
    expect(repo.prune(T0 + 1)).toBe(1);
    expect(repo.get(gone!.id)).toBeUndefined();
    expect(repo.list({ limit: 10, all: true }).map((e) => e.type).sort()).toEqual(['new', 'old']);
  });

  it('keeps hostile sources, types and samples apart and intact (NUL in a type becomes U+FFFD on PostgreSQL only)', () => {
    const types = ['__proto__', 'constructor', `'"; DROP TABLE event_inbox; --`, '\u00e9v\u00e9nement \u{1F525}', 'T'.repeat(10_000), 'Case', 'case'];
    repo.apply(types.map((t) => delta(t, { sample: { ...sample(`${t}\u0000`), params: { ['__proto__']: 'x', nul: '\u0000' } } })), opts);
    const listed = repo.list({ limit: 20 });
    expect(listed.map((e) => e.type).sort()).toEqual([...types].sort());
    const proto = listed.find((e) => e.type === '__proto__')!;
    expect(proto.sample.message).toBe('__proto__\u0000');
    expect(Object.hasOwn(proto.sample.params, '__proto__')).toBe(true);
    repo.apply([delta('nul\u0000type'), delta('nul\u0000type')], opts);
    const nul = repo.list({ limit: 20 }).filter((e) => e.type.startsWith('nul'));
    expect(nul).toHaveLength(1);
    expect(nul[0]).toMatchObject({ count: 2, type: engine === 'postgres' ? 'nul\uFFFDtype' : 'nul\u0000type' });
    // (source, type) is unique on both engines.
    expect(() => db.prepare("INSERT INTO event_inbox (source, type, first_seen, last_seen) VALUES ('syslog', 'Case', 0, 0)").run()).toThrow(
      expect.objectContaining({ code: 'SQLITE_CONSTRAINT_UNIQUE' }),
    );
  });
});

describe.each(STORE_ENGINES)('DependencyRepository on %s', (engine) => {
  let db: Db;
  let repo: DependencyRepository;
  beforeEach(async () => {
    db = await openTestDb(engine);
    repo = new DependencyRepository(db);
  }, 60_000);
  afterEach(() => db.close());

  it('pins a parent and marks roots per device; a row with neither is removed; pins() gives Maps', () => {
    const [a, b, c] = devices(db, 3);
    expect(repo.device(a!)).toEqual({ pinnedParentId: null, isRoot: false });
    repo.setDevice(a!, b!, false, T0);
    repo.setDevice(c!, null, true, T0);
    expect(repo.device(a!)).toEqual({ pinnedParentId: b, isRoot: false });
    repo.setDevice(a!, c!, true, T0 + 1);
    expect(repo.device(a!)).toEqual({ pinnedParentId: c, isRoot: true });
    const pins = repo.pins();
    expect(pins.devices).toBeInstanceOf(Map);
    expect([...pins.devices].sort((x, y) => x[0] - y[0])).toEqual([[a, { pinnedParentId: c, isRoot: true }], [c, { pinnedParentId: null, isRoot: true }]]);
    repo.setDevice(a!, null, false);
    expect(repo.device(a!)).toEqual({ pinnedParentId: null, isRoot: false });
    expect(db.prepare('SELECT count(*) FROM device_dependencies').pluck().get()).toBe(1);
    // Deleting the pinned parent unpins (ON DELETE SET NULL); deleting the device drops its row.
    repo.setDevice(b!, c!, false);
    db.prepare('DELETE FROM devices WHERE id = ?').run(c);
    expect(repo.device(b!)).toEqual({ pinnedParentId: null, isRoot: false });
    expect(repo.pins().devices.size).toBe(1);
    db.prepare('DELETE FROM devices WHERE id = ?').run(b);
    expect(repo.pins().devices.size).toBe(0);
    // A pin to a device that does not exist is refused by the foreign key, on both engines.
    expect(() => repo.setDevice(a!, 999_999, false)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^SQLITE_CONSTRAINT/) }));
  });

  it('pins a parent per group, lists groups in byte order, and removes a pin with null (hostile group names kept as given)', () => {
    const [p, q] = devices(db, 2);
    const names = ['core', 'Core', '__proto__', `'"; DROP TABLE group_dependencies; --`, '\u00e9dge \u{1F525}', 'b'.repeat(5_000)];
    names.forEach((n, i) => repo.setGroup(n, i % 2 ? q! : p!, T0));
    expect(repo.groups().map((g) => g.group)).toEqual([...names].sort());
    expect(repo.group('__proto__')).toEqual({ group: '__proto__', parentId: p });
    expect(repo.group('nope')).toEqual({ group: 'nope', parentId: null });
    repo.setGroup('core', q!, T0 + 1);
    expect(repo.group('core').parentId).toBe(q);
    expect(repo.group('Core').parentId).toBe(q);
    const pins = repo.pins();
    expect(pins.groups).toBeInstanceOf(Map);
    expect(pins.groups.get('__proto__')).toBe(p);
    expect(pins.groups.size).toBe(names.length);
    repo.setGroup('core', null);
    expect(repo.group('core').parentId).toBeNull();
    expect(repo.groups()).toHaveLength(names.length - 1);
    repo.setGroup('nul\u0000group', p!);
    expect(repo.group('nul\u0000group').parentId).toBe(p);
    expect(repo.groups().some((g) => g.group === (engine === 'postgres' ? 'nul\uFFFDgroup' : 'nul\u0000group'))).toBe(true);
    // Deleting the parent device drops its group pins.
    db.prepare('DELETE FROM devices WHERE id = ?').run(q);
    expect(repo.groups().every((g) => g.parentId === p)).toBe(true);
  });
});
