import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../server/contracts/events.js';
import { appendOlder, compareAlarms, emptyFilter, exportUrl, filterQuery, matchesFilter, paramText, prependBatch, severityRank } from '../../../client/src/lib/event-list.js';
import type { AlarmDto } from '../../../server/contracts/alarms.js';

const ev = (id: number, over: Partial<StoredEvent> = {}): StoredEvent => ({
  id, receivedAt: 1_000 + id, reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.1', deviceId: null, severity: 'info', type: 'app', message: `m${id}`, params: {}, ...over,
});

describe('event console list and filter', () => {
  it('puts live batches (oldest first) on top, newest first, without duplicates, under the cap', () => {
    const list = [ev(3), ev(2), ev(1)];
    expect(prependBatch(list, [ev(4), ev(5)], 10).map((e) => e.id)).toEqual([5, 4, 3, 2, 1]);
    expect(prependBatch(list, [ev(3), ev(4)], 10).map((e) => e.id)).toEqual([4, 3, 2, 1]);
    expect(prependBatch(list, [ev(4), ev(5)], 4).map((e) => e.id)).toEqual([5, 4, 3, 2]);
    expect(prependBatch(list, [ev(4), ev(5), ev(6)], 2).map((e) => e.id)).toEqual([6, 5]);
    expect(prependBatch(list, [], 10)).toBe(list);
  });

  it('appends older pages below, skipping what is shown, up to the cap', () => {
    expect(appendOlder([ev(5), ev(4)], [ev(4), ev(3), ev(2)], 10).map((e) => e.id)).toEqual([5, 4, 3, 2]);
    expect(appendOlder([ev(5), ev(4)], [ev(3), ev(2)], 3).map((e) => e.id)).toEqual([5, 4, 3]);
  });

  it('filters live events the way the server filters history', () => {
    const f = emptyFilter();
    expect(matchesFilter(ev(1), f)).toBe(true);
    expect(matchesFilter(ev(1, { source: 'trap' }), { ...f, sources: ['syslog'] })).toBe(false);
    expect(matchesFilter(ev(1, { severity: 'warning' }), { ...f, minSeverity: 'warning' })).toBe(true);
    expect(matchesFilter(ev(1, { severity: 'info' }), { ...f, minSeverity: 'warning' })).toBe(false);
    expect(matchesFilter(ev(1, { severity: 'critical' }), { ...f, minSeverity: 'warning' })).toBe(true);
    expect(matchesFilter(ev(1, { deviceId: 7 }), { ...f, deviceId: 7 })).toBe(true);
    expect(matchesFilter(ev(1), { ...f, deviceId: 7 })).toBe(false);
    expect(matchesFilter(ev(1, { message: 'Interface Gi0/1 DOWN' }), { ...f, q: 'gi0/1 down' })).toBe(true);
    expect(matchesFilter(ev(1, { sourceAddress: '10.9.8.7' }), { ...f, q: '10.9.8' })).toBe(true);
    expect(matchesFilter(ev(1, { type: '1.3.6.1.6.3.1.1.5.3' }), { ...f, q: '1.5.3' })).toBe(true);
    expect(matchesFilter(ev(1), { ...f, q: 'nothing' })).toBe(false);
    // The search language, as the server's full-text search reads it.
    const cisco = ev(1, { type: 'LINEPROTO-5-UPDOWN', message: '%LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/1, changed state to down', params: { hostname: 'core-sw1' } });
    expect(matchesFilter(cisco, { ...f, q: '"changed state to down"' })).toBe(true);
    expect(matchesFilter(cisco, { ...f, q: '"state changed"' })).toBe(false);
    expect(matchesFilter(cisco, { ...f, q: 'interf* -up' })).toBe(true);
    expect(matchesFilter(cisco, { ...f, q: 'interface -down' })).toBe(false);
    expect(matchesFilter(cisco, { ...f, q: 'host:core-sw1 type:LINEPROTO*' })).toBe(true);
    expect(matchesFilter(cisco, { ...f, q: 'host:192.0.2.1' })).toBe(false); // a hostname was given
    expect(matchesFilter(cisco, { ...f, q: 'type:LINEPROTO' })).toBe(false);
    expect(matchesFilter(cisco, { ...f, q: 'ocol' })).toBe(false); // words, not substrings
    expect(matchesFilter(cisco, { ...f, q: '***' })).toBe(false); // the server refuses it
    expect(matchesFilter(ev(1, { params: { varbinds: [{ oid: '1.3.6.1.2.1.2.2.1.2.3', type: 'OctetString', value: 'Uplink Zürich' }] } }), { ...f, q: 'zurich' })).toBe(true);
    // Plain text (match=substring): anywhere in message, type or sender, like the server's bounded scan.
    expect(matchesFilter(cisco, { ...f, q: 'ocol', substring: true })).toBe(true);
    expect(matchesFilter(cisco, { ...f, q: 'GI0/1, CHANGED', substring: true })).toBe(true);
    expect(matchesFilter(cisco, { ...f, q: 'gi0/2', substring: true })).toBe(false);
    // The type filter: exact or a prefix with *, without case.
    expect(matchesFilter(cisco, { ...f, type: 'lineproto-5-updown' })).toBe(true);
    expect(matchesFilter(cisco, { ...f, type: 'LINEPROTO-5' })).toBe(false);
    expect(matchesFilter(cisco, { ...f, type: 'LINEPROTO-*' })).toBe(true);
    expect(matchesFilter(cisco, { ...f, type: 'LINK-*' })).toBe(false);
    expect(matchesFilter(ev(1), { ...f, from: 2_000 })).toBe(false);
    expect(matchesFilter(ev(1), { ...f, to: 500 })).toBe(false);
  });

  it('builds the history query string', () => {
    expect(filterQuery(emptyFilter(), null, 500)).toBe('limit=500');
    const base = { ...emptyFilter(), sources: ['trap', 'syslog'] as const, minSeverity: 'major' as const, deviceId: 3, q: ' a&b ', from: 10, to: 20 };
    const q = new URLSearchParams(filterQuery({ ...base, sources: [...base.sources] }, 99, 200));
    expect(Object.fromEntries(q)).toEqual({ source: 'trap,syslog', severity: 'major', device: '3', q: 'a&b', from: '10', to: '20', cursor: '99', limit: '200' });
    const plain = new URLSearchParams(filterQuery({ ...emptyFilter(), q: 'gi0/1', substring: true, type: ' LINK-3-* ' }, null, 50));
    expect(Object.fromEntries(plain)).toEqual({ q: 'gi0/1', match: 'substring', type: 'LINK-3-*', limit: '50' });
    // Plain text without text asks for nothing extra.
    expect(filterQuery({ ...emptyFilter(), substring: true }, null, 5)).toBe('limit=5');
  });

  it('builds the export link from the same filter, without cursor or limit', () => {
    expect(exportUrl(emptyFilter(), 'csv')).toBe('/api/v1/events/export?format=csv');
    const url = new URL(exportUrl({ ...emptyFilter(), sources: ['trap'], minSeverity: 'major', deviceId: 3, q: ' a&b ', from: 10, to: 20 }, 'jsonl'), 'http://x');
    expect(url.pathname).toBe('/api/v1/events/export');
    expect(Object.fromEntries(url.searchParams)).toEqual({ source: 'trap', severity: 'major', device: '3', q: 'a&b', from: '10', to: '20', format: 'jsonl' });
  });

  it('ranks severities and shows params as text', () => {
    expect(severityRank('critical')).toBeLessThan(severityRank('debug'));
    expect(severityRank('bogus')).toBe(6);
    expect(paramText('<b>x</b>')).toBe('<b>x</b>');
    expect(paramText({ a: 1 })).toContain('"a": 1');
    expect(paramText(null)).toBe('null');
  });

  it('sorts alarms by severity, then most recently seen', () => {
    const a = (id: number, severity: AlarmDto['severity'], lastSeen: number) => ({ id, severity, lastSeen }) as AlarmDto;
    const sorted = [a(1, 'minor', 50), a(2, 'critical', 10), a(3, 'minor', 90), a(4, 'major', 1)].sort(compareAlarms);
    expect(sorted.map((x) => x.id)).toEqual([2, 4, 3, 1]);
  });
});
