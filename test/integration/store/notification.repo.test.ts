import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmNotificationPayload } from '../../../server/contracts/alarms.js';
import type { EscalationPolicyBody } from '../../../server/contracts/escalation.js';
import type { Db } from '../../../server/store/database.js';
import { EscalationRepository } from '../../../server/store/escalation.repository.js';
import { NotificationHeldRepository } from '../../../server/store/notification-held.repository.js';
import { NotificationRepository } from '../../../server/store/notification.repository.js';
import { SecretUnreadableError } from '../../../server/store/secret-box.js';
import { testSecretBox } from '../../helpers/secrets.js';
import { openTestDb, STORE_ENGINES } from '../../helpers/store-engines.js';

const T0 = 1_700_000_000_000;

const payload = (alarmId: number, title = 'Link down'): AlarmNotificationPayload =>
  ({
    kind: 'raise',
    alarm: { id: alarmId, reductionKey: `k${alarmId}`, state: 'active', severity: 'major', title, message: 'm', deviceId: null, sourceAddress: null, count: 1, firstSeen: T0, lastSeen: T0, deviceName: null },
  }) as AlarmNotificationPayload;

const policy = (name: string, over: Partial<EscalationPolicyBody> = {}): EscalationPolicyBody => ({
  name,
  enabled: true,
  position: 0,
  steps: [{ waitMinutes: 0, channelIds: [1] }, { waitMinutes: 15, channelIds: [2, 3] }],
  repeatMinutes: 60,
  assignments: [{ kind: 'severity', value: 'critical' }],
  ...over,
} as EscalationPolicyBody);

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe.each(STORE_ENGINES)('notification channels, held notifications and escalation on %s', (engine) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDb(engine);
  }, 60_000);
  afterEach(() => db.close());

  it('creates channels with sealed settings, lists them by name case-insensitively, and hides secrets from DTOs', () => {
    const secrets = testSecretBox();
    const repo = new NotificationRepository(db, secrets);
    const hook = repo.create({ name: 'ops-hook', type: 'webhook', enabled: true, config: { url: 'https://hooks.example/x', secret: 's3cret-value', headers: { 'X-Token': 'tok' } } }, T0);
    expect(hook).toMatchObject({ name: 'ops-hook', type: 'webhook', enabled: true, sentCount: 0, failedCount: 0, lastSuccessAt: null, lastError: null, createdAt: T0, updatedAt: T0, delivery: {} });
    expect(hook.config).toEqual({ url: 'https://hooks.example/x', secretSet: true, headerNames: ['X-Token'] });
    // Stored sealed: the secret is not in the row.
    const raw = db.prepare('SELECT config FROM notification_channels WHERE id = ?').pluck().get(hook.id) as string;
    expect(raw).not.toContain('s3cret-value');
    expect(repo.record(hook.id)).toEqual({ id: hook.id, name: 'ops-hook', type: 'webhook', enabled: true, config: { url: 'https://hooks.example/x', secret: 's3cret-value', headers: { 'X-Token': 'tok' } } });
    repo.create({ name: 'Beta', type: 'slack', enabled: false, config: { url: 'https://hooks.slack.example/y' }, delivery: { digest: { enabled: true, threshold: 5, windowSeconds: 60 } } as never }, T0);
    repo.create({ name: 'alpha', type: 'slack', enabled: true, config: { url: 'https://hooks.slack.example/z' } }, T0);
    repo.create({ name: 'Zulu', type: 'slack', enabled: true, config: { url: 'https://hooks.slack.example/w' } }, T0);
    repo.create({ name: '_under', type: 'slack', enabled: true, config: { url: 'https://hooks.slack.example/u' } }, T0);
    // SQLite's NOCASE order: ASCII folded to lower case, then bytes ('_' 0x5F sorts before letters once folded).
    expect(repo.list().map((c) => c.name)).toEqual(['_under', 'alpha', 'Beta', 'ops-hook', 'Zulu']);
    expect(repo.dto(999_999)).toBeUndefined();
    expect(repo.record(999_999)).toBeUndefined();
  });

  it('refuses a second channel whose name differs only in ASCII case with SQLITE_CONSTRAINT_UNIQUE (the routes answer 409)', () => {
    const repo = new NotificationRepository(db, testSecretBox());
    const a = repo.create({ name: 'Pager', type: 'slack', enabled: true, config: { url: 'https://a.example/' } });
    expect(codeOf(() => repo.create({ name: 'PAGER', type: 'slack', enabled: true, config: { url: 'https://b.example/' } }))).toBe('SQLITE_CONSTRAINT_UNIQUE');
    const b = repo.create({ name: 'other', type: 'slack', enabled: true, config: { url: 'https://b.example/' } });
    expect(codeOf(() => repo.update(b.id, { name: 'pager', enabled: true, config: { url: 'https://b.example/' } }))).toBe('SQLITE_CONSTRAINT_UNIQUE');
    // Non-ASCII case: SQLite's NOCASE folds ASCII only, so these are two names there; citext folds
    // with the database's locale (C.UTF-8 here), so PostgreSQL refuses the second (docs/POSTGRES.md).
    repo.create({ name: '\u00c9quipe', type: 'slack', enabled: true, config: { url: 'https://c.example/' } });
    const second = () => repo.create({ name: '\u00e9quipe', type: 'slack', enabled: true, config: { url: 'https://c.example/' } });
    if (engine === 'postgres') {
      expect(codeOf(second)).toBe('SQLITE_CONSTRAINT_UNIQUE');
      expect(repo.list().map((c) => c.name)).toEqual(['other', 'Pager', '\u00c9quipe']);
    } else {
      second();
      expect(repo.list().map((c) => c.name)).toEqual(['other', 'Pager', '\u00c9quipe', '\u00e9quipe']);
    }
    expect(repo.dto(a.id)?.name).toBe('Pager');
  });

  it('updates settings and delivery, keeps delivery when omitted, counts outcomes, deletes', () => {
    const repo = new NotificationRepository(db, testSecretBox());
    const c = repo.create({ name: 'hook', type: 'webhook', enabled: true, config: { url: 'https://a.example/' }, delivery: { digest: { enabled: true, threshold: 3, windowSeconds: 30 } } as never }, T0);
    expect(repo.delivery(c.id)).toEqual({ type: 'webhook', delivery: { digest: { enabled: true, threshold: 3, windowSeconds: 30 } } });
    const u = repo.update(c.id, { name: 'hook2', enabled: false, config: { url: 'https://b.example/' } }, T0 + 1)!;
    expect(u).toMatchObject({ name: 'hook2', enabled: false, config: { url: 'https://b.example/', secretSet: false, headerNames: [] }, updatedAt: T0 + 1, createdAt: T0 });
    expect(u.delivery).toEqual({ digest: { enabled: true, threshold: 3, windowSeconds: 30 } });
    repo.update(c.id, { name: 'hook2', enabled: true, config: { url: 'https://b.example/' }, delivery: {} }, T0 + 2);
    expect(repo.delivery(c.id)?.delivery).toEqual({});
    expect(repo.update(999_999, { name: 'x', enabled: true, config: {} })).toBeUndefined();
    expect(repo.delivery(999_999)).toBeUndefined();
    repo.recordSuccess(c.id, T0 + 10);
    repo.recordSuccess(c.id, T0 + 11);
    repo.recordAttemptError(c.id, 'HTTP 502', T0 + 12);
    expect(repo.dto(c.id)).toMatchObject({ sentCount: 2, failedCount: 0, lastSuccessAt: T0 + 11, lastError: 'HTTP 502', lastErrorAt: T0 + 12 });
    repo.recordFailure(c.id, `E${'x'.repeat(5_000)}`, T0 + 13);
    const failed = repo.dto(c.id)!;
    expect(failed).toMatchObject({ failedCount: 1, lastErrorAt: T0 + 13 });
    expect(failed.lastError).toHaveLength(1000);
    // A hostile error text from a remote server: quotes, unicode; NUL becomes U+FFFD on PostgreSQL only.
    repo.recordFailure(c.id, `'"; --\u{1F525}\u0000end`, T0 + 14);
    expect(repo.dto(c.id)!.lastError).toBe(engine === 'postgres' ? `'"; --\u{1F525}\uFFFDend` : `'"; --\u{1F525}\u0000end`);
    expect(repo.delete(c.id)).toBe(true);
    expect(repo.delete(c.id)).toBe(false);
    expect(repo.list()).toEqual([]);
  });

  it('lists a channel whose settings cannot be decrypted (another key) with an error, and record() throws', () => {
    const c = new NotificationRepository(db, testSecretBox()).create({ name: 'lost', type: 'slack', enabled: true, config: { url: 'https://a.example/' } });
    const other = new NotificationRepository(db, testSecretBox());
    expect(other.list()).toEqual([expect.objectContaining({ id: c.id, config: {}, lastError: expect.stringContaining('cannot be decrypted') })]);
    expect(() => other.record(c.id)).toThrow(SecretUnreadableError);
  });

  it('holds notifications per channel, oldest first, drops them with the channel or on removal, and skips unreadable rows', () => {
    const channels = new NotificationRepository(db, testSecretBox());
    const a = channels.create({ name: 'a', type: 'slack', enabled: true, config: { url: 'https://a.example/' } }).id;
    const b = channels.create({ name: 'b', type: 'slack', enabled: true, config: { url: 'https://b.example/' } }).id;
    const held = new NotificationHeldRepository(db);
    expect(held.all().size).toBe(0);
    held.add(a, payload(1), T0);
    held.add(b, payload(2, `__proto__ '"\u0000\u{1F525}`), T0 + 1);
    held.add(a, payload(3), T0 + 2);
    db.prepare('INSERT INTO notification_held (channel_id, payload, held_at) VALUES (?, ?, ?)').run(a, '{not json', T0 + 3);
    const all = held.all();
    expect([...all.keys()].sort((x, y) => x - y)).toEqual([a, b]);
    expect(all.get(a)!.map((p) => p.alarm.id)).toEqual([1, 3]);
    // JSON escapes NUL, so the payload comes back exactly, on both engines.
    expect(all.get(b)![0]!.alarm.title).toBe(`__proto__ '"\u0000\u{1F525}`);
    held.removeChannel(a);
    expect([...held.all().keys()]).toEqual([b]);
    channels.delete(b);
    expect(held.all().size).toBe(0);
    // A held row needs its channel (FOREIGN KEY), on both engines.
    expect(codeOf(() => held.add(999_999, payload(9), T0))).toMatch(/^SQLITE_CONSTRAINT/);
  });

  it('creates, orders, updates and deletes escalation policies (names unique regardless of ASCII case)', () => {
    const repo = new EscalationRepository(db);
    const p2 = repo.create(policy('Second', { position: 2 }), T0);
    const p1 = repo.create(policy('first', { position: 1, repeatMinutes: null, assignments: [] }), T0);
    const p2b = repo.create(policy('Second too', { position: 2 }), T0);
    expect(p2).toMatchObject({ name: 'Second', enabled: true, position: 2, repeatMinutes: 60, createdAt: T0, updatedAt: T0 });
    expect(p2.steps).toEqual(policy('x').steps);
    expect(p2.assignments).toEqual([{ kind: 'severity', value: 'critical' }]);
    expect(repo.list().map((p) => p.id)).toEqual([p1.id, p2.id, p2b.id]);
    expect(repo.get(p1.id)).toMatchObject({ repeatMinutes: null, assignments: [] });
    expect(codeOf(() => repo.create(policy('FIRST')))).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(codeOf(() => repo.update(p2.id, policy('first')))).toBe('SQLITE_CONSTRAINT_UNIQUE');
    const u = repo.update(p2.id, policy('renamed', { enabled: false, position: 0, steps: [{ waitMinutes: 5, channelIds: [9] }] }), T0 + 1)!;
    expect(u).toMatchObject({ id: p2.id, name: 'renamed', enabled: false, position: 0, updatedAt: T0 + 1 });
    expect(repo.list()[0]!.id).toBe(p2.id);
    expect(repo.update(999_999, policy('x'))).toBeUndefined();
    expect(repo.get(999_999)).toBeUndefined();
    const hostile = repo.create(policy(`__proto__ '"; --\u{1F525}`), T0);
    expect(repo.get(hostile.id)!.name).toBe(`__proto__ '"; --\u{1F525}`);
    expect(repo.delete(p1.id)).toBe(true);
    expect(repo.delete(p1.id)).toBe(false);
  });

  it('saves, replaces, lists and removes escalation state; deleting the policy ends its escalations', () => {
    const repo = new EscalationRepository(db);
    const p = repo.create(policy('p'), T0);
    const q = repo.create(policy('q'), T0);
    repo.saveState({ alarmId: 30, policyId: p.id, startedAt: T0, nextStep: 0, nextDueAt: T0, repeats: 0, notified: [] });
    repo.saveState({ alarmId: 10, policyId: q.id, startedAt: T0, nextStep: 1, nextDueAt: null, repeats: 2, notified: [1, 2] });
    repo.saveState({ alarmId: 30, policyId: p.id, startedAt: T0, nextStep: 1, nextDueAt: T0 + 900_000, repeats: 0, notified: [1] });
    expect(repo.states()).toEqual([
      { alarmId: 10, policyId: q.id, startedAt: T0, nextStep: 1, nextDueAt: null, repeats: 2, notified: [1, 2] },
      { alarmId: 30, policyId: p.id, startedAt: T0, nextStep: 1, nextDueAt: T0 + 900_000, repeats: 0, notified: [1] },
    ]);
    expect(repo.state(30)?.nextStep).toBe(1);
    expect(repo.state(99)).toBeUndefined();
    // notified is read defensively: anything but safe integers is dropped.
    db.prepare('UPDATE alarm_escalations SET notified = ? WHERE alarm_id = 10').run('[1, "x", 2.5, 3]');
    expect(repo.state(10)?.notified).toEqual([1, 3]);
    repo.removeState(30);
    expect(repo.states().map((s) => s.alarmId)).toEqual([10]);
    // A state needs its policy (FOREIGN KEY) and goes with it.
    expect(codeOf(() => repo.saveState({ alarmId: 40, policyId: 999_999, startedAt: T0, nextStep: 0, nextDueAt: null, repeats: 0, notified: [] }))).toMatch(/^SQLITE_CONSTRAINT/);
    repo.delete(q.id);
    expect(repo.states()).toEqual([]);
  });
});
