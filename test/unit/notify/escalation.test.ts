import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmDto, AlarmNotificationPayload, ChannelType } from '../../../server/contracts/alarms.js';
import type { EscalationPolicyBody } from '../../../server/contracts/escalation.js';
import { EscalationService, HELD_RECHECK_MS } from '../../../server/notify/escalation.js';
import { EscalationRepository } from '../../../server/store/escalation.repository.js';
import type { Db } from '../../../server/store/database.js';
import { tempDb } from '../events/engine/helpers.js';

const MIN = 60_000;
const T0 = 1_700_000_000_000;

interface Sent {
  channelId: number;
  kind: AlarmNotificationPayload['kind'];
  alarmId: number;
  step?: number;
  repeat?: number;
  at: number;
}

function alarm(id: number, over: Partial<AlarmDto> = {}): AlarmDto {
  return {
    id, reductionKey: `k${id}`, state: 'active', severity: 'major', title: `alarm ${id}`, message: 'm', deviceId: 1, sourceAddress: '192.0.2.1', source: 'trap', eventType: 't',
    ruleId: 7, firstSeen: T0, lastSeen: T0, count: 1, acknowledgedBy: null, acknowledgedAt: null, clearedAt: null, clearedBy: null, inMaintenance: false, flapping: false, archived: false, notes: [],
    ...over,
  };
}

const policy = (over: Partial<EscalationPolicyBody> = {}): EscalationPolicyBody => ({
  name: 'p', enabled: true, position: 0, steps: [{ waitMinutes: 5, channelIds: [1] }, { waitMinutes: 10, channelIds: [2] }], repeatMinutes: 15, assignments: [{ kind: 'severity', value: 'warning' }], ...over,
});

let t: ReturnType<typeof tempDb>;
let db: Db;
let repo: EscalationRepository;
let now: number;
let alarms: Map<number, AlarmDto>;
let sent: Sent[];
const types = new Map<number, ChannelType>([[1, 'webhook'], [2, 'pagerduty'], [3, 'slack'], [4, 'opsgenie']]);
let ruleChannels: number[];

function service(): EscalationService {
  return new EscalationService({
    repo,
    clock: () => now,
    alarm: (id) => alarms.get(id),
    device: () => ({ group: 'core', site: 'east' }),
    channelType: (id) => types.get(id),
    ruleChannels: () => ruleChannels,
    send: (channelId, kind, a, esc) => sent.push({ channelId, kind, alarmId: a.id, step: esc?.step, repeat: esc?.repeat, at: now }),
  });
}

beforeEach(() => {
  t = tempDb();
  db = t.db;
  repo = new EscalationRepository(db);
  now = T0;
  alarms = new Map();
  sent = [];
  ruleChannels = [];
});
afterEach(() => t.cleanup());

function raise(svc: EscalationService, a: AlarmDto): void {
  alarms.set(a.id, a);
  svc.onAlarmChanged(a);
}

function at(svc: EscalationService, minutes: number): Sent[] {
  now = T0 + minutes * MIN;
  const before = sent.length;
  svc.tick();
  return sent.slice(before);
}

describe('escalation timing (fake clock)', () => {
  it('runs each step after its wait, then repeats the last step every repeatMinutes', () => {
    repo.create(policy());
    const svc = service();
    raise(svc, alarm(1));
    expect(at(svc, 4.99)).toEqual([]);
    expect(at(svc, 5)).toMatchObject([{ channelId: 1, kind: 'escalate', step: 0, repeat: 0 }]);
    expect(at(svc, 14.99)).toEqual([]);
    expect(at(svc, 15)).toMatchObject([{ channelId: 2, kind: 'escalate', step: 1, repeat: 0 }]);
    expect(at(svc, 29.99)).toEqual([]);
    expect(at(svc, 30)).toMatchObject([{ channelId: 2, step: 1, repeat: 1 }]);
    expect(at(svc, 45)).toMatchObject([{ channelId: 2, step: 1, repeat: 2 }]);
    expect(svc.state(1)).toMatchObject({ nextStep: 2, repeats: 2, nextDueAt: T0 + 60 * MIN, notified: [1, 2] });
  });

  it('without repeatMinutes it ends after the last step', () => {
    repo.create(policy({ repeatMinutes: null }));
    const svc = service();
    raise(svc, alarm(1));
    at(svc, 5);
    at(svc, 15);
    expect(at(svc, 500)).toEqual([]);
    expect(svc.state(1)?.nextDueAt).toBeNull();
  });

  it('a step with no wait notifies as soon as the alarm is raised', () => {
    repo.create(policy({ steps: [{ waitMinutes: 0, channelIds: [3] }] }));
    const svc = service();
    raise(svc, alarm(1));
    expect(sent).toMatchObject([{ channelId: 3, step: 0, at: T0 }]);
  });

  it('stops on acknowledge: no further steps, and PagerDuty/Opsgenie channels (rule or escalation) get an ack notice', () => {
    repo.create(policy());
    ruleChannels = [4, 3];
    const svc = service();
    raise(svc, alarm(1));
    at(svc, 5);
    at(svc, 15);
    now = T0 + 16 * MIN;
    const acked = alarm(1, { state: 'acknowledged', acknowledgedBy: 'link' });
    alarms.set(1, acked);
    svc.onAlarmChanged(acked); // the push may come first: the ack notices still reach every channel
    svc.acknowledged(acked);
    const notices = sent.filter((s) => s.kind === 'ack').map((s) => s.channelId).sort();
    expect(notices).toEqual([2, 4]); // pagerduty (escalation) and opsgenie (rule); not the webhook or slack
    expect(at(svc, 100)).toEqual([]);
    expect(repo.state(1)).toBeUndefined();
  });

  it('stops on clear and resolves the stateful channels only the escalation notified', () => {
    repo.create(policy());
    const svc = service();
    raise(svc, alarm(1));
    at(svc, 5);
    at(svc, 15);
    const cleared = alarm(1, { state: 'cleared' });
    alarms.set(1, cleared);
    svc.onAlarmChanged(cleared);
    expect(sent.filter((s) => s.kind === 'clear')).toMatchObject([{ channelId: 2 }]);
    expect(at(svc, 100)).toEqual([]);
  });

  it('an alarm acknowledged while nobody told the service stops at the next due step', () => {
    repo.create(policy());
    const svc = service();
    raise(svc, alarm(1));
    alarms.set(1, alarm(1, { state: 'acknowledged' }));
    expect(at(svc, 5)).toEqual([]);
    expect(svc.state(1)).toBeUndefined();
  });

  it('survives a restart: the stored position carries on, an overdue step runs once', () => {
    repo.create(policy());
    const first = service();
    raise(first, alarm(1));
    at(first, 5);
    // "Restart": a new service over the same database; down from minute 6 to minute 50.
    const second = service();
    expect(second.state(1)).toMatchObject({ nextStep: 1, nextDueAt: T0 + 15 * MIN });
    expect(at(second, 50)).toMatchObject([{ channelId: 2, step: 1, repeat: 0 }]);
    expect(at(second, 64.99)).toEqual([]);
    expect(at(second, 65)).toMatchObject([{ channelId: 2, repeat: 1 }]);
  });

  it('holds steps while the alarm is in maintenance, flapping or suppressed', () => {
    repo.create(policy());
    const svc = service();
    raise(svc, alarm(1));
    alarms.set(1, alarm(1, { inMaintenance: true }));
    expect(at(svc, 5)).toEqual([]);
    expect(svc.state(1)?.nextDueAt).toBe(T0 + 5 * MIN + HELD_RECHECK_MS);
    alarms.set(1, { ...alarm(1), suppressed: true } as AlarmDto);
    expect(at(svc, 6)).toEqual([]);
    alarms.set(1, alarm(1));
    expect(at(svc, 7)).toMatchObject([{ channelId: 1, step: 0 }]);
  });

  it('a policy deleted while an alarm escalates ends that escalation', () => {
    const p = repo.create(policy());
    const svc = service();
    raise(svc, alarm(1));
    repo.delete(p.id);
    svc.reload();
    expect(at(svc, 5)).toEqual([]);
    expect(svc.state(1)).toBeUndefined();
  });
});

describe('policy assignment', () => {
  it('first match wins in the order rule, device group, site, severity; list order within a kind', () => {
    const sevP = repo.create(policy({ name: 'sev', position: 0, assignments: [{ kind: 'severity', value: 'critical' }, { kind: 'severity', value: 'minor' }] }));
    const siteP = repo.create(policy({ name: 'site', position: 1, assignments: [{ kind: 'site', value: 'east' }] }));
    const groupP = repo.create(policy({ name: 'group', position: 2, assignments: [{ kind: 'group', value: 'core' }] }));
    const ruleP = repo.create(policy({ name: 'rule', position: 3, assignments: [{ kind: 'rule', value: '7' }] }));
    const ruleP2 = repo.create(policy({ name: 'rule2', position: 4, assignments: [{ kind: 'rule', value: '7' }] }));
    const svc = service();
    expect(svc.match(alarm(1))?.id).toBe(ruleP.id);
    repo.delete(ruleP.id);
    svc.reload();
    expect(svc.match(alarm(1))?.id).toBe(ruleP2.id);
    repo.delete(ruleP2.id);
    svc.reload();
    expect(svc.match(alarm(1))?.id).toBe(groupP.id);
    repo.delete(groupP.id);
    svc.reload();
    expect(svc.match(alarm(1))?.id).toBe(siteP.id);
    repo.delete(siteP.id);
    svc.reload();
    expect(svc.match(alarm(1, { severity: 'major' }))?.id).toBe(sevP.id);
    expect(svc.match(alarm(1, { severity: 'warning' }))).toBeUndefined();
  });

  it('a disabled policy matches nothing; an alarm with no policy does not escalate', () => {
    repo.create(policy({ enabled: false }));
    const svc = service();
    raise(svc, alarm(1));
    expect(svc.active).toBe(0);
  });
});
