import { describe, expect, it } from 'vitest';
import { applyOctetHint, formatTimeTicks, formatValue, formatVarbind } from '../../../server/mib/value-formatter.js';

const info = (baseType: string, extra: Partial<{ enums: Record<string, string>; displayHint: string; units: string; syntax: string }> = {}) => ({
  baseType,
  enums: null,
  displayHint: null,
  units: null,
  ...extra,
});

describe('value formatter', () => {
  it('labels enumerations', () => {
    const ifOperStatus = info('INTEGER', { enums: { 1: 'up', 2: 'down', 3: 'testing' } });
    expect(formatValue(2, ifOperStatus)).toBe('down(2)');
    expect(formatValue(9, ifOperStatus)).toBe('9');
  });

  it('applies octet-string display hints: MAC, text, DateAndTime', () => {
    const mac = Buffer.from([0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]);
    expect(formatValue(mac, info('OCTET STRING', { displayHint: '1x:' }))).toBe('00:1a:2b:3c:4d:5e');
    expect(formatValue(Buffer.from('core-sw1'), info('OCTET STRING', { displayHint: '255a' }))).toBe('core-sw1');
    const dt = Buffer.from([0x07, 0xea, 11, 23, 7, 48, 5, 3, 0x2b, 1, 0]);
    expect(formatValue(dt, info('OCTET STRING', { displayHint: '2d-1d-1d,1d:1d:1d.1d,1a1d:1d' }))).toBe('2026-11-23,7:48:5.3,+1:0');
    expect(applyOctetHint('1d.1d.1d.1d/1d', Buffer.from([10, 0, 0, 1, 24]))).toBe('10.0.0.1/24');
    expect(applyOctetHint('*1x:', Buffer.from([2, 0xab, 0xcd]))).toBe('ab:cd');
  });

  it('applies integer display hints (fixed point) with units', () => {
    expect(formatValue(235, info('Integer32', { displayHint: 'd-1', units: 'degrees Celsius' }))).toBe('23.5 degrees Celsius');
    expect(formatValue(-5, info('Integer32', { displayHint: 'd-2' }))).toBe('-0.05');
    expect(formatValue(255, info('Integer32', { displayHint: 'x' }))).toBe('ff');
  });

  it('shows octet strings without a hint as text when printable, else hex', () => {
    expect(formatValue(Buffer.from('Linux router 6.1'), info('OCTET STRING'))).toBe('Linux router 6.1');
    expect(formatValue(Buffer.from([0x00, 0xff, 0x10]), info('OCTET STRING'))).toBe('00 ff 10');
  });

  it('formats TimeTicks as durations, IpAddress, Counter64 and BITS', () => {
    expect(formatTimeTicks(12_345)).toBe('00:02:03.45');
    expect(formatValue(8_640_000 * 3 + 360_000 * 4 + 6_000 * 5 + 607, info('TimeTicks'))).toBe('3 days, 04:05:06.07');
    expect(formatValue(Buffer.from([192, 168, 1, 20]), info('IpAddress'))).toBe('192.168.1.20');
    expect(formatValue(Buffer.from([0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]), info('Counter64'))).toBe('72057594037927936');
    expect(formatValue(Buffer.from([0b1010_0000]), info('BITS', { enums: { 0: 'a', 1: 'b', 2: 'c' } }))).toBe('a(0) c(2)');
  });

  it('names OBJECT IDENTIFIER values through the dictionary when given', () => {
    expect(formatValue('1.3.6.1.4.1.8072.3.2.10', info('OBJECT IDENTIFIER'), { resolveOid: (o) => `NET-SNMP-TC::linux(${o})` })).toMatch(/^NET-SNMP-TC::linux/);
    expect(formatValue(null, info('INTEGER'))).toBe('');
  });
});

describe('formatVarbind', () => {
  it('names a varbind and formats its value through the dictionary', () => {
    const ifOperStatus = { oid: '1.3.6.1.2.1.2.2.1.8', name: 'ifOperStatus', module: 'IF-MIB', kind: 'column' as const, syntax: 'INTEGER', baseType: 'INTEGER', enums: { 1: 'up', 2: 'down' }, displayHint: null, units: null, access: 'read-only', status: 'current', description: null, index: null, augments: null, objects: null };
    const dict = {
      resolve: (oid: string) =>
        oid.startsWith(`${ifOperStatus.oid}.`)
          ? { node: ifOperStatus, instance: oid.slice(ifOperStatus.oid.length + 1), label: `IF-MIB::ifOperStatus.${oid.slice(ifOperStatus.oid.length + 1)}` }
          : { node: null, instance: '', label: oid },
    };
    expect(formatVarbind(dict, '1.3.6.1.2.1.2.2.1.8.3', 2)).toEqual({ oid: '1.3.6.1.2.1.2.2.1.8.3', label: 'IF-MIB::ifOperStatus.3', name: 'ifOperStatus', module: 'IF-MIB', instance: '3', value: 'down(2)' });
    expect(formatVarbind(dict, '1.3.6.1.4.1.1.1', Buffer.from('hello'))).toMatchObject({ label: '1.3.6.1.4.1.1.1', name: null, value: 'hello' });
  });
});
