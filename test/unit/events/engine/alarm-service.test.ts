import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmDto } from '../../../../server/contracts/alarms.js';
import type { StoredEvent } from '../../../../server/contracts/events.js';
import { AlarmService, CHANGE_SLICE, type AlarmOptions, type NotificationKind } from '../../../../server/events/engine/alarm-service.js';
import { MaintenanceIndex } from '../../../../server/events/engine/maintenance.js';
import type { Decision } from '../../../../server/events/engine/rule-compiler.js';
import { AlarmRepository } from '../../../../server/store/alarm.repository.js';
import { EventRepository } from '../../../../server/store/event.repository.js';
import { MaintenanceRepository } from '../../../../server/store/maintenance.repository.js';
import { ev, tempDb } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function setup(options: Partial<AlarmOptions> = {}, changeDelayMs = 0) {
  const { db, cleanup } = tempDb();
  cleanups.push(cleanup);
  const repo = new AlarmRepository(db);
  const events = new EventRepository(db);
  const maint = new MaintenanceRepository(db);
  const index = new MaintenanceIndex(() => maint.list());
  let now = 1_700_000_000_000;
  const changes: AlarmDto[] = [];
  const sent: { kind: NotificationKind; alarm: AlarmDto }[] = [];
  const notify = { channelIds: [1], on: ['raise', 'severity', 'clear'] as ('raise' | 'severity' | 'clear')[] };
  const svc = new AlarmService({
    repo,
    maintenance: index,
    device: () => undefined,
    ruleNotify: () => notify,
    onChange: (a) => changes.push(a),
    notify: (kind, alarm) => sent.push({ kind, alarm }),
    clock: () => now,
    options,
    changeDelayMs,
  });
  const store = (over: Parameters<typeof ev>[0] = {}): StoredEvent => events.insertBatch([ev({ receivedAt: now, ...over })])[0]!;
  const raise = (key: string, over: Parameters<typeof ev>[0] = {}) => {
    const event = store({ severity: 'minor', ...over });
    const decision: Decision = { disposition: 'alarm', ruleId: 1, reductionKey: key, clearKey: null, notify: null };
    svc.applyBatch([{ event, decision }]);
    return event;
  };
  const clear = (key: string) => {
    const decision: Decision = { disposition: 'clear', ruleId: 2, reductionKey: null, clearKey: key, notify: null };
    svc.applyBatch([{ event: store({ severity: 'info' }), decision }]);
  };
  return { db, repo, svc, maint, index, changes, sent, store, raise, clear, tick: (ms: number) => (now += ms), list: () => repo.list({ state: 'all', limit: 100 }).items };
}

describe('alarm reduction and clearing', () => {
  it('folds repeats of one reduction key into one alarm with a count and links every event', () => {
    const t = setup();
    for (let i = 0; i < 6; i++) t.raise('linkDown:7:3');
    t.raise('linkDown:7:4');
    const [a4, a3] = t.list();
    expect(a3).toMatchObject({ reductionKey: 'linkDown:7:3', count: 6, state: 'active' });
    expect(a4).toMatchObject({ reductionKey: 'linkDown:7:4', count: 1 });
    expect(t.repo.events(a3!.id, 100)).toHaveLength(6);
    expect(t.sent.map((s) => s.kind)).toEqual(['raise', 'raise']);
  });

  it('raises the severity when a more severe event arrives, never lowers it, and notifies the change', () => {
    const t = setup();
    t.raise('k', { severity: 'minor' });
    t.raise('k', { severity: 'critical' });
    t.raise('k', { severity: 'warning' });
    expect(t.list()[0]!.severity).toBe('critical');
    expect(t.sent.map((s) => s.kind)).toEqual(['raise', 'severity']);
  });

  it('clears the alarm whose reduction key equals the clear key, and ignores unmatched clears', () => {
    const t = setup();
    t.raise('linkDown:7:3');
    t.raise('linkDown:7:4');
    t.clear('linkDown:7:3');
    t.clear('linkDown:7:99');
    const byKey = Object.fromEntries(t.list().map((a) => [a.reductionKey, a]));
    expect(byKey['linkDown:7:3']!.state).toBe('cleared');
    expect(byKey['linkDown:7:4']!.state).toBe('active');
    expect(t.svc.stats.clears_unmatched).toBe(1);
    expect(t.sent.map((s) => s.kind)).toEqual(['raise', 'raise', 'clear']);
  });

  it('reopens a cleared alarm that recurs (default)', () => {
    const t = setup();
    t.raise('k');
    t.clear('k');
    t.raise('k');
    const all = t.list();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ state: 'active', count: 2, clearedAt: null });
  });

  it('opens a new alarm instead when recurrence is "new"', () => {
    const t = setup({ recurrence: 'new' });
    t.raise('k');
    t.clear('k');
    t.raise('k');
    expect(t.list().map((a) => a.state)).toEqual(['active', 'cleared']);
  });

  it('supports acknowledge, unacknowledge, manual clear and notes with who and when', () => {
    const t = setup();
    t.raise('k');
    const id = t.list()[0]!.id;
    expect(t.svc.ack(id, 'ops')).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'ops' });
    expect(t.svc.ack(id, 'ops')).toBeUndefined();
    expect(t.svc.unack(id)).toMatchObject({ state: 'active', acknowledgedBy: null });
    expect(t.svc.note(id, 'ops', 'looking')!.notes).toMatchObject([{ user: 'ops', text: 'looking' }]);
    expect(t.svc.clear(id, 'ops')).toMatchObject({ state: 'cleared', clearedBy: 'ops' });
    expect(t.changes.length).toBeGreaterThanOrEqual(5);
  });

  it('keeps memory and database in step when a batch fails and rolls back', () => {
    const t = setup();
    t.raise('k');
    t.db.exec('ALTER TABLE alarm_events RENAME TO alarm_events_away');
    expect(() => t.raise('new-key')).toThrow();
    expect(() => t.raise('k')).toThrow();
    t.db.exec('ALTER TABLE alarm_events_away RENAME TO alarm_events');
    t.raise('new-key');
    t.raise('k');
    expect(Object.fromEntries(t.list().map((a) => [a.reductionKey, a.count]))).toEqual({ k: 2, 'new-key': 1 });
  });

  it('pushes the newest state of a busy alarm once per interval instead of once per event', async () => {
    const t = setup({}, 20);
    for (let i = 0; i < 10; i++) t.raise('storm');
    expect(t.changes).toHaveLength(0);
    for (let i = 0; i < 3000 && t.changes.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(t.changes.map((a) => a.count)).toEqual([10]);
    t.svc.close();
  });

  it('pushes a storm of raised alarms a slice per turn: every alarm once, in the order raised, with its newest state', async () => {
    const t = setup({}, 20);
    const n = CHANGE_SLICE * 2 + 7;
    const keys = Array.from({ length: n }, (_, i) => `nodeDown:${i}`);
    const batch = (ks: string[]) =>
      t.svc.applyBatch(ks.map((k) => ({ event: t.store({ severity: 'critical' }), decision: { disposition: 'alarm' as const, ruleId: 1, reductionKey: k, clearKey: null, notify: null } })));
    batch(keys);
    // Turn by turn (not by timer: a timer's turn would also run the next slice's setImmediate).
    for (let i = 0; i < 1_000_000 && t.changes.length === 0; i++) await new Promise((r) => setImmediate(r));
    // The timer's push is one slice; the rest follow on the next turns.
    expect(t.changes).toHaveLength(CHANGE_SLICE);
    // Changed again: one already pushed (pushed again, newer, after the next interval), one still waiting (pushed once, newest).
    batch([keys[0]!, keys.at(-1)!]);
    for (let i = 0; i < 3000 && t.changes.length < n + 1; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    // Each alarm first pushed in the order raised (a slice is pushed in id order, as a whole push was).
    const pushed = t.changes.map((a) => a.reductionKey);
    expect(pushed.filter((k, i) => pushed.indexOf(k) === i)).toEqual(keys);
    expect(t.changes).toHaveLength(n + 1);
    expect(t.changes.filter((a) => a.reductionKey === keys[0]).map((a) => a.count)).toEqual([1, 2]);
    expect(t.changes.filter((a) => a.reductionKey === keys.at(-1)).map((a) => a.count)).toEqual([2]);
    t.svc.close();
  });

  it('close() during a sliced push publishes everything still pending', async () => {
    const t = setup({}, 20);
    const n = CHANGE_SLICE * 3;
    t.svc.applyBatch(
      Array.from({ length: n }, (_, i) => ({ event: t.store({ severity: 'critical' }), decision: { disposition: 'alarm' as const, ruleId: 1, reductionKey: `k${i}`, clearKey: null, notify: null } })),
    );
    for (let i = 0; i < 1_000_000 && t.changes.length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(t.changes).toHaveLength(CHANGE_SLICE);
    t.svc.close();
    expect(t.changes).toHaveLength(n);
    expect(new Set(t.changes.map((a) => a.id)).size).toBe(n);
    await new Promise((r) => setTimeout(r, 50));
    expect(t.changes).toHaveLength(n);
  });

  it('archives cleared alarms after the configured time', () => {
    const t = setup({ archiveAfterMs: 60_000 });
    t.raise('k');
    t.clear('k');
    t.tick(61_000);
    t.svc.sweep();
    expect(t.repo.list({ state: 'cleared', limit: 10 }).items).toHaveLength(0);
    expect(t.repo.list({ state: 'archived', limit: 10 }).items).toHaveLength(1);
  });
});

describe('flap control', () => {
  it('marks an alarm flapping after more than N state changes in T, holds notifications, and catches up once it settles', () => {
    const t = setup({ flapCount: 3, flapWindowMs: 60_000, flapSettleMs: 120_000 });
    t.raise('k');
    t.tick(1000);
    t.clear('k');
    t.tick(1000);
    t.raise('k');
    t.tick(1000);
    t.clear('k'); // 4th change -> flapping
    t.tick(1000);
    t.raise('k');
    const a = t.list()[0]!;
    expect(a.flapping).toBe(true);
    expect(t.sent.map((s) => s.kind)).toEqual(['raise', 'clear', 'raise']);
    expect(t.svc.stats.notifications_held).toBe(2);
    t.tick(60_000);
    t.svc.sweep();
    expect(t.list()[0]!.flapping).toBe(true);
    t.tick(61_000);
    t.svc.sweep();
    expect(t.list()[0]!.flapping).toBe(false);
    // The last notification sent was a raise and it is still raised: nothing to catch up.
    expect(t.sent).toHaveLength(3);
    t.svc.clear(a.id, 'ops');
    expect(t.sent.at(-1)!.kind).toBe('clear');
  });
});

describe('maintenance', () => {
  it('marks alarms of a device in a maintenance window and sends no notifications', () => {
    const t = setup();
    t.db.prepare("INSERT INTO devices (id, name, address, created_at, updated_at) VALUES (7, 'core1', '192.0.2.1', 0, 0)").run();
    const start = 1_700_000_000_000 - 60_000;
    t.maint.create({ name: 'upgrade', deviceId: 7, group: null, kind: 'once', startsAt: start, endsAt: start + 3_600_000, days: [], startTime: null, durationMin: null, timezone: 'UTC', createdBy: 'ops' });
    t.index.reload();
    t.raise('k', { deviceId: 7 });
    t.raise('other', { deviceId: 8 });
    const byKey = Object.fromEntries(t.list().map((a) => [a.reductionKey, a]));
    expect(byKey.k!.inMaintenance).toBe(true);
    expect(byKey.other!.inMaintenance).toBe(false);
    expect(t.sent.map((s) => s.alarm.reductionKey)).toEqual(['other']);
    t.tick(3_600_000);
    t.svc.sweep();
    expect(t.list().find((a) => a.reductionKey === 'k')!.inMaintenance).toBe(false);
    // The window is over and the problem remains: the held notification goes out now, once.
    expect(t.sent.map((s) => `${s.kind}:${s.alarm.reductionKey}`)).toEqual(['raise:other', 'raise:k']);
    t.svc.sweep();
    expect(t.sent).toHaveLength(2);
  });
});
