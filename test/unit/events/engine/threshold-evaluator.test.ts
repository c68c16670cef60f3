import { describe, expect, it } from 'vitest';
import type { RuleDto, ThresholdRuleBody } from '../../../../server/contracts/alarms.js';
import type { NormalizedEvent } from '../../../../server/contracts/events.js';
import { ThresholdEvaluator } from '../../../../server/events/engine/threshold-evaluator.js';

const device = { id: 7, name: 'core1', address: '192.0.2.1', group: 'core', tags: [] };

function setup(body: Omit<ThresholdRuleBody, 'kind'>) {
  const out: NormalizedEvent[] = [];
  const t = new ThresholdEvaluator((e) => out.push(e), (id) => (id === 7 ? device : undefined));
  const rule: RuleDto = { id: 5, name: 't', description: '', enabled: true, position: 1, builtinKey: null, body: { kind: 'threshold', ...body }, createdAt: 0, updatedAt: 0 };
  t.setRules([rule]);
  const feed = (values: number[], opts: { metric?: string; instance?: string; startTs?: number; stepSec?: number } = {}) =>
    values.forEach((value, i) =>
      t.evaluate([{ deviceId: 7, metric: opts.metric ?? 'cpuUtilisation', instance: opts.instance ?? '', value, ts: (opts.startTs ?? 1_800_000_000) + i * (opts.stepSec ?? 60) }]),
    );
  return { t, out, feed, types: () => out.map((e) => e.type) };
}

describe('threshold evaluator', () => {
  it('raises only after N consecutive polls over the threshold (CPU > 90 for 3 polls)', () => {
    const s = setup({ metrics: ['cpuUtilisation'], op: '>', value: 90, forPolls: 3, severity: 'major' });
    s.feed([95, 96, 50, 95, 96]);
    expect(s.out).toHaveLength(0);
    s.feed([97], { startTs: 1_800_000_300 });
    expect(s.types()).toEqual(['threshold.exceeded']);
    expect(s.out[0]).toMatchObject({ source: 'poll', deviceId: 7, severity: 'major', params: { ruleId: 5, metric: 'cpuUtilisation', value: 97, threshold: 90 } });
    expect(s.out[0]!.message).toBe('core1: cpuUtilisation 97 > 90');
    s.feed([98, 99], { startTs: 1_800_000_360 });
    expect(s.out).toHaveLength(1);
  });

  it('raises only after the value has been over for the whole duration (utilisation > 90 % for 5 min)', () => {
    const s = setup({ metrics: ['ifUtilisation'], instance: 'Gi0/*', op: '>', value: 90, forSec: 300, severity: 'minor' });
    s.feed([95, 95, 95, 95, 95], { metric: 'ifUtilisation', instance: 'Gi0/1' }); // 0..240 s
    expect(s.out).toHaveLength(0);
    s.feed([95], { metric: 'ifUtilisation', instance: 'Gi0/1', startTs: 1_800_000_300 });
    expect(s.types()).toEqual(['threshold.exceeded']);
    s.feed([99, 99, 99, 99, 99, 99, 99], { metric: 'ifUtilisation', instance: 'Te1/1' });
    expect(s.out).toHaveLength(1);
  });

  it('clears with hysteresis: only once the value is back past clearValue', () => {
    const s = setup({ metrics: ['icmpLoss'], op: '>', value: 20, clearValue: 5, severity: 'minor' });
    s.feed([50, 15, 10, 6], { metric: 'icmpLoss' });
    expect(s.types()).toEqual(['threshold.exceeded']);
    s.feed([5], { metric: 'icmpLoss' });
    expect(s.types()).toEqual(['threshold.exceeded', 'threshold.cleared']);
    expect(s.out[1]).toMatchObject({ severity: 'info', params: { metric: 'icmpLoss', value: 5 } });
  });

  it('clears what a removed rule had raised', () => {
    const s = setup({ metrics: ['cpuUtilisation'], op: '>', value: 90, severity: 'major' });
    s.feed([99]);
    s.t.setRules([]);
    expect(s.types()).toEqual(['threshold.exceeded', 'threshold.cleared']);
  });

  it('clears what it raised for a device the rule no longer names (a template that stopped applying), keeps the others', () => {
    const out: NormalizedEvent[] = [];
    const t = new ThresholdEvaluator((e) => out.push(e), (id) => (id === 7 ? device : undefined));
    const rule = (deviceIds: number[]): RuleDto => ({ id: -9, name: 't', description: '', enabled: true, position: 0, builtinKey: 'template:x', body: { kind: 'threshold', metrics: ['sensor.temperature'], deviceIds, op: '>', value: 75, severity: 'major' }, createdAt: 0, updatedAt: 0 });
    t.setRules([rule([7, 8])]);
    t.evaluate([7, 8].map((deviceId) => ({ deviceId, metric: 'sensor.temperature', instance: 'CPU|0', value: 80, ts: 1_800_000_000 })));
    expect(out.map((e) => [e.type, e.deviceId])).toEqual([['threshold.exceeded', 7], ['threshold.exceeded', 8]]);
    t.setRules([rule([8])]);
    expect(out.slice(2).map((e) => [e.type, e.deviceId, e.params])).toEqual([
      ['threshold.cleared', 7, expect.objectContaining({ ruleId: -9, metric: 'sensor.temperature', instance: 'CPU|0', title: 'threshold rule no longer applies to the device' })],
    ]);
  });

  it('clears what a vanished instance had raised, and forgets its pending state', () => {
    const s = setup({ metrics: ['sensor.temperature'], op: '>', value: 75, forPolls: 2, severity: 'major' });
    s.feed([80, 80], { metric: 'sensor.temperature', instance: 'CPU temp' });
    s.feed([80], { metric: 'sensor.temperature', instance: 'Inlet' });
    expect(s.types()).toEqual(['threshold.exceeded']);
    s.t.clearInstances(7, [{ instance: 'CPU temp', metrics: ['sensor.temperature', 'sensor.status'] }, { instance: 'Inlet', metrics: ['sensor.temperature'] }]);
    expect(s.types()).toEqual(['threshold.exceeded', 'threshold.cleared']);
    expect(s.out[1]).toMatchObject({ deviceId: 7, severity: 'info', message: 'core1: sensor.temperature CPU temp is gone from the device (cleared)', params: { metric: 'sensor.temperature', instance: 'CPU temp' } });
    // Inlet's one poll over was forgotten: one more poll over is not yet two.
    s.feed([80], { metric: 'sensor.temperature', instance: 'Inlet', startTs: 1_800_001_000 });
    expect(s.out).toHaveLength(2);
  });
});
