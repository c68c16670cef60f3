import * as snmp from 'net-snmp';
import type { Varbind } from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { parseAlarms, parseEtherHistory, parseEvents, rowsOf } from '../../../server/rmon/rmon-tables.js';

const T = snmp.ObjectType;
const A = '1.3.6.1.2.1.16.3.1.1';
const E = '1.3.6.1.2.1.16.9.1.1';
const H = '1.3.6.1.2.1.16.2.2.1';
const vb = (oid: string, type: number, value: unknown) => ({ oid, type, value }) as Varbind;
const cols = (...vbs: Varbind[]) => new Map([['all', vbs]]);

describe('RMON table parsing', () => {
  it('reads each column only with its SMI type; anything else is null, never a guess', () => {
    const { rows } = parseAlarms(
      cols(
        vb(`${A}.2.7`, T.OctetString, Buffer.from('30')),
        vb(`${A}.3.7`, T.Integer, 5),
        vb(`${A}.4.7`, T.Integer, 9),
        vb(`${A}.5.7`, T.Counter64, Buffer.from('ffffffffffffffff', 'hex')),
        vb(`${A}.7.7`, T.NoSuchInstance, null),
        vb(`${A}.11.7`, T.OctetString, Buffer.from([0xff, 0x00, 0x41])),
        vb(`${A}.12.7`, T.Integer, 42),
      ),
      () => 'never called without an OID',
      10,
    );
    expect(rows).toEqual([
      { index: 7, interval: null, variable: null, variableName: null, sampleType: 'unknown', value: null, startupAlarm: 'unknown', risingThreshold: null, fallingThreshold: null, risingEventIndex: null, fallingEventIndex: null, owner: 'ff:00:41', status: 'unknown' },
    ]);
  });

  it('keeps the first maxRows rows of the walk (index order), and says it cut', () => {
    const vbs: Varbind[] = [];
    for (let i = 1; i <= 50; i++) vbs.push(vb(`${E}.2.${i}`, T.OctetString, Buffer.from(`event ${i}`)), vb(`${E}.3.${i}`, T.Integer, 2));
    const { rows, truncated } = parseEvents(cols(...vbs), 3);
    expect(truncated).toBe(true);
    expect(rows.map((r) => [r.index, r.description])).toEqual([[1, 'event 1'], [2, 'event 2'], [3, 'event 3']]);
    expect(parseEvents(cols(...vbs), 50).truncated).toBe(false);
  });

  it('skips OIDs outside the entry, with the wrong index length, or absurd sub-identifiers', () => {
    const { rows } = rowsOf(A, cols(vb(`${A}.1.1.2`, T.Integer, 1), vb(`${A}`, T.Integer, 1), vb('1.3.6.1.2.1.16.3.1.10.1', T.Integer, 1), vb(`${A}.1.99999999999999999999`, T.Integer, 1), vb(`${A}.1.4`, T.Integer, 4)), 1, 10);
    expect(rows.map((r) => r.index)).toEqual([[4]]);
  });

  it('places history buckets on the wall clock through sysUpTime and drops impossible utilisation', () => {
    const { rows } = parseEtherHistory(
      cols(
        vb(`${H}.3.1.1`, T.TimeTicks, 1000),
        vb(`${H}.15.1.1`, T.Integer, 2550),
        vb(`${H}.3.1.2`, T.TimeTicks, 9_999_999),
        vb(`${H}.15.1.2`, T.Integer, 10_001),
        vb(`${H}.3.2.1`, T.TimeTicks, 500),
      ),
      1,
      4000,
      1_000_000,
      10,
    );
    expect(rows.map((r) => [r.sampleIndex, r.intervalStartAt, r.utilisation])).toEqual([
      [1, 1_000_000 - 3000 * 10, 25.5],
      [2, null, null],
    ]);
  });
});
