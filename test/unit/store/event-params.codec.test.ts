import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSyslog, unparsedSyslog } from '../../../server/collectors/syslog/syslog.parser.js';
import * as snmp from 'net-snmp';
import { trapToEvent, unconvertedTrap } from '../../../server/collectors/trap/trap.convert.js';
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import { decodeParams, encodeParams, paramsJson } from '../../../server/store/event-params.codec.js';
import { realisticEvents } from '../../bench/lib/realistic-events.js';

const ctx = (e: NormalizedEvent) => ({ source: e.source, type: e.type, sourceAddress: e.sourceAddress });
const roundTrip = (e: NormalizedEvent) => decodeParams(encodeParams(e.params, ctx(e)), ctx(e));

describe('stored params', () => {
  it('give back exactly what the syslog parser made (keys, values and key order), for every corpus line', () => {
    const corpus = JSON.parse(readFileSync(new URL('../../fixtures/syslog/corpus.json', import.meta.url), 'utf8')) as { cases: { raw?: string; rawBase64?: string }[] };
    for (const c of corpus.cases) {
      const buf = c.rawBase64 !== undefined ? Buffer.from(c.rawBase64, 'base64') : Buffer.from(c.raw ?? '');
      for (const transport of [undefined, 'tcp'] as const) {
        const e = parseSyslog(buf, { receivedAt: 1_700_000_000_000, sourceAddress: '192.0.2.1', transport });
        expect(JSON.stringify(roundTrip(e))).toBe(paramsJson(e.params));
      }
    }
  });

  it('give back exactly what the trap converter made, and syslog and traps of a realistic mix, at a third of the size', () => {
    let plain = 0;
    let stored = 0;
    let compact = 0;
    let n = 0;
    for (const e of realisticEvents(5000, { seed: 7 })) {
      const text = encodeParams(e.params, ctx(e));
      expect(JSON.stringify(decodeParams(text, ctx(e)))).toBe(paramsJson(e.params));
      plain += paramsJson(e.params).length;
      stored += text.length;
      if (text.startsWith('[')) compact++;
      n++;
    }
    expect(compact).toBe(n);
    expect(stored / plain).toBeLessThan(0.4);
  });

  it('give back v1 traps, v3 traps with user and context, relayed traps and binary varbinds exactly', () => {
    const T = snmp.ObjectType;
    const origin = { receivedAt: 0, udpAddress: '192.0.2.9', udpPort: 50000, oidName: (o: string) => (o === '1.3.6.1.4.1.9.0.1' ? 'ciscoThing' : undefined) };
    const pdus = [
      { type: snmp.PduType.Trap, id: 1, enterprise: '1.3.6.1.4.1.9', agentAddr: '192.0.2.50', generic: 6, specific: 1, upTime: 42, varbinds: [{ oid: '1.3.6.1.2.1.2.2.1.1.3', type: T.Integer, value: 3 }] },
      {
        type: snmp.PduType.InformRequest, id: 2, user: 'trapuser', contextName: 'ctx', contextEngineID: '8000000001020304',
        varbinds: [
          { oid: '1.3.6.1.2.1.1.3.0', type: T.TimeTicks, value: 5 },
          { oid: '1.3.6.1.6.3.1.1.4.1.0', type: T.OID, value: '1.3.6.1.6.3.1.1.5.3' },
          { oid: '1.3.6.1.6.3.18.1.3.0', type: T.IpAddress, value: '198.51.100.7' },
          { oid: '1.3.6.1.6.3.18.1.4.0', type: T.OctetString, value: Buffer.from('community') },
          { oid: '1.3.6.1.2.1.2.2.1.6.3', type: T.OctetString, value: Buffer.from([0, 0x1b, 0x54, 0xff]) },
          { oid: '1.3.6.1.2.1.31.1.1.1.6.3', type: T.Counter64, value: Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]) },
        ],
      },
      { type: snmp.PduType.TrapV2, id: 3, varbinds: [{ oid: '1.3.6.1.2.1.1.3.0', type: T.TimeTicks, value: 5 }] },
    ];
    for (const pdu of pdus) {
      const e = trapToEvent(pdu, origin);
      const text = encodeParams(e.params, ctx(e));
      expect(text.startsWith('[2,')).toBe(true);
      expect(JSON.stringify(decodeParams(text, ctx(e)))).toBe(paramsJson(e.params));
    }
  });

  it('keep other shapes, and rows stored before compaction, as plain JSON', () => {
    const weird = parseSyslog(Buffer.from('<13>Jun 15 11:00:00 h t: hi'), { receivedAt: 0, sourceAddress: null });
    const shapes: NormalizedEvent[] = [
      { ...weird, params: { ...weird.params, extraKey: 1 } },
      { ...weird, params: { ...weird.params, facilityName: 'not-derived' } },
      unparsedSyslog(Buffer.from('x'), { receivedAt: 0, sourceAddress: '192.0.2.1' }, new Error('boom')),
      unconvertedTrap(null, 0, '192.0.2.1', 162, new Error('boom')),
      { ...weird, source: 'poll', params: { metric: 'cpu', value: 99 } },
      { ...weird, source: 'trap', params: { c64: 18446744073709551615n, raw: Buffer.from([0xff, 0]) } },
    ];
    for (const e of shapes) {
      const text = encodeParams(e.params, ctx(e));
      expect(text.startsWith('{')).toBe(true);
      expect(decodeParams(text, ctx(e))).toEqual(JSON.parse(paramsJson(e.params)));
    }
    expect(decodeParams('{"rfc":"3164","hostname":"old-row"}', { source: 'syslog', type: 'x', sourceAddress: null })).toEqual({ rfc: '3164', hostname: 'old-row' });
  });

  it('store names from the wire as data: a structured-data id "__proto__" comes back as an own key', () => {
    const e = parseSyslog(Buffer.from('<14>1 2024-06-15T11:00:00Z h app - - [__proto__ polluted="yes"][constructor x="1"] m'), { receivedAt: 0, sourceAddress: '192.0.2.1' });
    const back = roundTrip(e) as { structuredData: Record<string, unknown> };
    expect(Object.hasOwn(back.structuredData, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(back)).toBe(paramsJson(e.params));
  });
});
