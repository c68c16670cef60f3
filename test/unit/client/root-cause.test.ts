import { describe, expect, it } from 'vitest';
import type { AlarmDto } from '../../../server/contracts/alarms.js';
import type { RootCauseAlarmFields } from '../../../server/contracts/root-cause.js';
import { groupByCause, nodeLabel, nodeRcClasses, unreachableLabel } from '../../../client/src/lib/root-cause.js';

type A = AlarmDto & Partial<RootCauseAlarmFields>;
const alarm = (id: number, over: Partial<A> = {}): A => ({
  id, reductionKey: `k${id}`, state: 'active', severity: 'critical', title: `a${id}`, message: '', deviceId: id, sourceAddress: null, source: 'icmp', eventType: 'icmp.down',
  ruleId: null, firstSeen: 1, lastSeen: 100 + id, count: 1, acknowledgedBy: null, acknowledgedAt: null, clearedAt: null, clearedBy: null, inMaintenance: false, flapping: false,
  archived: false, notes: [], ...over,
});

describe('root-cause grouping of the alarms page', () => {
  it('puts suppressed alarms under their cause and counts the impacted devices', () => {
    const cause = alarm(1, { suppressed: false, rootAlarmId: null, impactCount: 3 });
    const kids = [2, 3, 4].map((id) => alarm(id, { suppressed: true, rootAlarmId: 1 }));
    const other = alarm(9, { severity: 'minor' });
    const groups = groupByCause([kids[0]!, other, cause, kids[2]!, kids[1]!]);
    expect(groups.map((g) => g.alarm.id)).toEqual([1, 9]);
    expect(groups[0]!.suppressed.map((a) => a.id)).toEqual([4, 3, 2]);
    expect(groups[0]!.count).toBe(3);
    expect(groups[1]).toMatchObject({ suppressed: [], count: 0 });
  });

  it('keeps a suppressed alarm at the top level when its cause is not in the list (nothing is hidden)', () => {
    const groups = groupByCause([alarm(5, { suppressed: true, rootAlarmId: 77 })]);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.alarm.id).toBe(5);
  });

  it("shows the server's impactCount when it knows more devices than the alarms loaded here", () => {
    const groups = groupByCause([alarm(1, { impactCount: 5000 }), alarm(2, { suppressed: true, rootAlarmId: 1 })]);
    expect(groups[0]!.count).toBe(5000);
    expect(groups[0]!.suppressed).toHaveLength(1);
  });

  it('reads alarms from a server without root-cause fields as a flat list', () => {
    expect(groupByCause([alarm(1), alarm(2)]).every((g) => g.suppressed.length === 0)).toBe(true);
  });
});

describe('root-cause device state and map styling', () => {
  const names = new Map([[7, 'dist-1']]);
  it('says unreachable behind the cause by name, not down', () => {
    expect(unreachableLabel({ icmpState: 'down', snmpState: 'down', reachability: 'unreachable', causeDeviceId: 7 }, (id) => names.get(id))).toBe('unreachable (behind dist-1)');
    expect(unreachableLabel({ icmpState: 'down', snmpState: 'down', reachability: 'unreachable', causeDeviceId: 8 }, (id) => names.get(id))).toBe('unreachable (behind #8)');
    expect(unreachableLabel({ icmpState: 'down', snmpState: 'down', reachability: 'down', causeDeviceId: null }, (id) => names.get(id))).toBeNull();
    expect(unreachableLabel({ icmpState: 'down', snmpState: 'down' }, (id) => names.get(id))).toBeNull();
  });
  it('gives cause, unreachable and suppressed nodes their own classes and a count in the label', () => {
    expect(nodeRcClasses({ rootCause: true, reachability: 'down', suppressedAlarms: 10 })).toBe('rc-cause rc-suppressed');
    expect(nodeRcClasses({ reachability: 'unreachable', suppressedAlarms: 1 })).toBe('rc-unreachable rc-suppressed');
    expect(nodeRcClasses({ reachability: 'up' })).toBe('');
    expect(nodeLabel({ label: 'dist', rootCause: true })).toBe('⚠ dist (root cause)');
    expect(nodeLabel({ label: 'dist', rootCause: true, suppressedAlarms: 2 })).toBe('⚠ dist (root cause) [2 suppressed]');
    expect(nodeLabel({ label: 'acc', suppressedAlarms: 1 })).toBe('acc [1 suppressed]');
    expect(nodeLabel({ label: 'x' })).toBe('x');
  });
});
