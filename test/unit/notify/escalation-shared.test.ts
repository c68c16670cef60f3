import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmDto, ChannelType } from '../../../server/contracts/alarms.js';
import { EscalationService } from '../../../server/notify/escalation.js';
import { EscalationRepository } from '../../../server/store/escalation.repository.js';
import { tempDb } from '../events/engine/helpers.js';

const MIN = 60_000;
const T0 = 1_700_000_000_000;

/**
 * Several central nodes: the alarm is raised on node B (which stores its escalation position), the
 * escalation ticks run on node A (the `alarm-escalation` singleton). Both services share one store.
 */
describe('escalation with positions shared through the store (several central nodes)', () => {
  let t: ReturnType<typeof tempDb>;
  let repo: EscalationRepository;
  let now: number;
  const alarms = new Map<number, AlarmDto>();
  let sent: { node: string; channelId: number; kind: string; step?: number }[];
  const types = new Map<number, ChannelType>([[1, 'webhook'], [2, 'pagerduty']]);
  beforeEach(() => {
    t = tempDb();
    repo = new EscalationRepository(t.db);
    now = T0;
    sent = [];
    alarms.clear();
  });
  afterEach(() => t.cleanup());

  const node = (name: string, sharedStates: boolean) =>
    new EscalationService({
      repo, clock: () => now, alarm: (id) => alarms.get(id), device: () => ({ group: null, site: null }), channelType: (id) => types.get(id), ruleChannels: () => [], sharedStates,
      send: (channelId, kind, _a, esc) => sent.push({ node: name, channelId, kind, step: esc?.step }),
    });
  const alarm = (over: Partial<AlarmDto> = {}): AlarmDto => ({
    id: 1, reductionKey: 'k1', state: 'active', severity: 'major', title: 'a', message: 'm', deviceId: 1, sourceAddress: '192.0.2.1', source: 'trap', eventType: 't',
    ruleId: 7, firstSeen: T0, lastSeen: T0, count: 1, acknowledgedBy: null, acknowledgedAt: null, clearedAt: null, clearedBy: null, inMaintenance: false, flapping: false, archived: false, notes: [], ...over,
  });
  const setup = (sharedStates: boolean) => {
    repo.create({ name: 'p', enabled: true, position: 0, steps: [{ waitMinutes: 5, channelIds: [1] }, { waitMinutes: 10, channelIds: [2] }], repeatMinutes: 0, assignments: [{ kind: 'severity', value: 'warning' }] });
    const a = node('A', sharedStates);
    const b = node('B', sharedStates);
    alarms.set(1, alarm());
    b.onAlarmChanged(alarm());
    return { a, b };
  };

  it('the ticking node runs the steps of an alarm raised on another node, and a clear there stops them', () => {
    const { a, b } = setup(true);
    now = T0 + 5 * MIN;
    a.tick();
    expect(sent).toEqual([{ node: 'A', channelId: 1, kind: 'escalate', step: 0 }]);
    // Cleared on B, whose copy of the position is from before A's step: B reads the stored one and stops it.
    alarms.set(1, alarm({ state: 'cleared' }));
    b.onAlarmChanged(alarm({ state: 'cleared' }));
    expect(repo.states()).toEqual([]);
    now = T0 + 15 * MIN;
    a.tick();
    expect(sent.filter((s) => s.kind === 'escalate')).toHaveLength(1);
  });

  it('without shared states (one process) the ticking node knows only its own alarms', () => {
    const { a } = setup(false);
    now = T0 + 5 * MIN;
    a.tick();
    expect(sent).toEqual([]);
  });
});
