/**
 * Several event writers on one PostgreSQL (two central nodes' event store
 * threads): ids come in blocks reserved from a sequence, so two writers
 * writing at once never assign the same id and lose nothing; the counters
 * (event_minutes, event_seconds, event_counts, unknown_senders) they add to
 * in their batches' transactions sum up to what one SQLite store counts for
 * the same events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEVERITIES, type Severity, type StoredEvent } from '../../../server/contracts/events.js';
import { eventRows, EventRowInserter } from '../../../server/store/event.repository.js';
import { openEventStoreThread, type EventStoreThread } from '../../../server/store/event-store-thread.js';
import { openPgDb } from '../../../server/store/pg/pg-db.js';
import type { Db } from '../../../server/store/database.js';
import { newPgDatabase } from '../../helpers/store-engines.js';
import { postgresAvailable } from '../../helpers/postgres.js';
import { eventStore } from './event-store-helpers.js';

const NOW = Date.now();
const PER_WRITER = 24_000; // more than two blocks of 10,000 each: blocks are fetched while writing
const BATCH = 800;

/** Event i of writer w: spread over three minutes, six severities, a few types, sources and senders (some with hostile text). */
function event(w: number, i: number, id: number): StoredEvent {
  const hostile = ['__proto__', "O'Brien \"q\"", 'Zürich 🙂', 'nul\u0000byte', 'x'.repeat(2000)];
  return {
    id,
    receivedAt: NOW - 120_000 + ((i * 7 + w * 13) % 180_000),
    reportedAt: null,
    source: (['syslog', 'trap', 'icmp'] as const)[i % 3]!,
    sourceAddress: i % 4 === 0 ? null : `192.0.2.${(i % 5) + w}`,
    deviceId: i % 2 === 0 ? null : (i % 3) + 1,
    severity: SEVERITIES[i % SEVERITIES.length] as Severity,
    type: i % 50 === 0 ? hostile[(i / 50) % hostile.length]! : `type${i % 7}`,
    message: i % 11 === 0 ? hostile[i % hostile.length]! : `writer ${w} event ${i}`,
    params: {},
  };
}

describe.skipIf(!postgresAvailable())('event ids and counters with two writers on one PostgreSQL', () => {
  let url: string;
  let db: Db;
  const written: StoredEvent[][] = [[], []];

  beforeAll(async () => {
    url = await newPgDatabase();
    const threads: EventStoreThread[] = await Promise.all([0, 1].map(() => openEventStoreThread({ postgresUrl: url }, { maintenanceIntervalMs: 3_600_000 })));
    // Both write at once, batch after batch, each taking its ids from its own blocks.
    await Promise.all(
      threads.map(async (t, w) => {
        for (let from = 0; from < PER_WRITER; from += BATCH) {
          const batch: StoredEvent[] = [];
          for (let i = from; i < Math.min(PER_WRITER, from + BATCH); i++) batch.push(event(w, i, t.nextId!()));
          written[w]!.push(...batch);
          await t.insert(eventRows(batch));
        }
      }),
    );
    for (const t of threads) await t.close();
    db = openPgDb(url);
  }, 180_000);
  afterAll(() => db?.close());

  it('assigns every id once across both writers, increasing within each, and stores every event', () => {
    const all = [...written[0]!, ...written[1]!].map((e) => e.id);
    expect(new Set(all).size).toBe(2 * PER_WRITER);
    for (const w of written) for (let i = 1; i < w.length; i++) expect(w[i]!.id).toBeGreaterThan(w[i - 1]!.id);
    // The writers' ids come from different blocks: neither writer's range lies inside one block of the other.
    expect((db.prepare('SELECT count(*) AS n, count(DISTINCT id) AS d FROM events').get() as { n: number; d: number })).toEqual({ n: 2 * PER_WRITER, d: 2 * PER_WRITER });
    const stored = new Set((db.prepare('SELECT id FROM events').pluck().all() as number[]));
    for (const id of all) if (!stored.has(id)) throw new Error(`event ${id} is missing`);
  });

  it('adds both writers into the same counters as one SQLite store counts for the same events', () => {
    const sqlite = eventStore();
    const all = [...written[0]!, ...written[1]!].sort((a, b) => a.id - b.id).map((e) => ({ ...e, params: {} }));
    const inserter = new EventRowInserter(sqlite.db);
    for (let i = 0; i < all.length; i += 1000) inserter.insert(eventRows(all.slice(i, i + 1000)));
    const q = {
      minutes: 'SELECT minute, n, critical, major, minor, warning, info, debug, min_id, max_id FROM event_minutes ORDER BY minute',
      seconds: 'SELECT second, min_id, max_id FROM event_seconds ORDER BY second',
      counts: 'SELECT minute, type, source, severity, device_id, n FROM event_counts',
      // first_seen is left out: within a batch SQLite's sum takes it from the lowest id seen so far, so it depends on how
      // events were cut into batches (here: per writer vs in id order), on both engines alike.
      senders: 'SELECT address, count, last_seen, last_message, first_id, last_id FROM unknown_senders',
    };
    // NUL is stored as U+FFFD on PostgreSQL (docs/POSTGRES.md, "Hostile input").
    const fix = (rows: unknown[]) => rows.map((r) => JSON.stringify(r).replaceAll('\\u0000', '\uFFFD')).sort();
    for (const [name, sql] of Object.entries(q)) {
      const a = fix(sqlite.db.prepare(sql).all());
      const b = fix(db.prepare(sql).all());
      expect(b.length, name).toBeGreaterThan(0);
      expect(b, name).toEqual(a);
    }
    const total = db.prepare('SELECT sum(n) AS n FROM event_counts').get() as { n: number };
    expect(total.n).toBe(2 * PER_WRITER);
    sqlite.db.close();
  });
});

describe.skipIf(!postgresAvailable())('event id blocks when the main thread takes ids faster than blocks arrive', () => {
  it('waits for the next block on the shared buffer and never repeats an id', async () => {
    const url = await newPgDatabase();
    const t = await openEventStoreThread({ postgresUrl: url }, { maintenanceIntervalMs: 3_600_000 });
    try {
      // 25,000 ids without returning to the event loop: the answers cannot arrive as messages.
      const ids: number[] = [];
      for (let i = 0; i < 25_000; i++) ids.push(t.nextId!());
      for (let i = 1; i < ids.length; i++) if (!(ids[i]! > ids[i - 1]!)) throw new Error(`id ${ids[i]} after ${ids[i - 1]}`);
      expect(t.counters().id_block_waits).toBeGreaterThanOrEqual(2);
      // The late message answers are ignored: the next ids still go on from where the blocks left off.
      await new Promise((r) => setTimeout(r, 200));
      const more = Array.from({ length: 100 }, () => t.nextId!());
      expect(more[0]!).toBeGreaterThan(ids.at(-1)!);
      // And a second writer's blocks lie beyond everything reserved so far.
      const other = await openEventStoreThread({ postgresUrl: url }, { maintenanceIntervalMs: 3_600_000 });
      const first = other.nextId!();
      await other.close();
      expect(first).toBeGreaterThan(more.at(-1)!);
    } finally {
      await t.close();
    }
  }, 60_000);
});

describe.skipIf(!postgresAvailable())('counters on PostgreSQL follow retention', () => {
  it('drops the counters of minutes whose events are gone and before the dashboard hour; keeps the recent ones', async () => {
    const { PgEventWriter } = await import('../../../server/store/pg/pg-event-writer.js');
    const url = await newPgDatabase();
    const now = Date.now();
    const w = await PgEventWriter.open(url, { retention: { maxAgeMs: 2 * 86_400_000, maxRows: 0 }, now: () => now });
    const db = openPgDb(url);
    try {
      await w.createAhead();
      // Each set within one minute (10 s past its start), whatever the second the test runs at.
      const minuteStart = (t: number) => Math.floor(t / 60_000) * 60_000 + 10_000;
      const old = [1, 2, 3].map((i) => event(0, i, i)).map((e) => ({ ...e, receivedAt: minuteStart(now - 5 * 86_400_000) + e.id * 1000 }));
      const recent = [4, 5, 6].map((i) => event(0, i, i)).map((e) => ({ ...e, receivedAt: minuteStart(now - 10 * 60_000) + e.id * 1000 }));
      await w.insert(eventRows([...old, ...recent]));
      const minutes = () => db.prepare('SELECT minute FROM event_minutes ORDER BY minute').pluck().all() as number[];
      expect(minutes()).toHaveLength(2);
      await w.maintain();
      expect(minutes()).toEqual([Math.floor(recent[0]!.receivedAt / 60_000)]);
      expect(db.prepare('SELECT DISTINCT minute FROM event_counts').pluck().all()).toEqual(minutes());
      expect(db.prepare('SELECT count(*) AS n FROM event_seconds WHERE second < ?').get(Math.floor(now / 1000) - 86_400)).toEqual({ n: 0 });
      expect(db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 3 });
    } finally {
      db.close();
      await w.close();
    }
  }, 60_000);
});
