import { describe, expect, it } from 'vitest';
import type { AlarmDto } from '../../../server/contracts/alarms.js';
import type { RmonHistorySample } from '../../../server/contracts/rmon.js';
import { historySeries, openRmonAlarms, rmonAlarmIndex, variableLabel } from '../../../client/src/lib/rmon.js';

const alarm = (id: number, reductionKey: string, over: Partial<AlarmDto> = {}) => ({ id, reductionKey, state: 'active', archived: false, lastSeen: id, ...over }) as AlarmDto;
const sample = (i: number, over: Partial<RmonHistorySample> = {}): RmonHistorySample => ({
  sampleIndex: i, intervalStart: i * 3000, intervalStartAt: 1_000_000 + i * 30_000, dropEvents: 0, octets: 1, pkts: 1, broadcastPkts: 0, multicastPkts: 0,
  crcAlignErrors: 1, undersizePkts: 2, oversizePkts: 0, fragments: 0, jabbers: 1, collisions: i, utilisation: i * 1.5, ...over,
});

describe('RMON card helpers', () => {
  it('finds the open RMON alarms of one device by reduction key, newest first', () => {
    const list = [
      alarm(1, 'rmonAlarm:7:1'),
      alarm(2, 'rmonAlarm:7:2', { state: 'cleared' }),
      alarm(3, 'rmonAlarm:8:1'),
      alarm(4, 'linkDown:7:1'),
      alarm(5, 'rmonAlarm:7:x'),
      alarm(6, 'rmonAlarm:7:12'),
      alarm(7, 'rmonAlarm:7:3', { archived: true }),
    ];
    expect(openRmonAlarms(list, 7).map((a) => a.id)).toEqual([6, 1]);
    expect(rmonAlarmIndex(alarm(1, 'rmonAlarm:7:12'), 7)).toBe(12);
    expect(rmonAlarmIndex(alarm(1, 'rmonAlarm:77:12'), 7)).toBeNull();
  });

  it('charts utilisation, errors and collisions on the wall clock, skipping samples without a start', () => {
    const s = historySeries([sample(2), sample(1), sample(3, { intervalStartAt: null }), sample(4, { crcAlignErrors: null, undersizePkts: null, oversizePkts: null, fragments: null, jabbers: null, utilisation: null })]);
    expect(s.utilisation[0]!.points).toEqual([{ ts: 1_030_000, value: 1.5 }, { ts: 1_060_000, value: 3 }]);
    expect(s.errors[0]!.points.map((p) => p.value)).toEqual([4, 4]);
    expect(s.errors[1]!.points.map((p) => p.value)).toEqual([1, 2, 4]);
    expect(variableLabel(null, '1.3.6')).toBe('1.3.6');
    expect(variableLabel('ifInOctets.1', '1.3.6')).toBe('ifInOctets.1');
  });
});
