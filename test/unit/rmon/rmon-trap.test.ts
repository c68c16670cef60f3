import { describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import type { RuleDto } from '../../../server/contracts/alarms.js';
import { DEFAULT_RULES } from '../../../server/events/engine/default-rules.js';
import { RuleSet } from '../../../server/events/engine/rule-set.js';
import { enrichRmonTraps, parseRmonTrap, rmonTrapKind, severityFromDescription } from '../../../server/rmon/rmon-trap.js';

const A = '1.3.6.1.2.1.16.3.1.1';
const RISING = '1.3.6.1.2.1.16.0.1';
const FALLING = '1.3.6.1.2.1.16.0.2';

function rmonTrap(kind: 'rising' | 'falling', varbinds: unknown[], deviceId: number | null = 7): NormalizedEvent {
  const trapOid = kind === 'rising' ? RISING : FALLING;
  return {
    receivedAt: 1, reportedAt: null, source: 'trap', sourceAddress: '192.0.2.1', deviceId, severity: 'info', type: trapOid, message: 'm',
    params: { trapOid, varbinds: [{ oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: 5 }, { oid: '1.3.6.1.6.3.1.1.4.1.0', type: 'OID', value: trapOid }, ...varbinds] },
  };
}
const standard = (kind: 'rising' | 'falling', index: number, value = 1500) => [
  { oid: `${A}.1.${index}`, type: 'Integer', value: index },
  { oid: `${A}.3.${index}`, type: 'OID', value: '1.3.6.1.2.1.16.1.1.1.8.1' },
  { oid: `${A}.4.${index}`, type: 'Integer', value: 2 },
  { oid: `${A}.5.${index}`, type: 'Integer', value },
  { oid: `${A}.${kind === 'rising' ? 7 : 8}.${index}`, type: 'Integer', value: kind === 'rising' ? 1000 : 100 },
];

const device = { id: 7, name: 'probe1', address: '192.0.2.1', group: null, tags: [] };
const defaults = (): RuleDto[] =>
  DEFAULT_RULES.map((r, i) => ({ id: 1000 + i, name: r.name, description: '', enabled: true, position: 1000 + i, builtinKey: r.key, body: r.body, createdAt: 0, updatedAt: 0 }));

describe('RMON risingAlarm / fallingAlarm', () => {
  it('reads alarmIndex, the variable (named through the dictionary), value and threshold', () => {
    const e = rmonTrap('rising', standard('rising', 5));
    expect(rmonTrapKind(e)).toBe('rising');
    const info = parseRmonTrap(e, 'rising', { oidName: (o) => (o === '1.3.6.1.2.1.16.1.1.1.8.1' ? 'etherStatsCRCAlignErrors.1' : undefined) });
    expect(info).toMatchObject({ kind: 'rising', alarmIndex: 5, variable: '1.3.6.1.2.1.16.1.1.1.8.1', variableName: 'etherStatsCRCAlignErrors.1', sampleType: 'deltaValue', value: 1500, threshold: 1000 });
    expect(info.summary).toBe('etherStatsCRCAlignErrors.1 = 1500 (rising threshold 1000, delta)');
    expect(info.problems).toBeUndefined();
  });

  it('default rules: rising raises rmonAlarm:<device>:<alarmIndex> at warning, falling clears the same key', () => {
    const set = new RuleSet(defaults());
    const up = rmonTrap('rising', standard('rising', 5));
    enrichRmonTraps([up]);
    const d = set.evaluate(up, device);
    expect(d).toMatchObject({ disposition: 'alarm', reductionKey: 'rmonAlarm:7:5' });
    expect(up.severity).toBe('warning');
    expect(up.params.title).toBe('probe1: RMON alarm 5 rising: 1.3.6.1.2.1.16.1.1.1.8.1 = 1500 (rising threshold 1000, delta)');
    const down = rmonTrap('falling', standard('falling', 5, 50));
    enrichRmonTraps([down]);
    expect(set.evaluate(down, device)).toMatchObject({ disposition: 'clear', clearKey: 'rmonAlarm:7:5' });
    expect(down.severity).toBe('info');
  });

  it('takes the severity of the eventTable row when the lookup knows it', () => {
    const e = rmonTrap('rising', standard('rising', 2));
    enrichRmonTraps([e], { severity: (dev, idx, kind) => (dev === 7 && idx === 2 && kind === 'rising' ? 'critical' : undefined) });
    expect(e.severity).toBe('critical');
    expect((e.params.rmon as { severityFrom: string }).severityFrom).toBe('eventTable');
  });

  it('finds alarmIndex from the instance when the alarmIndex varbind is missing', () => {
    const vbs = standard('rising', 9).slice(1);
    expect(parseRmonTrap(rmonTrap('rising', vbs), 'rising').alarmIndex).toBe(9);
  });

  it('without any alarmIndex the rules neither raise nor clear (the trap stays an event)', () => {
    const set = new RuleSet(defaults());
    const e = rmonTrap('rising', [{ oid: '1.3.6.1.4.1.99.1', type: 'OctetString', value: 'junk' }]);
    enrichRmonTraps([e]);
    expect((e.params.rmon as { alarmIndex: unknown; problems: string[] }).alarmIndex).toBeNull();
    expect((e.params.rmon as { problems: string[] }).problems).toContain('no alarmIndex');
    expect(set.evaluate(e, device).disposition).not.toBe('alarm');
  });

  it('hostile varbinds: wrong types, huge and odd values, conflicting rows, __proto__ OIDs', () => {
    const e = rmonTrap('rising', [
      { oid: `${A}.1.3`, type: 'OctetString', value: '3' },
      { oid: `${A}.3.3`, type: 'Integer', value: 12 },
      { oid: `${A}.4.3`, type: 'OID', value: '1.2' },
      { oid: `${A}.5.3`, type: 'Counter64', value: '184467440737095516150000' },
      { oid: `${A}.7.3`, type: 'Integer', value: { toString: 1 } },
      { oid: '__proto__', type: 'Integer', value: 1 },
      null,
      7,
    ]);
    const info = parseRmonTrap(e, 'rising');
    expect(info.alarmIndex).toBe(3); // the instance, since the alarmIndex varbind is not an integer
    expect(info.variable).toBeNull();
    expect(info.value).toBe('184467440737095516150000');
    expect(info.threshold).toBeNull();
    expect(info.problems).toEqual(expect.arrayContaining(['alarmIndex is not an integer (OctetString)', 'alarmVariable is not an OID', 'alarmRisingThreshold has no numeric value']));
    const two = parseRmonTrap(rmonTrap('rising', [{ oid: `${A}.3.1`, type: 'OID', value: '1.3' }, { oid: `${A}.5.2`, type: 'Integer', value: 1 }]), 'rising');
    expect(two.alarmIndex).toBeNull();
    const sameColumn = parseRmonTrap(rmonTrap('rising', [{ oid: `${A}.5.1`, type: 'Integer', value: 1 }, { oid: `${A}.5.2`, type: 'Integer', value: 2 }]), 'rising');
    expect(sameColumn).toMatchObject({ alarmIndex: null, problems: ['alarm varbinds name different alarm rows'] });
    expect(parseRmonTrap(rmonTrap('rising', [{ oid: `${A}.1.70000`, type: 'Integer', value: 70000 }]), 'rising').alarmIndex).toBeNull();
    const big = parseRmonTrap(rmonTrap('rising', [{ oid: `${A}.1.4`, type: 'Integer', value: 4 }, { oid: `${A}.5.4`, type: 'Integer', value: 1e300 }]), 'rising');
    expect(big.alarmIndex).toBe(4);
    expect(typeof big.value).toBe('string');
  });

  it('leaves other traps and params that are not objects alone', () => {
    const other = rmonTrap('rising', []);
    other.params.trapOid = '1.3.6.1.6.3.1.1.5.3';
    other.type = '1.3.6.1.6.3.1.1.5.3';
    enrichRmonTraps([other]);
    expect(other.params.rmon).toBeUndefined();
    expect(other.severity).toBe('info');
  });

  it('reads a severity word from an eventTable description', () => {
    expect(severityFromDescription('CRITICAL: CRC errors on uplink')).toBe('critical');
    expect(severityFromDescription('major - utilisation')).toBe('major');
    expect(severityFromDescription('Minor rise')).toBe('minor');
    expect(severityFromDescription('Warning: broadcast storm')).toBe('warning');
    expect(severityFromDescription('informational')).toBe('info');
    expect(severityFromDescription('utilisation over 80%')).toBeUndefined();
    expect(severityFromDescription(null)).toBeUndefined();
  });
});
