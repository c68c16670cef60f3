import { describe, expect, it } from 'vitest';
import { MAX_RECORD_BODY_BYTES, RECORD_HEADER_BYTES, crc32, decodeHeader, decodeRecord, encodeRecord } from '../../../server/bus/spool-record.js';

const enc = new TextEncoder();
const payload = enc.encode('[{"msg":"link down","ifIndex":3}]');

describe('spool record codec', () => {
  it('computes the standard CRC-32 (as zlib) and continues over pieces', () => {
    expect(crc32(enc.encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(enc.encode(''))).toBe(0);
    expect(crc32(enc.encode('6789'), crc32(enc.encode('12345')))).toBe(0xcbf43926);
  });

  it('decodes what it encoded, and a record followed by more bytes', () => {
    const rec = encodeRecord('samples', 'site-a:0123abcd:42', payload);
    expect(rec.length).toBe(RECORD_HEADER_BYTES + 2 + 'site-a:0123abcd:42'.length + payload.length);
    const r = decodeRecord(Buffer.concat([rec, encodeRecord('events', 'x', new Uint8Array())]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.size).toBe(rec.length);
    expect(r.record.kind).toBe('samples');
    expect(r.record.msgId).toBe('site-a:0123abcd:42');
    expect(Buffer.from(r.record.payload).equals(Buffer.from(payload))).toBe(true);
  });

  it('says "short" for every cut of a record (a torn write), never a record', () => {
    const rec = encodeRecord('events', 'm-1', payload);
    for (let n = 0; n < rec.length; n++) expect(decodeRecord(rec.subarray(0, n))).toEqual({ ok: false, reason: 'short' });
  });

  it('refuses a record with any single byte flipped', () => {
    const rec = encodeRecord('status', 'm-2', payload);
    for (let i = 0; i < rec.length; i++) {
      const bad = Buffer.from(rec);
      bad[i]! ^= 0x41;
      const r = decodeRecord(bad);
      // A flipped length byte may make the record look longer than the buffer: short, still not a record.
      expect(r.ok, `byte ${i}`).toBe(false);
    }
  });

  it('refuses a bad magic, a length of 0 and a huge length without allocating it', () => {
    const rec = encodeRecord('events', 'm-3', payload);
    const magic = Buffer.from(rec);
    magic.write('XXXX', 0, 'latin1');
    expect(decodeRecord(magic)).toMatchObject({ ok: false, reason: 'magic' });
    const zero = Buffer.from(rec);
    zero.writeUInt32LE(0, 4);
    expect(decodeRecord(zero)).toMatchObject({ ok: false, reason: 'length' });
    const huge = Buffer.from(rec);
    huge.writeUInt32LE(0xffffffff, 4);
    expect(decodeRecord(huge)).toMatchObject({ ok: false, reason: 'length' });
    huge.writeUInt32LE(MAX_RECORD_BODY_BYTES + 1, 4);
    expect(decodeHeader(huge)).toMatchObject({ ok: false, reason: 'length' });
    // Within the hard maximum but over the caller's limit.
    expect(decodeHeader(rec, 8)).toMatchObject({ ok: false, reason: 'length' });
  });

  it('refuses a record whose CRC is right but whose kind or msgId is not', () => {
    const forge = (body: Buffer) => {
      const head = Buffer.alloc(RECORD_HEADER_BYTES);
      head.writeUInt32LE(0x3153574e, 0);
      head.writeUInt32LE(body.length, 4);
      head.writeUInt32LE(crc32(body, crc32(head.subarray(4, 8))), 8);
      return Buffer.concat([head, body]);
    };
    expect(decodeRecord(forge(Buffer.from([9, 1, 0x41, 0x5b, 0x5d])))).toMatchObject({ ok: false, reason: 'kind' });
    expect(decodeRecord(forge(Buffer.from([0, 200, 0x41])))).toMatchObject({ ok: false, reason: 'msgid' });
    expect(decodeRecord(forge(Buffer.from([0, 2, 0x20, 0x0a, 0x5b])))).toMatchObject({ ok: false, reason: 'msgid' });
    expect(decodeRecord(forge(Buffer.from([0, 0, 0x5b, 0x5d])))).toMatchObject({ ok: false, reason: 'msgid' });
    expect(decodeRecord(forge(Buffer.from([1, 1, 0x41, 0x5b, 0x5d])))).toMatchObject({ ok: true, record: { kind: 'samples', msgId: 'A' } });
  });

  it('survives random bytes without throwing', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let n = 0; n < 2000; n++) {
      const buf = Buffer.alloc(n % 97);
      for (let i = 0; i < buf.length; i++) buf[i] = rnd();
      if (n % 3 === 0 && buf.length >= 4) buf.writeUInt32LE(0x3153574e, 0);
      expect(() => decodeRecord(buf)).not.toThrow();
      expect(decodeRecord(buf).ok).toBe(false);
    }
  });

  it('will not encode what it could not read back', () => {
    expect(() => encodeRecord('alarms' as never, 'm', payload)).toThrow(/batch kind/);
    expect(() => encodeRecord('events', 'has space', payload)).toThrow(/msgId/);
    expect(() => encodeRecord('events', 'x'.repeat(129), payload)).toThrow(/msgId/);
  });
});
