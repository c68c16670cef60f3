import { beforeAll, describe, expect, it } from 'vitest';
import { SEVERITIES, SOURCE_KINDS, type NormalizedEvent, type Severity, type SourceKind, type StoredEvent } from '../../../server/contracts/events.js';
import type { Db } from '../../../server/store/database.js';
import { EventRepository, type EventQuery } from '../../../server/store/event.repository.js';
import { ftsHost, ftsVars } from '../../../server/store/event-row.js';
import { realisticEvents, rng } from '../../bench/lib/realistic-events.js';
import { ev, eventStore, T0 } from './event-store-helpers.js';

let db: Db;
let events: EventRepository;
let all: StoredEvent[];

const START = Date.UTC(2026, 11, 1);
const TYPES = ['LINK-3-UPDOWN', 'LINK-3-UPDOWNX', 'link.3.updown', 'device.unreachable', '1.3.6.1.6.3.1.1.5.3', 'sshd'];

beforeAll(() => {
  ({ db, events } = eventStore({ ftsPartitionRows: 700 }));
  const r = rng(11);
  const mixed: NormalizedEvent[] = [...realisticEvents(3000, { seed: 3, perSecond: 20, startMs: START })];
  // Rarer sources, severities and types spread through the mix.
  for (let i = 0; i < 400; i++) {
    const at = Math.floor(r() * mixed.length);
    mixed.splice(at, 0, {
      receivedAt: mixed[Math.min(at, mixed.length - 1)]!.receivedAt,
      reportedAt: null,
      source: SOURCE_KINDS[Math.floor(r() * SOURCE_KINDS.length)]!,
      sourceAddress: r() < 0.5 ? null : `198.51.100.${Math.floor(r() * 5)}`,
      deviceId: r() < 0.3 ? null : Math.floor(r() * 8) + 1,
      severity: SEVERITIES[Math.floor(r() * SEVERITIES.length)]!,
      type: TYPES[Math.floor(r() * TYPES.length)]!,
      message: `synthetic ${i} interface ${r() < 0.5 ? 'down' : 'up'} 100%_done`,
      params: {},
    });
  }
  for (let i = 0; i < mixed.length; i += 250) events.insertBatch(mixed.slice(i, i + 250));
  // Retention removes the oldest: the first full-text partition still lists them.
  expect(events.deleteBeyondCap(mixed.length - 150, 1000)).toBe(150);
  all = (db.prepare('SELECT id FROM events ORDER BY id DESC').all() as { id: number }[]).map((r) => events.get(r.id)!);
});

const words = (s: unknown): string[] => (typeof s === 'string' ? (s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) : []);

/** What each filter means, evaluated on every stored event. */
function expected(q: EventQuery, wordSearch?: { column: 'any' | 'app' | 'host'; word: string; prefix: boolean }): number[] {
  const minSev = q.minSeverity ? SEVERITIES.indexOf(q.minSeverity) : 5;
  return all
    .filter((e) => {
      if (q.source?.length && !q.source.includes(e.source)) return false;
      if (SEVERITIES.indexOf(e.severity) > minSev) return false;
      if (q.deviceId !== undefined && e.deviceId !== q.deviceId) return false;
      if (q.from !== undefined && e.receivedAt < q.from) return false;
      if (q.to !== undefined && e.receivedAt > q.to) return false;
      if (q.beforeId !== undefined && e.id >= q.beforeId) return false;
      if (q.type) {
        const p = q.type.endsWith('*');
        const v = q.type.replace(/\*$/, '').toLowerCase();
        if (p ? !e.type.toLowerCase().startsWith(v) : e.type.toLowerCase() !== v) return false;
      }
      if (q.text && ![e.message, e.type, e.sourceAddress ?? ''].some((s) => s.toLowerCase().includes(q.text!.toLowerCase()))) return false;
      if (wordSearch) {
        const host = ftsHost(e.params, e.sourceAddress);
        const app = typeof e.params.appName === 'string' ? e.params.appName : null;
        const fields = wordSearch.column === 'app' ? [app] : wordSearch.column === 'host' ? [host] : [e.message, e.type, host, app, ftsVars(e.params)];
        const tokens = fields.flatMap(words);
        if (!tokens.some((t) => (wordSearch.prefix ? t.startsWith(wordSearch.word) : t === wordSearch.word))) return false;
      }
      return true;
    })
    .map((e) => e.id);
}

/** Every page of a query, following the cursor. */
function allPages(q: EventQuery): number[] {
  const ids: number[] = [];
  let cursor: number | undefined = q.beforeId;
  for (let page = 0; page < 5000; page++) {
    const r = events.query({ ...q, beforeId: cursor });
    ids.push(...r.items.map((e) => e.id));
    if (r.nextCursor === null) return ids;
    expect(r.nextCursor).toBeLessThan(cursor ?? Number.MAX_SAFE_INTEGER);
    cursor = r.nextCursor;
  }
  throw new Error('too many pages');
}

const t = (s: number) => START + s * 1000;
const FILTERS: EventQuery[] = [
  { limit: 50 },
  { limit: 50, source: ['trap'] },
  { limit: 50, source: ['icmp', 'poll', 'system'] },
  { limit: 50, source: ['syslog', 'trap'] },
  { limit: 50, minSeverity: 'critical' },
  { limit: 50, minSeverity: 'minor' },
  { limit: 50, minSeverity: 'warning' },
  { limit: 50, minSeverity: 'info' },
  { limit: 50, deviceId: 3 },
  { limit: 50, deviceId: 999 },
  { limit: 50, type: 'LINK-3-UPDOWN' },
  { limit: 50, type: 'link-3-updown' },
  { limit: 50, type: 'LINK-3*' },
  { limit: 50, type: 'LINEPROTO-5*' },
  { limit: 50, type: '1.3.6.1.6.3.1.1.5.3' },
  { limit: 50, from: t(20), to: t(95) },
  { limit: 50, from: t(140) },
  { limit: 50, to: t(30) },
  { limit: 50, text: '100%_' },
  { limit: 50, text: 'GIGABIT' },
  { limit: 50, source: ['trap', 'icmp'], minSeverity: 'warning' },
  { limit: 50, deviceId: 2, minSeverity: 'major' },
  { limit: 50, deviceId: 5, source: ['syslog'], from: t(10), to: t(120) },
  { limit: 50, type: 'sshd', minSeverity: 'major', deviceId: 8 },
  { limit: 50, source: ['system'], type: 'device.unreachable', minSeverity: 'minor', from: t(5), to: t(160) },
  { limit: 50, deviceId: 4, text: 'interface' },
  { limit: 50, minSeverity: 'info', source: ['poll'], beforeId: 2000 },
];

describe('event filters', () => {
  it('give exactly the events each filter and combination means, newest first, across pages', () => {
    for (const q of FILTERS) expect(allPages(q), JSON.stringify(q)).toEqual(expected(q));
    for (const limit of [1, 7, 1000]) expect(allPages({ limit, minSeverity: 'warning', source: ['syslog', 'trap'] })).toEqual(expected({ limit, minSeverity: 'warning', source: ['syslog', 'trap'] }));
  });

  it('full-text search finds by word, prefix and field, alone and with filters', () => {
    const cases: [EventQuery, { column: 'any' | 'app' | 'host'; word: string; prefix: boolean }][] = [
      [{ limit: 40, search: 'interface' }, { column: 'any', word: 'interface', prefix: false }],
      [{ limit: 40, search: 'gigabit*' }, { column: 'any', word: 'gigabit', prefix: true }],
      [{ limit: 40, search: 'app:sshd' }, { column: 'app', word: 'sshd', prefix: false }],
      [{ limit: 40, search: 'host:web18' }, { column: 'host', word: 'web18', prefix: false }],
      [{ limit: 40, search: 'interface', minSeverity: 'major', source: ['syslog', 'system'] }, { column: 'any', word: 'interface', prefix: false }],
      [{ limit: 40, search: 'accepted', deviceId: 8, from: t(10), to: t(150) }, { column: 'any', word: 'accepted', prefix: false }],
      [{ limit: 40, search: 'zzzznothing' }, { column: 'any', word: 'zzzznothing', prefix: false }],
    ];
    for (const [q, w] of cases) {
      const want = expected(q, w);
      expect(allPages(q), JSON.stringify(q)).toEqual(want);
      if (q.search !== 'zzzznothing') expect(want.length, JSON.stringify(q)).toBeGreaterThan(0);
    }
    // type: in the search is the whole type, exact or prefix.
    expect(allPages({ limit: 100, search: 'type:LINEPROTO*' })).toEqual(expected({ limit: 100, type: 'LINEPROTO*' }));
    expect(allPages({ limit: 100, search: 'type:sshd' })).toEqual(expected({ limit: 100, type: 'sshd' }));
    // Phrases and exclusions.
    const phrase = allPages({ limit: 100, search: '"changed state to down"' });
    expect(phrase.length).toBeGreaterThan(0);
    expect(phrase.every((id) => all.find((e) => e.id === id)!.message.toLowerCase().includes('changed state to down'))).toBe(true);
    const excluded = allPages({ limit: 100, search: 'interface -down' });
    expect(excluded.length).toBeGreaterThan(0);
    expect(excluded.every((id) => !words(all.find((e) => e.id === id)!.message).includes('down'))).toBe(true);
  });

  it('never shows events retention removed, though their partition still lists them', () => {
    const oldest = all.at(-1)!.id;
    expect(oldest).toBe(151);
    const found = allPages({ limit: 100, search: 'interface' });
    expect(Math.min(...found)).toBeGreaterThanOrEqual(oldest);
    expect(events.get(150)).toBeUndefined();
  });

  it('stops on its scan bound with partial and a cursor, never an unbounded scan (substring: a window per call)', () => {
    // The same database through repositories with small bounds.
    const small = new EventRepository(db, { scanBudget: 300, substringWindow: 500 });
    const none = small.query({ limit: 10, text: 'no such text anywhere' });
    expect(none).toEqual({ items: [], nextCursor: all[0]!.id - 500 + 1, partial: true });
    const pages = (q: EventQuery) => {
      const ids: number[] = [];
      let cursor: number | undefined;
      let partials = 0;
      for (;;) {
        const r = small.query({ ...q, beforeId: cursor });
        ids.push(...r.items.map((e) => e.id));
        if (r.partial) partials++;
        if (r.nextCursor === null) return { ids, partials };
        cursor = r.nextCursor;
      }
    };
    const cases: [EventQuery, boolean][] = [
      [{ limit: 100, text: 'synthetic' }, true],
      [{ limit: 20, minSeverity: 'major', source: ['syslog', 'system'] }, false],
      [{ limit: 5000, minSeverity: 'info' }, true],
      [{ limit: 20, search: 'interface', deviceId: 3 }, false],
      [{ limit: 20, minSeverity: 'debug', type: 'sshd' }, false],
    ];
    for (const [q, partial] of cases) {
      const r = pages(q);
      if (partial) expect(r.partials, JSON.stringify(q)).toBeGreaterThan(0);
      expect(r.ids, JSON.stringify(q)).toEqual(expected(q, q.search ? { column: 'any', word: q.search, prefix: false } : undefined));
    }
    expect(events.query({ limit: 5, text: 'synthetic' }).items).toHaveLength(5);
  });

  it('moves its cursor on when a call finds nothing within its bound, so following the cursor always ends', () => {
    // 60,000 events of one second: the exact time, info (no tag) and the source tag all have to be checked
    // far from where a call starts. Every call spends its budget without finding anything for a while.
    const { db: denseDb, events: dense } = eventStore({ scanBudget: 3_000 } as never);
    const base = Date.UTC(2026, 11, 3, 10, 0, 0);
    const n = 60_000;
    const batch = Array.from({ length: n }, (_, i) =>
      ev(i, { receivedAt: base + Math.floor(i / 100), severity: i === 7 || i === 50_007 ? 'info' : 'debug', source: i % 2 ? 'trap' : 'syslog', message: `dense ${i}` }),
    );
    const stored: StoredEvent[] = [];
    for (let i = 0; i < n; i += 5000) stored.push(...dense.insertBatch(batch.slice(i, i + 5000)));
    expect(stored).toHaveLength(n);
    const want = (pred: (i: number) => boolean) => stored.filter((_e, i) => pred(i)).map((e) => e.id).reverse();
    const cases: [EventQuery, number[]][] = [
      [{ limit: 10, minSeverity: 'info' }, want((i) => i === 7 || i === 50_007)],
      [{ limit: 10, from: base + 100, to: base + 100 }, want((i) => Math.floor(i / 100) === 100)],
      [{ limit: 10, source: ['trap'], from: base + 3, to: base + 3 }, want((i) => Math.floor(i / 100) === 3 && i % 2 === 1)],
      [{ limit: 10, minSeverity: 'info', source: ['trap'] }, want((i) => i === 7 || i === 50_007)],
    ];
    for (const [q, ids] of cases) {
      const got: number[] = [];
      let cursor: number | undefined;
      let calls = 0;
      for (;;) {
        const r = dense.query({ ...q, beforeId: cursor });
        got.push(...r.items.map((e) => e.id));
        calls++;
        if (r.nextCursor === null) break;
        expect(r.nextCursor, JSON.stringify(q)).toBeLessThan(cursor ?? Number.MAX_SAFE_INTEGER);
        expect(calls, JSON.stringify(q)).toBeLessThan(500);
        cursor = r.nextCursor;
      }
      expect(got, JSON.stringify(q)).toEqual(ids);
      expect(calls, JSON.stringify(q)).toBeGreaterThan(2); // the bound did stop calls on the way
    }
    denseDb.close();
  });

  it('answers every filter and combination from an index: EXPLAIN QUERY PLAN shows no full scan and no sort', () => {
    const sources: SourceKind[][] = [[], ['trap'], ['syslog', 'icmp']];
    const severities: (Severity | undefined)[] = [undefined, 'critical', 'warning', 'info'];
    const extras: Partial<EventQuery>[] = [{}, { deviceId: 3 }, { type: 'LINK-3*' }, { search: 'interface down' }, { from: t(20), to: t(90) }, { beforeId: 1500 }, { text: 'gigabit' }];
    let checked = 0;
    for (const source of sources) {
      for (const minSeverity of severities) {
        for (const extra of extras) {
          for (const extra2 of [{}, { deviceId: 2, from: t(30) }, { search: 'app:sshd', type: 'sshd' }]) {
            const q: EventQuery = { limit: 50, ...(source.length ? { source } : {}), ...(minSeverity ? { minSeverity } : {}), ...extra, ...extra2 };
            for (const { sql, plan } of events.explain(q)) {
              const where = `${JSON.stringify(q)}\n${sql}\n${plan.join('\n')}`;
              for (const line of plan) {
                expect(line, where).not.toMatch(/^SCAN (events|event_minutes|event_counts|unknown_senders|devices)\b/);
                expect(line, where).not.toMatch(/TEMP B-TREE/);
                if (/VIRTUAL TABLE/.test(line)) expect(line, where).toMatch(/VIRTUAL TABLE INDEX \d+:M/);
              }
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });
});

describe('time ranges', () => {
  it('map to id ranges through the per-minute table, exact to the millisecond', () => {
    const e = all[Math.floor(all.length / 2)]!;
    const r = events.query({ limit: 1000, from: e.receivedAt, to: e.receivedAt });
    expect(r.items.length).toBeGreaterThan(0);
    expect(r.items.every((x) => x.receivedAt === e.receivedAt)).toBe(true);
    expect(events.query({ limit: 10, from: T0 + 10 * 86_400_000 }).items).toEqual([]);
    expect(events.query({ limit: 10, to: START - 1 }).items).toEqual([]);
  });

  it('narrow a range to the second in a busy minute: a one-second range reads about a second of events', () => {
    // 30,000 events in one minute (500 a second); the scan budget lets a query read far fewer rows than the minute holds.
    const { db: busyDb, events: busy } = eventStore({ scanBudget: 5_000 } as never);
    const base = Date.UTC(2026, 11, 2, 10, 0, 0);
    const batch = Array.from({ length: 30_000 }, (_, i) => ev(i, { receivedAt: base + Math.floor(i / 500) * 1000 + (i % 500), message: `busy ${i}` }));
    for (let i = 0; i < batch.length; i += 1000) busy.insertBatch(batch.slice(i, i + 1000));
    const r = busy.query({ limit: 1000, from: base + 30_000, to: base + 30_999 });
    expect(r.partial).toBeUndefined(); // answered within its budget: it did not read the minute
    expect(r.nextCursor).toBeNull();
    expect(r.items.map((e) => e.message)).toEqual(Array.from({ length: 500 }, (_, k) => `busy ${15_499 - k}`));
    busyDb.close();
  });

  it('find events stored out of receive order (a batch that waited in a queue)', () => {
    const { db: lateDb, events: late } = eventStore();
    const base = Date.UTC(2026, 11, 2, 10, 0, 0);
    const batch = Array.from({ length: 6000 }, (_, i) => ev(i, { receivedAt: base + Math.floor(i / 100) * 1000 + (i % 100), message: `busy ${i}` }));
    // Received at second 10, stored after second 59.
    for (let i = 0; i < 20; i++) batch.push(ev(i, { receivedAt: base + 10_000 + i, message: `late ${i}` }));
    for (let i = 0; i < batch.length; i += 500) late.insertBatch(batch.slice(i, i + 500));
    const second10 = late.query({ limit: 1000, from: base + 10_000, to: base + 10_999 });
    expect(second10.items.filter((e) => e.message.startsWith('late'))).toHaveLength(20);
    expect(second10.items).toHaveLength(120);
    expect(second10.nextCursor).toBeNull();
    const second30 = late.query({ limit: 1000, from: base + 30_000, to: base + 30_999 });
    expect(second30.items).toHaveLength(100);
    lateDb.close();
  });
});
