import { describe, expect, it } from 'vitest';
import type { NormalizedEvent, StoredEvent } from '../../../server/contracts/events.js';
import { SEVERITIES } from '../../../server/contracts/events.js';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { openDatabase } from '../../../server/store/database.js';
import { EventRepository } from '../../../server/store/event.repository.js';
import { eventRows } from '../../../server/store/event-row.js';
import { openEventStoreThread } from '../../../server/store/event-store-thread.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';
import { realisticEvents } from '../../bench/lib/realistic-events.js';
import { count, eventStore } from './event-store-helpers.js';

/** Events written as the server before migration 0010 wrote them: params as JSON, no index, no counters. */
function legacyEvents(file: string, events: NormalizedEvent[]): void {
  const db = openDatabase(file);
  const insert = db.prepare(
    'INSERT INTO events (received_at, reported_at, source, source_address, device_id, severity, type, message, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (const e of events) insert.run(e.receivedAt, e.reportedAt, e.source, e.sourceAddress, e.deviceId, SEVERITIES.indexOf(e.severity), e.type, e.message, JSON.stringify(e.params));
  })();
  db.close();
}

describe('migration 0010 on a database with events', () => {
  it('indexes and counts the existing rows at start-up, newest first in bounded batches, while new events arrive', async () => {
    const { db, file } = eventStore({}, 9);
    db.close();
    const start = Date.UTC(2026, 10, 30, 12, 0, 0);
    const old = [...realisticEvents(7000, { seed: 31, startMs: start, perSecond: 20 })];
    legacyEvents(file, old);

    const main = openDatabase(file);
    expect(migrate(main, readMigrations(MIGRATIONS_DIR))).toContain(10);
    expect(main.prepare('SELECT next_id, low_id FROM event_backfill').get()).toEqual({ next_id: 7000, low_id: 1 });
    const repo = new EventRepository(main);
    // Before the backfill: rows read as before, and time ranges still find them (the id window stays wide).
    expect(repo.get(1)!.params).toEqual(JSON.parse(JSON.stringify(old[0]!.params)));
    const mid = old[3500]!.receivedAt;
    const inRange = old.filter((e) => e.receivedAt >= mid && e.receivedAt <= mid + 60_000).length;
    expect(repo.query({ limit: 5000, from: mid, to: mid + 60_000 }).items).toHaveLength(inRange);
    // Filters find them too (read in id order until the index has them), page after page.
    const all = (q: Parameters<typeof repo.query>[0]) => {
      const ids: number[] = [];
      let cursor: number | undefined;
      do {
        const r = repo.query({ ...q, beforeId: cursor });
        ids.push(...r.items.map((e) => e.id));
        cursor = r.nextCursor ?? undefined;
      } while (cursor !== undefined);
      return ids.length;
    };
    expect(all({ limit: 500, deviceId: 7 })).toBe(old.filter((e) => e.deviceId === 7).length);
    expect(all({ limit: 500, source: ['trap'] })).toBe(old.filter((e) => e.source === 'trap').length);
    expect(all({ limit: 500, minSeverity: 'major' })).toBe(old.filter((e) => SEVERITIES.indexOf(e.severity) <= 1).length);
    expect(all({ limit: 500, type: 'sshd' })).toBe(old.filter((e) => e.type === 'sshd').length);
    expect(old.filter((e) => e.type === 'sshd').length).toBeGreaterThan(0);

    const sink = await openEventStoreThread(file, { maintenanceIntervalMs: 3_600_000, ftsPartitionRows: 2000 });
    // New events while the backfill runs.
    let id = 7001;
    const fresh = [...realisticEvents(3000, { seed: 32, startMs: start + 3_600_000, perSecond: 20 })].map((e) => Object.assign(e, { id: id++ }) as StoredEvent);
    for (let i = 0; i < fresh.length; i += 500) await sink.insert(eventRows(fresh.slice(i, i + 500)));
    let stats = await sink.maintain();
    for (let i = 0; i < 200 && stats.backfill_pending; i++) stats = await sink.maintain();
    expect(stats.backfill_pending).toBe(0);
    expect(stats.backfill_rows).toBe(7000);
    expect(stats.longest_backfill_ms).toBeGreaterThan(0);
    await sink.close();

    expect(count(main, 'SELECT count(*) AS n FROM event_backfill')).toBe(0);
    // Counters equal a full count, old rows and new.
    expect(main.prepare('SELECT minute, n FROM event_minutes ORDER BY minute').all()).toEqual(
      main.prepare('SELECT received_at / 60000 AS minute, count(*) AS n FROM events GROUP BY 1 ORDER BY 1').all(),
    );
    expect(count(main, 'SELECT sum(n) AS n FROM event_counts')).toBe(10_000);
    expect(main.prepare('SELECT minute, type, source, severity, device_id, n FROM event_counts ORDER BY 1, 2, 3, 4, 5').all()).toEqual(
      main.prepare('SELECT received_at / 60000 AS minute, type, source, severity, coalesce(device_id, 0) AS device_id, count(*) AS n FROM events GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5').all(),
    );
    expect(count(main, 'SELECT sum(count) AS n FROM unknown_senders')).toBe(count(main, 'SELECT count(*) AS n FROM events WHERE device_id IS NULL AND source_address IS NOT NULL'));
    // Old rows are searchable (by message, host, app), with the index in id-range partitions.
    const oldHits = repo.query({ limit: 10_000, search: 'app:sshd accepted' }).items.filter((e) => e.id <= 7000);
    expect(oldHits.length).toBe(old.filter((e) => e.params.appName === 'sshd' && /accepted/i.test(e.message)).length);
    expect(oldHits.length).toBeGreaterThan(0);
    const parts = main.prepare('SELECT min_id, max_id FROM event_fts_parts ORDER BY min_id').all() as { min_id: number; max_id: number }[];
    expect(parts[0]!.min_id).toBe(1);
    expect(parts.at(-1)!.max_id).toBe(10_000);
    for (let i = 1; i < parts.length; i++) expect(parts[i]!.min_id).toBe(parts[i - 1]!.max_id + 1);
    // And still read back as they were written.
    expect(repo.get(7000)!.params).toEqual(JSON.parse(JSON.stringify(old[6999]!.params)));
    main.close();
  });
});
