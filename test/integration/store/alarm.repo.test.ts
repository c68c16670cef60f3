import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../server/store/database.js';
import { AlarmRepository, type NewAlarm } from '../../../server/store/alarm.repository.js';
import { encodeParams } from '../../../server/store/event-params.codec.js';
import { isPostgres } from '../../../server/store/pg/pg-db.js';
import { openTestDb, STORE_ENGINES } from '../../helpers/store-engines.js';

const T0 = 1_700_000_000_000;

const alarm = (over: Partial<NewAlarm> = {}): NewAlarm => ({
  reductionKey: 'linkDown:1:3',
  severity: 'minor',
  title: 'Link down',
  message: 'ifIndex 3 went down',
  deviceId: null,
  sourceAddress: '192.0.2.1',
  source: 'trap',
  eventType: 'linkDown',
  ruleId: 7,
  at: T0,
  inMaintenance: false,
  ...over,
});

/** An event row as the writers store it (PostgreSQL's events also need a tsvector). */
function insertEvent(db: Db, id: number, receivedAt: number, message: string, params: Record<string, unknown> = {}): void {
  const text = encodeParams(params, { source: 'syslog', type: 'syslog.user', sourceAddress: '192.0.2.1' });
  const cols = 'id, received_at, reported_at, source, source_address, device_id, severity, type, message, params';
  if (isPostgres(db)) db.prepare(`INSERT INTO events (${cols}, tsv) VALUES (?, ?, NULL, 'syslog', '192.0.2.1', NULL, 4, 'syslog.user', ?, ?, ''::tsvector)`).run(id, receivedAt, message, text);
  else db.prepare(`INSERT INTO events (${cols}) VALUES (?, ?, NULL, 'syslog', '192.0.2.1', NULL, 4, 'syslog.user', ?, ?)`).run(id, receivedAt, message, text);
}

describe.each(STORE_ENGINES)('AlarmRepository on %s', (engine) => {
  let db: Db;
  let repo: AlarmRepository;
  beforeEach(async () => {
    db = await openTestDb(engine);
    repo = new AlarmRepository(db);
  }, 60_000);
  afterEach(() => db.close());

  it('raises an alarm, folds recurrences into it and finds it by key (open, latest, get, openAll)', () => {
    const id = repo.insert(alarm());
    expect(id).toBeGreaterThan(0);
    const row = repo.get(id)!;
    expect(row).toMatchObject({ id, reduction_key: 'linkDown:1:3', state: 'active', severity: 2, count: 1, first_seen: T0, last_seen: T0, in_maintenance: 0, rule_id: 7 });
    expect(repo.open('linkDown:1:3')?.id).toBe(id);
    expect(repo.latest('linkDown:1:3')?.id).toBe(id);
    expect(repo.open('linkDown:1:4')).toBeUndefined();
    // last_seen keeps the later time (an older event arriving late does not move it back).
    repo.recur(id, 3, T0 + 5_000, 'major', 'Link down (3x)', 'again', true);
    repo.recur(id, 1, T0 + 1_000, 'major', 'Link down (4x)', 'late', false);
    expect(repo.get(id)).toMatchObject({ count: 5, last_seen: T0 + 5_000, severity: 1, title: 'Link down (4x)', message: 'late', in_maintenance: 0 });
    const other = repo.insert(alarm({ reductionKey: 'other' }));
    expect(repo.openAll().map((a) => a.id).sort((a, b) => a - b)).toEqual([id, other]);
    expect(repo.get(987_654)).toBeUndefined();
  });

  it('refuses a second open alarm for one reduction key (alarms_open_key) with the SQLite code, and a transaction rolls back whole', () => {
    const id = repo.insert(alarm());
    let err: unknown;
    try {
      repo.insert(alarm({ title: 'duplicate' }));
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(() =>
      repo.transaction(() => {
        repo.insert(alarm({ reductionKey: 'k2' }));
        repo.insert(alarm({ reductionKey: 'k2' }));
      }),
    ).toThrow();
    expect(repo.open('k2')).toBeUndefined();
    expect(repo.transaction(() => repo.insert(alarm({ reductionKey: 'k3' })))).toBeGreaterThan(id);
    // Once cleared, the key is free again: a new alarm can be raised under it.
    expect(repo.clear(id, T0 + 1, 'admin')).toBe(true);
    const again = repo.insert(alarm({ at: T0 + 2 }));
    expect(again).not.toBe(id);
    expect(repo.open('linkDown:1:3')?.id).toBe(again);
    expect(repo.latest('linkDown:1:3')?.id).toBe(again);
  });

  it('acknowledges, unacknowledges, clears once, and reopens a cleared alarm', () => {
    const id = repo.insert(alarm());
    expect(repo.unack(id)).toBe(false);
    expect(repo.ack(id, 'ops', T0 + 10)).toBe(true);
    expect(repo.ack(id, 'ops', T0 + 11)).toBe(false);
    expect(repo.get(id)).toMatchObject({ state: 'acknowledged', acked_by: 'ops', acked_at: T0 + 10 });
    expect(repo.unack(id)).toBe(true);
    expect(repo.get(id)).toMatchObject({ state: 'active', acked_by: null, acked_at: null });
    repo.setSuppressed(id, true, 99);
    repo.setImpact(id, 4);
    expect(repo.clear(id, T0 + 20, null)).toBe(true);
    expect(repo.clear(id, T0 + 21, 'late')).toBe(false);
    expect(repo.get(id)).toMatchObject({ state: 'cleared', cleared_at: T0 + 20, cleared_by: null });
    expect(repo.open('linkDown:1:3')).toBeUndefined();
    expect(repo.latest('linkDown:1:3')?.state).toBe('cleared');
    repo.reopen(id, T0 + 30, 'critical', 'Back', 'down again', true);
    expect(repo.get(id)).toMatchObject({
      state: 'active', count: 2, last_seen: T0 + 30, severity: 0, title: 'Back', message: 'down again', cleared_at: null, cleared_by: null,
      in_maintenance: 1, suppressed: 0, root_alarm_id: null, impact_count: 0,
    });
  });

  it('links events (a repeated link is ignored), lists them newest first, and prunes links below the oldest kept event', () => {
    const id = repo.insert(alarm());
    for (const [eid, msg] of [[10, 'first'], [11, 'second'], [12, 'third']] as const) {
      insertEvent(db, eid, T0 + eid, msg, { app: 'sshd', pid: '12' });
      repo.link(id, eid);
    }
    repo.link(id, 11);
    const events = repo.events(id, 2);
    expect(events.map((e) => e.id)).toEqual([12, 11]);
    expect(events[0]).toMatchObject({ receivedAt: T0 + 12, reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.1', severity: 'info', type: 'syslog.user', message: 'third' });
    expect(events[0]!.params).toEqual({ app: 'sshd', pid: '12' });
    expect(repo.pruneLinksBelow(12)).toBe(2);
    expect(repo.events(id, 10).map((e) => e.id)).toEqual([12]);
  });

  it('keeps notes in order and builds DTOs for one alarm and for several (dto, dtos)', () => {
    const a = repo.insert(alarm({ reductionKey: 'a' }));
    const b = repo.insert(alarm({ reductionKey: 'b', severity: 'critical' }));
    const c = repo.insert(alarm({ reductionKey: 'c' }));
    repo.addNote(a, 'ann', 'looking', T0 + 1);
    repo.addNote(b, 'bob', 'on it', T0 + 2);
    repo.addNote(a, 'ann', 'fixed the cable', T0 + 3);
    expect(repo.notes(a).map((n) => [n.user, n.text, n.createdAt])).toEqual([['ann', 'looking', T0 + 1], ['ann', 'fixed the cable', T0 + 3]]);
    expect(repo.notes(c)).toEqual([]);
    const dto = repo.dto(b)!;
    expect(dto).toMatchObject({ id: b, reductionKey: 'b', severity: 'critical', state: 'active', inMaintenance: false, flapping: false, archived: false, suppressed: false, rootAlarmId: null, impactCount: 0 });
    expect(dto.notes.map((n) => n.text)).toEqual(['on it']);
    expect(repo.dto(123_456)).toBeUndefined();
    const many = repo.dtos([c, a, 424_242]);
    expect(many.map((d) => d.id).sort((x, y) => x - y)).toEqual([a, c]);
    expect(many.find((d) => d.id === a)!.notes.map((n) => n.text)).toEqual(['looking', 'fixed the cable']);
    expect(repo.dtos([])).toEqual([]);
  });

  it('lists open alarms most severe first, then newest; history newest first with a cursor; archived, per device, root only', () => {
    db.prepare("INSERT INTO devices (name, address, created_at, updated_at) VALUES ('r1', '192.0.2.1', 0, 0)").run();
    const dev = db.prepare('SELECT id FROM devices').pluck().get() as number;
    const minorOld = repo.insert(alarm({ reductionKey: 'm1', severity: 'minor', at: T0 }));
    const minorNew = repo.insert(alarm({ reductionKey: 'm2', severity: 'minor', at: T0 + 100, deviceId: dev }));
    const crit = repo.insert(alarm({ reductionKey: 'c1', severity: 'critical', at: T0 - 50 }));
    const tie = repo.insert(alarm({ reductionKey: 'm3', severity: 'minor', at: T0 + 100 }));
    expect(repo.list({ state: 'open', limit: 10 })).toEqual({ items: expect.any(Array), nextCursor: null });
    expect(repo.list({ state: 'open', limit: 10 }).items.map((a) => a.id)).toEqual([crit, tie, minorNew, minorOld]);
    expect(repo.list({ state: 'open', limit: 2 }).items.map((a) => a.id)).toEqual([crit, tie]);
    expect(repo.list({ state: 'open', limit: 10, deviceId: dev }).items.map((a) => a.id)).toEqual([minorNew]);
    repo.setSuppressed(tie, true, crit);
    expect(repo.list({ state: 'open', limit: 10, root: true }).items.map((a) => a.id)).toEqual([crit, minorNew, minorOld]);

    const cleared: number[] = [];
    for (let i = 0; i < 5; i++) {
      const id = repo.insert(alarm({ reductionKey: `h${i}`, at: T0 + i }));
      repo.clear(id, T0 + 1_000 + i, 'bulk');
      cleared.push(id);
    }
    const page1 = repo.list({ state: 'cleared', limit: 2 });
    expect(page1.items.map((a) => a.id)).toEqual([cleared[4], cleared[3]]);
    expect(page1.nextCursor).toBe(cleared[3]);
    const page2 = repo.list({ state: 'cleared', limit: 2, beforeId: page1.nextCursor! });
    expect(page2.items.map((a) => a.id)).toEqual([cleared[2], cleared[1]]);
    const page3 = repo.list({ state: 'cleared', limit: 2, beforeId: page2.nextCursor! });
    expect(page3).toEqual({ items: [expect.objectContaining({ id: cleared[0] })], nextCursor: null });
    expect(repo.list({ state: 'all', limit: 3 }).items.map((a) => a.id)).toEqual([cleared[4], cleared[3], cleared[2]]);

    // Archive: cleared before the cutoff only, once.
    expect(repo.archiveClearedBefore(T0 + 1_002)).toBe(2);
    expect(repo.archiveClearedBefore(T0 + 1_002)).toBe(0);
    expect(repo.list({ state: 'archived', limit: 10 }).items.map((a) => [a.id, a.archived])).toEqual([[cleared[1], true], [cleared[0], true]]);
    expect(repo.list({ state: 'cleared', limit: 10 }).items.map((a) => a.id)).toEqual([cleared[4], cleared[3], cleared[2]]);
    // latest() skips archived alarms.
    expect(repo.latest('h0')).toBeUndefined();
    expect(repo.latest('h4')?.id).toBe(cleared[4]);
  });

  it('flags maintenance and flapping, and tracks suppression under a cause (setFlags, flapping, setSuppressed, setImpact, suppressedByDevice, suppressedUnder)', () => {
    db.prepare("INSERT INTO devices (name, address, created_at, updated_at) VALUES ('a', '192.0.2.1', 0, 0), ('b', '192.0.2.2', 0, 0)").run();
    const [d1, d2] = db.prepare('SELECT id FROM devices ORDER BY id').pluck().all() as number[];
    const root = repo.insert(alarm({ reductionKey: 'root', deviceId: d1! }));
    const s1 = repo.insert(alarm({ reductionKey: 's1', deviceId: d2! }));
    const s2 = repo.insert(alarm({ reductionKey: 's2', deviceId: d2! }));
    const s3 = repo.insert(alarm({ reductionKey: 's3', deviceId: d1! }));
    const s4 = repo.insert(alarm({ reductionKey: 's4', deviceId: null }));
    repo.setFlags(s1, true, true);
    expect(repo.get(s1)).toMatchObject({ in_maintenance: 1, flapping: 1 });
    expect(repo.flapping().map((a) => a.id)).toEqual([s1]);
    repo.setFlags(s1, false, false);
    expect(repo.flapping()).toEqual([]);
    for (const id of [s1, s2, s3, s4]) repo.setSuppressed(id, true, root);
    repo.clear(s2, T0 + 5, null);
    expect([...repo.suppressedByDevice()].sort()).toEqual([[d1, 1], [d2, 1]].sort());
    // Open ones first (newest first), then cleared ones.
    expect(repo.suppressedUnder(root)).toEqual([s4, s3, s1, s2]);
    expect(repo.setImpact(root, 2)).toBe(true);
    expect(repo.setImpact(root, 2)).toBe(false);
    expect(repo.get(root)?.impact_count).toBe(2);
    repo.setSuppressed(s1, false, null);
    expect(repo.get(s1)).toMatchObject({ suppressed: 0, root_alarm_id: null });
    expect(repo.suppressedUnder(root)).toEqual([s4, s3, s2]);
  });

  it('stores hostile text as given: quotes, __proto__, unicode, 100 kB messages (NUL becomes U+FFFD on PostgreSQL only)', () => {
    const key = `__proto__:'";--\u00e9\u{1F525}`;
    const long = 'x'.repeat(100_000);
    const id = repo.insert(alarm({ reductionKey: key, title: "O'Brien \"quoted\" $1 ?", message: long, sourceAddress: null, eventType: 'constructor' }));
    expect(repo.open(key)).toMatchObject({ id, title: "O'Brien \"quoted\" $1 ?", message: long, source_address: null, event_type: 'constructor' });
    repo.addNote(id, '__proto__', "'); DROP TABLE alarms; --", T0);
    expect(repo.notes(id)[0]).toMatchObject({ user: '__proto__', text: "'); DROP TABLE alarms; --" });
    const nul = repo.insert(alarm({ reductionKey: 'nul\u0000key', message: 'a\u0000b' }));
    const stored = repo.get(nul)!;
    expect(stored.message).toBe(engine === 'postgres' ? 'a\uFFFDb' : 'a\u0000b');
    expect(repo.open('nul\u0000key')?.id).toBe(nul);
    repo.recur(nul, 1, T0 + 1, 'minor', 't\u0000', 'm\u0000', false);
    expect(repo.ack(nul, 'u\u0000', T0 + 2)).toBe(true);
    expect(repo.get(nul)?.title).toBe(engine === 'postgres' ? 't\uFFFD' : 't\u0000');
    // The engine keys its cache by storedKey(): it matches what openAll() gives after a restart.
    expect(repo.storedKey('nul\u0000key')).toBe(engine === 'postgres' ? 'nul\uFFFDkey' : 'nul\u0000key');
    expect(repo.openAll().find((a) => a.id === nul)?.reduction_key).toBe(repo.storedKey('nul\u0000key'));
    expect(repo.storedKey(key)).toBe(key);
  });
});
