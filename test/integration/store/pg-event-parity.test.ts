/**
 * The PostgreSQL event store against the SQLite one, fed the SAME 10,000
 * events with the same ids: every filter and search form, paged with the same
 * cursors, must give the same pages (items, cursor, partial). Written to
 * PostgreSQL through the event store thread (pg/pg-event-store.worker.ts),
 * read back through PgEventRepository; on a real PostgreSQL.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSyslog } from '../../../server/collectors/syslog/syslog.parser.js';
import { SEVERITIES, SOURCE_KINDS, type NormalizedEvent, type StoredEvent } from '../../../server/contracts/events.js';
import { eventRows, type EventPage, type EventQuery, type EventRepository } from '../../../server/store/event.repository.js';
import { openEventStoreThread } from '../../../server/store/event-store-thread.js';
import { EventSearchError } from '../../../server/store/event-search.parser.js';
import { PgEventRepository } from '../../../server/store/pg/pg-event.repository.js';
import { createLogger } from '../../../server/log/logger.js';
import { inlineReads } from '../../../server/store/read-ops.js';
import { ReadPool } from '../../../server/store/read-pool.js';
import { postgresAvailable, startPostgres, type PostgresHandle } from '../../helpers/postgres.js';
import { eventStore } from './event-store-helpers.js';

const N = 10_000;
const T0 = Date.UTC(2026, 11, 1, 22, 0, 0);
/** Three and a half days of events: several day partitions. */
const STEP_MS = 30_000;

const WORDS = ['interface', 'down', 'up', 'changed', 'state', 'link', 'linkage', 'failed', 'password', 'accepted', 'publickey', 'core', 'sw1', 'Zürich', 'Störung', 'café', 'ÜBER', '日本', 'cron', 'session', 'opened', 'closed'];
const TYPES = ['LINEPROTO-5-UPDOWN', 'LINK-3-UPDOWN', 'sshd', 'CRON', 'a-b', 'a.b', 'linkDown', 'BGP_PREFIX_THRESH_EXCEEDED', ''];
const HOSTS = ['core-sw1', 'core-sw2', 'web01', 'mx480', 'edge.example.net'];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function makeEvents(): NormalizedEvent[] {
  const r = rng(42);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  const out: NormalizedEvent[] = [];
  for (let i = 0; i < N; i++) {
    const receivedAt = T0 + i * STEP_MS + Math.floor(r() * 1000);
    const words = Array.from({ length: 3 + Math.floor(r() * 6) }, () => pick(WORDS)).join(' ');
    const kind = r();
    const address = `192.0.2.${1 + Math.floor(r() * 20)}`;
    const deviceId = r() < 0.6 ? 1 + Math.floor(r() * 10) : null;
    const severity = pick(SEVERITIES);
    if (kind < 0.5) {
      const host = pick(HOSTS);
      const type = pick(TYPES.filter((t) => t && !t.includes('.') && t !== 'linkDown'));
      const line = type === 'sshd' || type === 'CRON' ? `<38>Jun 15 11:00:00 ${host} ${type}[42]: ${words}` : `<189>12: ${host}: Jun 15 11:00:00.000 UTC: %${type}: ${words}`;
      const e = parseSyslog(Buffer.from(line), { receivedAt, sourceAddress: address });
      out.push({ ...e, deviceId, severity });
    } else if (kind < 0.8) {
      out.push({
        receivedAt,
        reportedAt: null,
        source: 'trap',
        sourceAddress: address,
        deviceId,
        severity,
        type: pick(['linkDown', '1.3.6.1.6.3.1.1.5.3', 'a.b', 'a-b']),
        message: `linkDown: ${words}`,
        params: { varbinds: [{ oid: '1.3.6.1.2.1.2.2.1.2.3', type: 'OctetString', value: `uplink-to-${pick(HOSTS)}` }] },
      });
    } else {
      out.push({
        receivedAt,
        reportedAt: receivedAt - 5,
        source: pick(SOURCE_KINDS.filter((s) => s !== 'syslog' && s !== 'trap')),
        sourceAddress: r() < 0.2 ? null : address,
        deviceId,
        severity,
        type: pick(TYPES),
        message: `${words} 100%_done`,
        params: { n: i, note: pick(WORDS) },
      });
    }
  }
  return out;
}

describe.skipIf(!postgresAvailable())('PostgreSQL event store: same pages as SQLite for the same events (real PostgreSQL)', () => {
  let pgs: PostgresHandle;
  let pool: pg.Pool;
  let sqlite: EventRepository;
  let pgRepo: PgEventRepository;
  let stored: StoredEvent[];
  let url: string;
  let sqliteDb: ReturnType<typeof eventStore>['db'];

  beforeAll(async () => {
    pgs = await startPostgres();
    url = await pgs.newDatabase();
    let db;
    ({ events: sqlite, db } = eventStore());
    sqliteDb = db;
    stored = sqlite.insertBatch(makeEvents());
    expect(stored[0]!.id).toBe(1);
    // The same rows (same ids) through the PostgreSQL event store thread, in batches of 500.
    const thread = await openEventStoreThread({ postgresUrl: url }, { maintenanceIntervalMs: 3_600_000 });
    const rows = eventRows(stored);
    const width = rows.length / stored.length;
    const done: Promise<void>[] = [];
    for (let i = 0; i < stored.length; i += 500) done.push(thread.insert(rows.slice(i * width, Math.min(stored.length, i + 500) * width)));
    await Promise.all(done);
    await thread.close();
    pool = PgEventRepository.pool(url);
    pgRepo = new PgEventRepository(pool);
  }, 180_000);

  afterAll(async () => {
    await pool?.end();
    await pgs?.stop();
  });

  /** Every page of `q` from both stores, following each one's own cursor. */
  async function pages(q: Omit<EventQuery, 'limit'>, limit: number): Promise<{ sqlite: EventPage[]; pg: EventPage[] }> {
    const run = async (fetch: (q: EventQuery) => Promise<EventPage>) => {
      const out: EventPage[] = [];
      let beforeId: number | undefined;
      for (let n = 0; n < 200; n++) {
        const p = await fetch({ ...q, limit, beforeId });
        out.push(p);
        if (p.nextCursor === null) break;
        beforeId = p.nextCursor;
      }
      return out;
    };
    return { sqlite: await run(async (x) => sqlite.query(x)), pg: await run((x) => pgRepo.query(x)) };
  }

  const mid = T0 + (N / 2) * STEP_MS;
  const CASES: [string, Omit<EventQuery, 'limit'>][] = [
    ['no filter', {}],
    ['one source', { source: ['trap'] }],
    ['two sources', { source: ['poll', 'icmp'] }],
    ['every source (no filter)', { source: [...SOURCE_KINDS] }],
    ['severity warning and worse', { minSeverity: 'warning' }],
    ['severity critical', { minSeverity: 'critical' }],
    ['severity minor, one source', { minSeverity: 'minor', source: ['syslog'] }],
    ['device', { deviceId: 3 }],
    ['device with no events', { deviceId: 999 }],
    ['time range', { from: mid, to: mid + 6 * 3_600_000 }],
    ['from only', { from: T0 + (N - 300) * STEP_MS }],
    ['to only', { to: T0 + 200 * STEP_MS }],
    ['time range across midnight with device', { from: Date.UTC(2026, 11, 2, 20), to: Date.UTC(2026, 11, 3, 4), deviceId: 4 }],
    ['type exact', { type: 'LINEPROTO-5-UPDOWN' }],
    ['type exact, case-insensitive', { type: 'lineproto-5-updown' }],
    ['type prefix', { type: 'LINE*' }],
    ['type sharing a token with another (a-b vs a.b)', { type: 'a-b' }],
    ['type trap OID', { type: '1.3.6.1.6.3.1.1.5.3' }],
    ['search two words', { search: 'interface down' }],
    ['search phrase', { search: '"changed state"' }],
    ['search prefix', { search: 'link*' }],
    ['search host field', { search: 'host:core-sw1' }],
    ['search host by address', { search: 'host:192.0.2.7' }],
    ['search app field', { search: 'app:sshd' }],
    ['search type field prefix', { search: 'type:LINEPROTO*' }],
    ['search type field exact', { search: 'type:a-b' }],
    ['search msg field', { search: 'msg:failed' }],
    ['search exclusion', { search: 'interface -down' }],
    ['search varbind value', { search: 'uplink' }],
    ['search phrase in varbind', { search: '"to core sw2"' }],
    ['search phrase prefix', { search: '"core sw"*' }],
    ['search unicode with diacritics folded', { search: 'zurich' }],
    ['search unicode upper case', { search: 'über störung' }],
    ['search CJK', { search: '日本' }],
    ['search params value is not indexed (finds nothing)', { search: 'note' }],
    ['search with filters', { search: 'link*', source: ['trap'], minSeverity: 'minor', deviceId: 2 }],
    ['search and type filter', { search: 'state', type: 'LINK*' }],
    ['search and time', { search: 'password', from: mid, to: mid + 86_400_000 }],
    ['substring', { text: 'DOWN' }],
    ['substring of an address', { text: '192.0.2.1' }],
    ['substring with LIKE characters', { text: '%_d' }],
    ['substring and source', { text: 'LINKD', source: ['trap'] }],
  ];

  for (const [name, q] of CASES) {
    it(`same pages: ${name}`, async () => {
      const { sqlite: a, pg: b } = await pages(q, 250);
      // Not a comparison of two empty answers (except where nothing is the answer).
      if (/no events|finds nothing/.test(name)) expect(a.flatMap((p) => p.items)).toEqual([]);
      else expect(a.flatMap((p) => p.items).length).toBeGreaterThan(0);
      expect(b.map((p) => ({ ids: p.items.map((e) => e.id), next: p.nextCursor, partial: p.partial }))).toEqual(
        a.map((p) => ({ ids: p.items.map((e) => e.id), next: p.nextCursor, partial: p.partial })),
      );
      expect(b).toEqual(a);
    });
  }

  it('pages the same when a search reads small id windows (700 ids, then 4x each)', async () => {
    const split = new PgEventRepository(pool, { searchHead: 700 });
    const wrong: string[] = [];
    for (const [name, q] of CASES.filter(([, c]) => c.search || c.type)) {
      let a: number | null | undefined;
      let b: number | null | undefined;
      for (let n = 0; n < 100; n++) {
        const pa = sqlite.query({ ...q, limit: 120, beforeId: a ?? undefined });
        const pb = await split.query({ ...q, limit: 120, beforeId: b ?? undefined });
        if (JSON.stringify(pb) !== JSON.stringify(pa)) wrong.push(`${name}, page ${n}`);
        a = pa.nextCursor;
        b = pb.nextCursor;
        if (a === null || b === null) break;
      }
    }
    expect(wrong).toEqual([]);
  });

  it('pages the same with a small window for the substring match (partial pages, cursors below the window)', async () => {
    const small = new PgEventRepository(pool, { substringWindow: 1000 });
    const { events: sqliteSmall } = eventStore({ substringWindow: 1000 } as never);
    sqliteSmall.insertBatch(makeEvents());
    const q: EventQuery = { text: 'sw1', limit: 100 };
    let a: number | null | undefined;
    let b: number | null | undefined;
    for (let n = 0; n < 30; n++) {
      const pa = sqliteSmall.query({ ...q, beforeId: a ?? undefined });
      const pb = await small.query({ ...q, beforeId: b ?? undefined });
      expect({ ids: pb.items.map((e) => e.id), next: pb.nextCursor, partial: pb.partial }).toEqual({ ids: pa.items.map((e) => e.id), next: pa.nextCursor, partial: pa.partial });
      a = pa.nextCursor;
      b = pb.nextCursor;
      if (a === null) break;
    }
  });

  it('serves the events reads from reader threads (ReadPool on PostgreSQL) with the same results as SQLite reads', async () => {
    const reads = await ReadPool.open({ file: { postgresUrl: url }, threads: 2, queryTimeoutMs: 10_000, maxQueue: 100, log: createLogger({ level: 'silent', format: 'json' }) });
    const ref = inlineReads(sqliteDb);
    try {
      for (const [, q] of CASES.slice(0, 25)) expect(await reads.run('events.query', { ...q, limit: 50 })).toEqual(await ref.run('events.query', { ...q, limit: 50 }));
      expect(await reads.run('events.get', 4321)).toEqual(await ref.run('events.get', 4321));
      const page = { filter: { source: ['trap' as const] }, limit: 100, format: 'csv' as const, deviceNames: [[3, 'r3']] as [number, string][], header: true };
      const a = await reads.run('events.exportPage', page);
      const b = await ref.run('events.exportPage', page);
      expect(new TextDecoder().decode(a.bytes)).toBe(new TextDecoder().decode(b.bytes));
      expect(a.nextCursor).toBe(b.nextCursor);
      // The other ops are served too now (through readerRepositories on a PgDb; pg-read-ops.test.ts covers each).
      expect(await reads.run('dashboard.summary', { sinceMs: 0, top: 5 })).toEqual(await ref.run('dashboard.summary', { sinceMs: 0, top: 5 }));
    } finally {
      await reads.close();
    }
  });

  it('every stored event reads back equal by id (params decoded, key order kept)', async () => {
    for (const id of [1, 2, 3, 777, 5000, 9999, N]) {
      const e = await pgRepo.get(id);
      expect(e).toEqual(sqlite.get(id));
      expect(JSON.stringify(e)).toBe(JSON.stringify(sqlite.get(id)));
    }
    expect(await pgRepo.get(N + 1)).toBeUndefined();
  });

  it('refuses the same searches as SQLite, with the same message', async () => {
    for (const search of ['***', '-down', '"" ()', Array.from({ length: 17 }, (_, i) => `w${i}`).join(' ')]) {
      let expected: unknown;
      try {
        sqlite.query({ search, limit: 10 });
      } catch (err) {
        expected = err;
      }
      expect(expected).toBeInstanceOf(EventSearchError);
      await expect(pgRepo.query({ search, limit: 10 })).rejects.toThrow((expected as Error).message);
    }
  });

  it('stored the events in day partitions, each counted', async () => {
    const c = await pool.query<{ name: string; rows: number }>('SELECT name, rows FROM event_partitions WHERE rows > 0 ORDER BY day');
    expect(c.rows.map((r) => r.name)).toEqual(['events_20261201', 'events_20261202', 'events_20261203', 'events_20261204', 'events_20261205']);
    expect(c.rows.reduce((s, r) => s + r.rows, 0)).toBe(N);
    const d = await pool.query<{ n: number }>('SELECT count(*) AS n FROM events_default');
    expect(d.rows[0]!.n).toBe(0);
  });
});
