/**
 * The PostgreSQL event store on a real PostgreSQL: hostile text (quotes,
 * backslashes, NUL, lone surrogates, `__proto__`), a batch PostgreSQL partly
 * refuses (its good rows stored), and retention by dropping day partitions.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent, StoredEvent } from '../../../server/contracts/events.js';
import { PG_MIGRATIONS_DIR } from '../../../server/paths.js';
import { eventRows } from '../../../server/store/event.repository.js';
import { openEventStoreThread } from '../../../server/store/event-store-thread.js';
import { EventSearchError } from '../../../server/store/event-search.parser.js';
import { migratePostgres, readMigrations } from '../../../server/store/pg/migrate.js';
import { PgEventRepository } from '../../../server/store/pg/pg-event.repository.js';
import { PgEventWriter } from '../../../server/store/pg/pg-event-writer.js';
import { DAY_MS } from '../../../server/store/pg/pg-types.js';
import { postgresAvailable, startPostgres, type PostgresHandle } from '../../helpers/postgres.js';
import { eventStore } from './event-store-helpers.js';

const ev = (id: number, receivedAt: number, over: Partial<NormalizedEvent> = {}): StoredEvent => ({
  id,
  receivedAt,
  reportedAt: null,
  source: 'syslog',
  sourceAddress: '192.0.2.1',
  deviceId: null,
  severity: 'info',
  type: 'test',
  message: `message ${id}`,
  params: {},
  ...over,
});

/** What a user (or an attacker) may type or send: tsquery and SQL syntax, quotes, backslashes, NUL, unicode. */
const HOSTILE = [
  '"', '""', '"unclosed phrase', 'a"b', "'", "''", "a'b", "' OR 1=1 --", '"; DROP TABLE events; --', '\\', '\\\\', 'a\\b', "\\'", '%', '_', '%_%',
  '(', ')', '()', '*', ':*', 'a:*', '&', '|', '!', '!a', 'a & b', 'a | b', '<->', 'a <-> b', 'a <2> b', 'a:A', 'a:*B', 'host:', 'type:*', 'msg:"',
  '-', '-a', '- a', 'NOT', 'AND a', '\u0000', 'nul\u0000byte', '\u200b', 'Zürich Störung', '日本', '🙂', 'x\ud800y', 'a'.repeat(600), 'x '.repeat(16).trim(),
];

describe.skipIf(!postgresAvailable())('PostgreSQL event store (real PostgreSQL)', () => {
  let pgs: PostgresHandle;
  beforeAll(async () => {
    pgs = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await pgs?.stop();
  });

  const migrated = async () => {
    const url = await pgs.newDatabase();
    await migratePostgres(url, readMigrations(PG_MIGRATIONS_DIR));
    return url;
  };

  describe('hostile text', () => {
    let url: string;
    let pool: pg.Pool;
    let repo: PgEventRepository;
    let stats: Record<string, number>;
    const now = Date.now();
    const events: StoredEvent[] = [];

    beforeAll(async () => {
      url = await pgs.newDatabase();
      let id = 1;
      for (const h of HOSTILE) {
        events.push(ev(id++, now, { message: `literal ${h} end`, type: `T${h}`, sourceAddress: h, params: { hostname: h, appName: h, note: h } }));
      }
      // __proto__, constructor and prototype as params keys (JSON.parse makes them own keys, never the prototype).
      events.push(ev(id++, now, { message: 'proto params', params: JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}, "a": "\\u0000"}') }));
      events.push(ev(id++, now, { message: 'nested proto', params: { varbinds: [JSON.parse('{"oid": "1.3.6.1.4.1.9.9.1", "type": "OctetString", "value": "v", "__proto__": "x"}')] } }));
      const thread = await openEventStoreThread({ postgresUrl: url }, { maintenanceIntervalMs: 3_600_000 });
      await thread.insert(eventRows(events));
      stats = await thread.maintain();
      await thread.close();
      pool = PgEventRepository.pool(url);
      repo = new PgEventRepository(pool);
    }, 60_000);
    afterAll(async () => {
      await pool?.end();
    });

    it('stores every hostile event of the batch; NUL in text columns becomes U+FFFD, params keep theirs exactly', async () => {
      expect(stats.rows_rejected).toBe(0);
      expect(stats.nul_replaced).toBeGreaterThan(0);
      for (const e of events) {
        const got = await repo.get(e.id);
        expect(got, `event ${e.id}`).toBeDefined();
        const fffd = (s: string | null) => s && s.replace(/\u0000/g, '\uFFFD').replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\uFFFD');
        expect(got!.message).toBe(fffd(e.message));
        expect(got!.type).toBe(fffd(e.type));
        expect(got!.sourceAddress).toBe(fffd(e.sourceAddress));
        expect(JSON.stringify(got!.params)).toBe(JSON.stringify(e.params));
      }
    });

    it('keeps __proto__ params as own data, never as a prototype', async () => {
      const got = (await repo.get(events.at(-2)!.id))!;
      expect(Object.hasOwn(got.params, '__proto__')).toBe(true);
      expect((got.params as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(got.params.a).toBe('\u0000');
    });

    it('answers every hostile search, type filter and substring like SQLite does (or refuses it the same way), never with a database error', async () => {
      const { events: sqlite } = eventStore();
      sqlite.insertBatch(events.map(({ id: _, ...e }) => ({ ...e, params: structuredClone(e.params) })));
      const wrong: string[] = [];
      for (const h of HOSTILE) {
        for (const q of [{ search: h }, { type: h }, { text: h }, { search: `host:${h}` }, { search: `"${h}"*` }, { search: `-${h} literal` }]) {
          let expected: number[] | EventSearchError;
          try {
            expected = sqlite.query({ ...q, limit: 500 }).items.map((e) => e.id);
          } catch (err) {
            expected = err as EventSearchError;
          }
          const label = JSON.stringify(q);
          if (expected instanceof Error) {
            expect(expected, label).toBeInstanceOf(EventSearchError);
            await expect(repo.query({ ...q, limit: 500 }), label).rejects.toThrow(expected.message);
            continue;
          }
          const got = (await repo.query({ ...q, limit: 500 })).items.map((e) => e.id);
          // A substring with NUL: PostgreSQL holds U+FFFD where SQLite holds NUL (documented difference).
          if (q.text?.includes('\u0000') || q.text?.match(/[\ud800-\udfff]/)) continue;
          if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push(`${label}: ${JSON.stringify(got)} vs SQLite ${JSON.stringify(expected)}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  });

  it('stores the good rows of a batch PostgreSQL partly refuses, and counts the refused ones', async () => {
    const url = await migrated();
    const w = await PgEventWriter.open(url);
    const t = Date.now();
    try {
      await w.insert(eventRows([ev(1, t), ev(2, t)]));
      // Ids 1 and 2 again (same received time: the same primary key) among good rows 3..6.
      await w.insert(eventRows([ev(3, t), ev(1, t, { message: 'dup' }), ev(4, t), ev(2, t, { message: 'dup' }), ev(5, t), ev(6, t)]), ['batch-7']);
      expect(w.stats.rows_rejected).toBe(2);
      expect(w.stats.batches_retried_by_row).toBe(1);
      const r = await w.client.query<{ id: number; message: string }>('SELECT id, message FROM events ORDER BY id');
      expect(r.rows).toEqual([1, 2, 3, 4, 5, 6].map((id) => ({ id, message: `message ${id}` })));
      expect(await w.batchStored('batch-7')).toBe(true);
      const c = await w.client.query<{ rows: number }>('SELECT sum(rows)::bigint AS rows FROM event_partitions');
      expect(c.rows[0]!.rows).toBe(6);
    } finally {
      await w.close();
    }
  });

  describe('retention', () => {
    const today = Math.floor(Date.UTC(2026, 11, 7, 12) / DAY_MS);
    const at = (day: number, h = 12) => day * DAY_MS + h * 3_600_000;
    const tables = async (c: pg.Client) =>
      (await c.query<{ relname: string }>("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass ORDER BY 1")).rows.map((r) => r.relname);

    it('creates today’s and the next days’ partitions, and drops whole partitions older than the retention (rows of other days stay)', async () => {
      const url = await migrated();
      let now = at(today);
      const w = await PgEventWriter.open(url, { retention: { maxAgeMs: 2 * DAY_MS, maxRows: 0 }, now: () => now });
      try {
        await w.maintain();
        expect(await tables(w.client)).toEqual(['events_20261207', 'events_20261208', 'events_20261209', 'events_20261210', 'events_default']);
        let id = 1;
        const rows: StoredEvent[] = [];
        for (const d of [today - 2, today - 1, today]) for (let i = 0; i < 100; i++) rows.push(ev(id++, at(d, i % 24)));
        // A clock far off: kept in the default partition, never refused.
        rows.push(ev(id++, at(today - 400)));
        await w.insert(eventRows(rows));
        expect((await w.client.query('SELECT count(*)::int AS n FROM events')).rows[0].n).toBe(301);
        expect((await w.client.query('SELECT count(*)::int AS n FROM events_default')).rows[0].n).toBe(1);

        now = at(today + 1);
        await w.maintain();
        // Cutoff: two days before now (12:00 on the 6th): the 5th goes whole, the 6th stays whole.
        expect(await tables(w.client)).toEqual(['events_20261206', 'events_20261207', 'events_20261208', 'events_20261209', 'events_20261210', 'events_20261211', 'events_default']);
        expect(w.stats.retention_partitions_age).toBe(1);
        expect(w.stats.retention_default_removed).toBe(1);
        const left = await w.client.query<{ id: number }>('SELECT id FROM events ORDER BY id');
        expect(left.rows.map((r) => r.id)).toEqual(Array.from({ length: 200 }, (_, i) => 101 + i));
      } finally {
        await w.close();
      }
    });

    it('with retentionBySingleton, the store thread drops nothing until told this node holds event-retention', async () => {
      const url = await migrated();
      const thread = await openEventStoreThread({ postgresUrl: url }, { maintenanceIntervalMs: 3_600_000, retention: { maxAgeMs: 2 * DAY_MS, maxRows: 0 }, retentionBySingleton: true });
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const old = Date.now() - 5 * DAY_MS;
        await thread.insert(eventRows(Array.from({ length: 10 }, (_, i) => ev(i + 1, old + i))));
        const count = async () => (await c.query('SELECT count(*)::int AS n FROM events')).rows[0].n as number;
        expect((await thread.maintain()).retention_held).toBe(0);
        expect(await count()).toBe(10);
        thread.setRetentionHeld!(true);
        expect((await thread.maintain()).retention_held).toBe(1);
        expect(await count()).toBe(0);
        thread.setRetentionHeld!(false);
        await thread.insert(eventRows([ev(11, old)]));
        await thread.maintain();
        expect(await count()).toBe(1);
      } finally {
        await c.end();
        await thread.close();
      }
    });

    it('the row cap drops the oldest whole days while the newer days still hold the cap', async () => {
      const url = await migrated();
      const now = at(today);
      const w = await PgEventWriter.open(url, { retention: { maxAgeMs: 30 * DAY_MS, maxRows: 150 }, now: () => now });
      try {
        let id = 1;
        const rows: StoredEvent[] = [];
        for (const d of [today - 3, today - 2, today - 1, today]) for (let i = 0; i < 100; i++) rows.push(ev(id++, at(d, i % 24)));
        await w.insert(eventRows(rows));
        await w.maintain();
        // 400 rows, cap 150: the 4th and 5th go (200 left: dropping the 6th would leave 100 < 150).
        expect(w.stats.retention_partitions_cap).toBe(2);
        const left = await w.client.query<{ n: number; lo: number }>('SELECT count(*)::int AS n, min(id) AS lo FROM events');
        expect(left.rows[0]).toEqual({ n: 200, lo: 201 });
      } finally {
        await w.close();
      }
    });

    it('a day that had gone to the default partition moves into its own partition when that is created', async () => {
      const url = await migrated();
      let now = at(today);
      const w = await PgEventWriter.open(url, { now: () => now });
      try {
        // Ten days ahead: beyond the days created ahead, so into the default partition.
        await w.insert(eventRows([ev(1, at(today + 10)), ev(2, at(today))]));
        expect((await w.client.query('SELECT count(*)::int AS n FROM events_default')).rows[0].n).toBe(1);
        now = at(today + 9);
        await w.maintain();
        expect((await w.client.query('SELECT count(*)::int AS n FROM events_default')).rows[0].n).toBe(0);
        expect((await w.client.query('SELECT id FROM events_20261217')).rows).toEqual([{ id: 1 }]);
        expect((await w.client.query("SELECT rows FROM event_partitions WHERE name = 'events_20261217'")).rows).toEqual([{ rows: 1 }]);
      } finally {
        await w.close();
      }
    });
  });
});
