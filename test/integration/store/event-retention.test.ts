import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NormalizedEvent, StoredEvent } from '../../../server/contracts/events.js';
import { EventWriter } from '../../../server/events/event-writer.js';
import { createLogger } from '../../../server/log/logger.js';
import { normalizeAddress } from '../../../server/net/normalize-address.js';
import type { Db } from '../../../server/store/database.js';
import { openEventStoreThread, type EventStoreOptions } from '../../../server/store/event-store-thread.js';
import { realisticEvents } from '../../bench/lib/realistic-events.js';
import { count, eventStore } from './event-store-helpers.js';

const log = createLogger({ level: 'silent', format: 'json' });

/** Events through the writer (with a preprocess that may drop) into the real event store thread. */
async function storeThrough(file: string, events: NormalizedEvent[], options: EventStoreOptions, drop: (e: NormalizedEvent) => boolean = () => false) {
  const { EventRepository } = await import('../../../server/store/event.repository.js');
  const { db } = { db: (await import('../../../server/store/database.js')).openDatabase(file) };
  const repo = new EventRepository(db);
  const sink = await openEventStoreThread(file, { maintenanceIntervalMs: 3_600_000, ...options });
  const stored: StoredEvent[] = [];
  const w = new EventWriter(
    repo,
    { flushIntervalMs: 10_000, batchSize: 500, maxQueue: 1_000_000, sink: { rows: sink, nextId: repo.nextId() }, preprocess: (b) => b.filter((e) => !drop(e)), onStored: (b) => stored.push(...b) },
    log,
  );
  for (const e of events) w.push(e);
  await w.close();
  return { db, repo, sink, stored, writer: w };
}

/** The counters' view and a full count, per minute and per (minute, type, source, severity, device). */
function countersAndTruth(db: Db) {
  return {
    minutes: db.prepare('SELECT minute, n, critical, major, minor, warning, info, debug FROM event_minutes ORDER BY minute').all(),
    minutesTruth: db
      .prepare(
        `SELECT received_at / 60000 AS minute, count(*) AS n, sum(severity = 0) AS critical, sum(severity = 1) AS major, sum(severity = 2) AS minor,
                sum(severity = 3) AS warning, sum(severity = 4) AS info, sum(severity = 5) AS debug
           FROM events GROUP BY received_at / 60000 ORDER BY minute`,
      )
      .all(),
    counts: db.prepare('SELECT minute, type, source, severity, device_id, n FROM event_counts ORDER BY minute, type, source, severity, device_id').all(),
    countsTruth: db
      .prepare(
        `SELECT received_at / 60000 AS minute, type, source, severity, coalesce(device_id, 0) AS device_id, count(*) AS n FROM events
          GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
      )
      .all(),
  };
}

function sendersAndTruth(db: Db) {
  const truth = new Map<string, number>();
  for (const r of db.prepare('SELECT source_address AS a FROM events WHERE device_id IS NULL AND source_address IS NOT NULL').all() as { a: string }[]) {
    const a = normalizeAddress(r.a);
    truth.set(a, (truth.get(a) ?? 0) + 1);
  }
  const summary = new Map((db.prepare('SELECT address, count FROM unknown_senders').all() as { address: string; count: number }[]).map((r) => [r.address, r.count]));
  return { summary, truth };
}

describe('per-minute counters', () => {
  it('equal a full count(*) after a mixed burst, without the events a rule discarded', async () => {
    const { file } = eventStore();
    const start = Date.UTC(2026, 11, 1, 10, 0, 0);
    const burst = [...realisticEvents(6000, { seed: 5, startMs: start, perSecond: 25 })];
    // Every 7th is chatter a rule discards: not stored, not counted.
    burst.forEach((e, i) => i % 7 === 0 && Object.assign(e, { type: 'chatter', message: `chatter ${i}` }));
    const { db, stored, writer, sink } = await storeThrough(file, burst, {}, (e) => e.type === 'chatter');
    expect(writer.counters()).toMatchObject({ dropped_by_rules: Math.ceil(6000 / 7), stored: 6000 - Math.ceil(6000 / 7), write_errors: 0 });
    expect(count(db, 'SELECT count(*) AS n FROM events')).toBe(stored.length);
    const c = countersAndTruth(db);
    expect(c.minutes.length).toBeGreaterThan(3);
    expect(c.minutes).toEqual(c.minutesTruth);
    expect(c.counts).toEqual(c.countsTruth);
    expect(count(db, "SELECT count(*) AS n FROM event_counts WHERE type = 'chatter'")).toBe(0);
    const s = sendersAndTruth(db);
    expect(s.truth.size).toBeGreaterThan(0);
    expect(s.summary).toEqual(s.truth);
    await sink.close();
  });

  it('count a flood of random types in one minute as at most 1,000 types and the rest together', async () => {
    const { file } = eventStore();
    const at = Date.UTC(2026, 11, 1, 10, 0, 0);
    const flood = Array.from({ length: 3000 }, (_, i) => ({
      receivedAt: at + i, reportedAt: null, source: 'syslog' as const, sourceAddress: '192.0.2.77', deviceId: null, severity: 'info' as const, type: `rnd${i % 1500}`, message: `m${i}`, params: {},
    }));
    const { db, sink } = await storeThrough(file, flood, {});
    expect(count(db, 'SELECT count(DISTINCT type) AS n FROM event_counts')).toBe(1001);
    expect(count(db, "SELECT sum(n) AS n FROM event_counts WHERE type = '(other types)'")).toBe(1000);
    expect(count(db, 'SELECT sum(n) AS n FROM event_counts')).toBe(3000);
    expect(count(db, 'SELECT sum(n) AS n FROM event_minutes')).toBe(3000);
    await sink.close();
  });
});

describe('retention', () => {
  it('removes events beyond the cap with their index partitions and unknown-sender counts; counters keep the dashboard hour', async () => {
    const { file } = eventStore();
    const now = Date.now();
    // 40 minutes of history two hours ago, then a storm in the last minutes.
    const old = [...realisticEvents(2400, { seed: 9, startMs: now - 2 * 3_600_000, perSecond: 1 })];
    const storm = [...realisticEvents(6000, { seed: 10, startMs: now - 120_000, perSecond: 50 })];
    const { db, repo, sink } = await storeThrough(file, [...old, ...storm], { retention: { maxAgeMs: 30 * 86_400_000, maxRows: 3000 }, ftsPartitionRows: 500 });
    const stats = await sink.maintain();
    expect(count(db, 'SELECT count(*) AS n FROM events')).toBe(3000);
    const { minId, maxId } = repo.idRange();
    expect(maxId! - minId! + 1).toBe(3000);
    expect(stats.retention_cap_removed).toBe(5400);
    expect(stats.longest_retention_ms).toBeGreaterThan(0);

    // Full-text: no partition lies wholly below the oldest event; nothing removed is found.
    expect(count(db, 'SELECT count(*) AS n FROM event_fts_parts WHERE max_id < ?', minId)).toBe(0);
    expect(count(db, 'SELECT count(*) AS n FROM event_fts_parts')).toBeLessThanOrEqual(Math.ceil(3000 / 500) + 1);
    expect(stats.index_partitions_dropped).toBeGreaterThanOrEqual(10);
    const found = repo.query({ limit: 1000, search: 'accepted' }).items;
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((e) => e.id >= minId!)).toBe(true);

    // Unknown senders count what is still stored.
    const s = sendersAndTruth(db);
    expect(s.summary).toEqual(s.truth);

    // Counters: the two-hour-old minutes are gone (their events are), the storm's minutes count
    // every event that arrived, including the ones the cap removed since.
    const hourAgo = Math.floor((now - 3_600_000) / 60_000);
    expect(count(db, 'SELECT count(*) AS n FROM event_minutes WHERE minute < ?', hourAgo)).toBe(0);
    expect(count(db, 'SELECT count(*) AS n FROM event_counts WHERE minute < ?', hourAgo)).toBe(0);
    expect(count(db, 'SELECT sum(n) AS n FROM event_minutes')).toBe(6000);
    expect(count(db, 'SELECT sum(n) AS n FROM event_counts')).toBe(6000);
    // The per-second id map keeps only seconds that still have events (time ranges -> id ranges).
    expect(count(db, 'SELECT count(*) AS n FROM event_seconds WHERE max_id < ?', minId)).toBe(0);
    expect(count(db, 'SELECT count(*) AS n FROM event_seconds')).toBeGreaterThan(0);
    await sink.close();
  });

  it('by age removes old events, their counters, index partitions and unknown-sender counts consistently', async () => {
    const { file } = eventStore();
    const now = Date.now();
    const day = 86_400_000;
    const ancient = [...realisticEvents(1500, { seed: 12, startMs: now - 40 * day, perSecond: 5 })];
    const recent = [...realisticEvents(1500, { seed: 13, startMs: now - 10 * day, perSecond: 5 })];
    const { db, repo, sink } = await storeThrough(file, [...ancient, ...recent], { retention: { maxAgeMs: 30 * day, maxRows: 1_000_000 }, ftsPartitionRows: 400 });
    const before = repo.query({ limit: 5000, search: 'accepted' }).items.length;
    const stats = await sink.maintain();
    expect(stats.retention_age_removed).toBe(1500);
    expect(count(db, 'SELECT count(*) AS n FROM events')).toBe(1500);
    expect(count(db, 'SELECT min(received_at) AS n FROM events')).toBeGreaterThanOrEqual(now - 30 * day - 60_000);
    const c = countersAndTruth(db);
    expect(c.minutes).toEqual(c.minutesTruth);
    expect(c.counts).toEqual(c.countsTruth);
    const s = sendersAndTruth(db);
    expect(s.summary).toEqual(s.truth);
    const { minId } = repo.idRange();
    expect(count(db, 'SELECT count(*) AS n FROM event_fts_parts WHERE max_id < ?', minId)).toBe(0);
    const after = repo.query({ limit: 5000, search: 'accepted' }).items;
    expect(after.length).toBeGreaterThan(0);
    expect(after.length).toBeLessThan(before);
    await sink.close();
  });

  it('keeps the database file from growing once the cap is reached (free pages reused, index partitions dropped)', async () => {
    const { file } = eventStore();
    const sink = await openEventStoreThread(file, { retention: { maxAgeMs: 30 * 86_400_000, maxRows: 4000 }, ftsPartitionRows: 1000, maintenanceIntervalMs: 3_600_000 });
    const { eventRows } = await import('../../../server/store/event-row.js');
    let id = 1;
    const gen = realisticEvents(1_000_000, { seed: 21, startMs: Date.now() - 600_000, perSecond: 1000 });
    const sizes: number[] = [];
    const size = () => statSync(file).size + statSync(`${file}-wal`).size;
    for (let round = 0; round < 40; round++) {
      const batch: StoredEvent[] = [];
      for (let i = 0; i < 1000; i++) batch.push(Object.assign(gen.next().value as NormalizedEvent, { id: id++ }));
      await sink.insert(eventRows(batch));
      if (round % 5 === 4) {
        await sink.maintain();
        sizes.push(size());
      }
    }
    const stats = sink.counters();
    await sink.close();
    // 40,000 events through a 4,000 cap: after the first rounds the file stays where it was.
    expect(stats.retention_cap_removed).toBe(36_000);
    const settled = sizes[2]!;
    for (const s of sizes.slice(3)) expect(s).toBeLessThanOrEqual(settled * 1.25);
  });
});
