import * as snmp from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { trapToEvent, unconvertedTrap, v1TrapOid, varbindToJson } from '../../../../server/collectors/trap/trap.convert.js';
import { classifyError } from '../../../../server/collectors/trap/trap.receiver.js';

const T = snmp.ObjectType;

describe('trap conversion', () => {
  it('maps v1 generic and enterprise-specific traps per RFC 3584', () => {
    expect([0, 1, 2, 3, 4, 5].map((g) => v1TrapOid('1.3.6.1.4.1.9', g, 0))).toEqual([1, 2, 3, 4, 5, 6].map((n) => `1.3.6.1.6.3.1.1.5.${n}`));
    expect(v1TrapOid('1.3.6.1.4.1.9.9.41.2', 6, 1)).toBe('1.3.6.1.4.1.9.9.41.2.0.1');
  });

  it('makes varbind values JSON-safe', () => {
    expect(varbindToJson({ oid: '1.1', type: T.Counter64, value: Buffer.from('ffffffffffffffff', 'hex') })).toEqual({ oid: '1.1', type: 'Counter64', value: '18446744073709551615' });
    expect(varbindToJson({ oid: '1.2', type: T.OctetString, value: Buffer.from([0, 1, 0xfe]) })).toEqual({ oid: '1.2', type: 'OctetString', value: '0001fe', encoding: 'hex' });
    expect(varbindToJson({ oid: '1.3', type: T.OctetString, value: Buffer.from('Zürich') })).toEqual({ oid: '1.3', type: 'OctetString', value: 'Zürich' });
    expect(varbindToJson({ oid: '1.4', type: T.Null, value: null })).toEqual({ oid: '1.4', type: 'Null', value: null });
    expect(varbindToJson({ oid: '1.5', type: T.TimeTicks, value: 5 })).toEqual({ oid: '1.5', type: 'TimeTicks', value: 5 });
  });

  it('ignores a 0.0.0.0 snmpTrapAddress and keeps the UDP sender', () => {
    const e = trapToEvent(
      { type: snmp.PduType.Trap, enterprise: '1.3.6.1.4.1.9', agentAddr: '0.0.0.0', generic: 3, specific: 0, upTime: 7, varbinds: [], community: 'public' },
      { receivedAt: 1, udpAddress: '192.0.2.1', udpPort: 3000 },
    );
    expect(e).toMatchObject({ type: '1.3.6.1.6.3.1.1.5.4', sourceAddress: '192.0.2.1', severity: 'info', message: expect.stringMatching(/^linkUp/) });
    expect(e.params).toMatchObject({ version: '1', trapAddress: null, sysUpTime: 7, trapName: 'linkUp' });
  });

  it('appends snmpTrapAddress.0 and snmpTrapEnterprise.0 to a v1 trap (RFC 3584 3.1), not twice, and never the community', () => {
    const e = trapToEvent(
      { type: snmp.PduType.Trap, enterprise: '1.3.6.1.4.1.9.9.41.2', agentAddr: '192.0.2.9', generic: 6, specific: 1, upTime: 42, community: 'site7',
        varbinds: [{ oid: '1.3.6.1.4.1.9.9.41.1.2.3.1.5.1', type: T.OctetString, value: Buffer.from('LINK-3-UPDOWN') }] },
      { receivedAt: 1, udpAddress: '198.51.100.1', udpPort: 162 },
    );
    expect(e).toMatchObject({ type: '1.3.6.1.4.1.9.9.41.2.0.1', sourceAddress: '192.0.2.9', params: { version: '1', udpAddress: '198.51.100.1' } });
    expect(e.params.varbinds).toEqual([
      { oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: 42 },
      { oid: '1.3.6.1.6.3.1.1.4.1.0', type: 'OID', value: '1.3.6.1.4.1.9.9.41.2.0.1' },
      { oid: '1.3.6.1.4.1.9.9.41.1.2.3.1.5.1', type: 'OctetString', value: 'LINK-3-UPDOWN' },
      { oid: '1.3.6.1.6.3.18.1.3.0', type: 'IpAddress', value: '192.0.2.9' },
      { oid: '1.3.6.1.6.3.1.1.4.3.0', type: 'OID', value: '1.3.6.1.4.1.9.9.41.2' },
    ]);
    expect(JSON.stringify(e)).not.toContain('site7');
    const relayed = trapToEvent(
      { type: snmp.PduType.Trap, enterprise: '1.3.6.1.4.1.9', agentAddr: '10.0.0.1', generic: 0, specific: 0, upTime: 1, community: 'c',
        varbinds: [{ oid: '1.3.6.1.6.3.18.1.3.0', type: T.IpAddress, value: '10.9.9.9' }, { oid: '1.3.6.1.6.3.18.1.4.0', type: T.OctetString, value: Buffer.from('orig-secret') }] },
      { receivedAt: 1, udpAddress: '10.0.0.1', udpPort: 162 },
    );
    const vbs = relayed.params.varbinds as { oid: string; value: unknown }[];
    expect(vbs.filter((v) => v.oid === '1.3.6.1.6.3.18.1.3.0').map((v) => v.value)).toEqual(['10.9.9.9']);
    // A relay's snmpTrapCommunity.0 is the original sender's community: dropped, and said so.
    expect(vbs.some((v) => v.oid === '1.3.6.1.6.3.18.1.4.0')).toBe(false);
    expect(relayed.params.communityRedacted).toBe(true);
    expect(JSON.stringify(relayed)).not.toContain('orig-secret');
    expect(relayed.sourceAddress).toBe('10.9.9.9');
  });

  it('keeps the accepted community of a v2c trap or inform out of the event', () => {
    for (const type of [snmp.PduType.TrapV2, snmp.PduType.InformRequest]) {
      const e = trapToEvent(
        { type, id: 5, community: 'v2-s3cret', varbinds: [{ oid: '1.3.6.1.2.1.1.3.0', type: T.TimeTicks, value: 1 }, { oid: '1.3.6.1.6.3.1.1.4.1.0', type: T.OID, value: '1.3.6.1.6.3.1.1.5.3' }] },
        { receivedAt: 1, udpAddress: '192.0.2.1', udpPort: 3000 },
      );
      expect(e.params.version).toBe('2c');
      expect(JSON.stringify(e)).not.toContain('v2-s3cret');
    }
  });

  it('takes snmpTrapOID.0 only when it is an OID: __proto__ or constructor as text name nothing', () => {
    for (const text of ['__proto__', 'constructor', 'prototype', 'toString']) {
      const e = trapToEvent(
        { type: snmp.PduType.TrapV2, community: 'public', varbinds: [
          { oid: '1.3.6.1.2.1.1.3.0', type: T.TimeTicks, value: 1 },
          { oid: '1.3.6.1.6.3.1.1.4.1.0', type: T.OctetString, value: Buffer.from(text) },
          { oid: '1.3.6.1.4.1.99.1', type: T.OctetString, value: Buffer.from(text) },
        ] },
        { receivedAt: 1, udpAddress: '192.0.2.1', udpPort: 3000 },
      );
      expect(e).toMatchObject({ type: 'snmp.trap', severity: 'info' });
      expect(e.params).toMatchObject({ trapOid: null, trapName: null, parseErrorReason: 'snmpTrapOID.0 is not an OID' });
      expect((e.params.varbinds as { value: unknown }[])[2]!.value).toBe(text);
    }
    expect(({} as Record<string, unknown>).user).toBeUndefined();
  });

  it('turns a conversion failure into a flagged event without PDU contents (unconvertedTrap)', () => {
    const e = unconvertedTrap({ type: snmp.PduType.InformRequest, id: 9, community: 'nope-secret', varbinds: [] }, 5, '192.0.2.3', 1234, new Error('bad shape'));
    expect(e).toMatchObject({ source: 'trap', type: 'snmp.trap', sourceAddress: '192.0.2.3', receivedAt: 5, params: { parseError: 'conversion failed: bad shape', pduType: 'inform', requestId: 9, udpPort: 1234 } });
    expect(JSON.stringify(e)).not.toContain('nope-secret');
  });

  it('writes dictionary names into the message when known, numeric OIDs otherwise (never a made-up name)', () => {
    const names: Record<string, string> = { '1.3.6.1.2.1.2.2.1.1.3': 'ifIndex.3', '1.3.6.1.4.1.9.9.43.2.0.1': 'ciscoConfigManEvent' };
    const oidName = (oid: string) => names[oid];
    const vb = (oid: string, value: number) => ({ oid, type: T.Integer, value });
    const trapOidVb = (oid: string) => ({ oid: '1.3.6.1.6.3.1.1.4.1.0', type: T.OID, value: oid });
    const origin = { receivedAt: 1, udpAddress: '192.0.2.1', udpPort: 162, oidName };
    const down = trapToEvent({ type: snmp.PduType.TrapV2, varbinds: [trapOidVb('1.3.6.1.6.3.1.1.5.3'), vb('1.3.6.1.2.1.2.2.1.1.3', 3), vb('1.3.6.1.2.1.2.2.1.7.3', 1)] }, origin);
    expect(down.message).toBe('linkDown (1.3.6.1.6.3.1.1.5.3): ifIndex.3=3, 1.3.6.1.2.1.2.2.1.7.3=1');
    const cisco = trapToEvent({ type: snmp.PduType.TrapV2, varbinds: [trapOidVb('1.3.6.1.4.1.9.9.43.2.0.1')] }, origin);
    expect(cisco.message).toBe('ciscoConfigManEvent (1.3.6.1.4.1.9.9.43.2.0.1)');
    expect(cisco.params.trapName).toBe('ciscoConfigManEvent');
    const unknown = trapToEvent({ type: snmp.PduType.TrapV2, varbinds: [trapOidVb('1.3.6.1.4.1.77.0.1')] }, { ...origin, oidName: () => { throw new Error('dictionary broken'); } });
    expect(unknown).toMatchObject({ type: '1.3.6.1.4.1.77.0.1', message: '1.3.6.1.4.1.77.0.1', params: { trapName: null } });
  });

  it('keeps a v2 trap without snmpTrapOID.0 and says so', () => {
    const e = trapToEvent({ type: snmp.PduType.TrapV2, varbinds: [] }, { receivedAt: 1, udpAddress: '::1', udpPort: 1 });
    expect(e.type).toBe('snmp.trap');
    expect(e.params.parseErrorReason).toMatch(/snmpTrapOID/);
  });

  it('tells credential failures from malformed packets', () => {
    expect(classifyError(new Error('Local community not found for message with community x')).kind).toBe('auth');
    expect(classifyError(new Error('Local user not found for message with user bob'))).toMatchObject({ kind: 'auth', user: 'bob' });
    const pe = Object.assign(new Error('Failure to process incoming message'), { name: 'ProcessingError' });
    expect(classifyError(pe).kind).toBe('parse');
    const digest = Object.assign(new Error('Authentication digest …'), { name: 'ResponseInvalidError', code: snmp.ResponseInvalidCode.EAuthFailure, info: { user: { name: 'u1' } } });
    expect(classifyError(digest)).toMatchObject({ kind: 'auth', user: 'u1', reason: 'wrong digest' });
    expect(classifyError(new Error('Unexpected PDU type 160')).kind).toBe('rejected');
  });
});
