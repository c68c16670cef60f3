import { describe, expect, it } from 'vitest';
import { assertTimeZone, parseRfc3339, yearlessToEpoch, zonedToEpoch } from '../../../../server/collectors/syslog/syslog.time.js';

describe('syslog time helpers', () => {
  it('converts wall-clock times in a zone, across DST', () => {
    expect(new Date(zonedToEpoch(2024, 0, 15, 12, 0, 0, 0, 'Europe/Berlin')).toISOString()).toBe('2024-01-15T11:00:00.000Z');
    expect(new Date(zonedToEpoch(2024, 6, 15, 12, 0, 0, 0, 'Europe/Berlin')).toISOString()).toBe('2024-07-15T10:00:00.000Z');
    expect(new Date(zonedToEpoch(2024, 2, 31, 3, 30, 0, 0, 'Europe/Berlin')).toISOString()).toBe('2024-03-31T01:30:00.000Z');
    expect(new Date(zonedToEpoch(2024, 6, 15, 12, 0, 0, 0, 'Asia/Kolkata')).toISOString()).toBe('2024-07-15T06:30:00.000Z');
  });

  it('parses RFC 3339 with offsets, fractions and Z; rejects nonsense', () => {
    expect(parseRfc3339('1985-04-12T23:20:50.52Z', 'UTC')).toBe(Date.parse('1985-04-12T23:20:50.520Z'));
    expect(parseRfc3339('2003-08-24T05:14:15.000003-07:00', 'UTC')).toBe(Date.parse('2003-08-24T12:14:15.000Z'));
    expect(parseRfc3339('2024-06-15T12:00:00+0530', 'UTC')).toBe(Date.parse('2024-06-15T06:30:00Z'));
    expect(parseRfc3339('2024-06-15T12:00:00', 'Europe/Berlin')).toBe(Date.parse('2024-06-15T10:00:00Z'));
    expect(parseRfc3339('2003-08-24 junk', 'UTC')).toBeNull();
    expect(parseRfc3339('2003-13-24T05:14:15Z', 'UTC')).toBeNull();
  });

  it('never puts a year-less date more than a day in the future', () => {
    const now = Date.parse('2024-03-01T00:00:00Z');
    expect(new Date(yearlessToEpoch(2, 3, 0, 0, 0, 0, undefined, 'UTC', now)).toISOString()).toBe('2023-03-03T00:00:00.000Z');
    expect(new Date(yearlessToEpoch(2, 1, 12, 0, 0, 0, undefined, 'UTC', now)).toISOString()).toBe('2024-03-01T12:00:00.000Z');
    expect(new Date(yearlessToEpoch(1, 29, 23, 0, 0, 0, 0, 'UTC', now)).toISOString()).toBe('2024-02-29T23:00:00.000Z');
  });

  it('rejects an unknown time zone at configuration time', () => {
    expect(() => assertTimeZone('Mars/Olympus')).toThrow(RangeError);
  });
});
