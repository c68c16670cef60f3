import type pg from 'pg';
import { aggregateCounts, minutesOf, MinuteTypes, type CountDelta } from '../event-counts.js';

/**
 * The counters, one multi-row upsert per table per batch (unnest of column
 * arrays, each key once), in key order so that two writers adding to the
 * same keys take their row locks in the same order and never deadlock.
 * The sums are the database's (`n = n + excluded.n`): several writers add up.
 */
const UPSERT_SECONDS = `INSERT INTO event_seconds (second, min_id, max_id)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(second, min_id, max_id) ORDER BY second
ON CONFLICT (second) DO UPDATE SET min_id = LEAST(event_seconds.min_id, excluded.min_id), max_id = GREATEST(event_seconds.max_id, excluded.max_id)`;
const UPSERT_MINUTES = `INSERT INTO event_minutes (minute, n, critical, major, minor, warning, info, debug, min_id, max_id)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[])
  AS u(minute, n, critical, major, minor, warning, info, debug, min_id, max_id) ORDER BY minute
ON CONFLICT (minute) DO UPDATE SET n = event_minutes.n + excluded.n, critical = event_minutes.critical + excluded.critical,
  major = event_minutes.major + excluded.major, minor = event_minutes.minor + excluded.minor, warning = event_minutes.warning + excluded.warning,
  info = event_minutes.info + excluded.info, debug = event_minutes.debug + excluded.debug,
  min_id = LEAST(event_minutes.min_id, excluded.min_id), max_id = GREATEST(event_minutes.max_id, excluded.max_id)`;
const UPSERT_COUNTS = `INSERT INTO event_counts (minute, type, source, severity, device_id, n)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[]) AS u(minute, type, source, severity, device_id, n)
  ORDER BY minute, type, source, severity, device_id
ON CONFLICT (minute, type, source, severity, device_id) DO UPDATE SET n = event_counts.n + excluded.n`;
const UPSERT_SENDERS = `INSERT INTO unknown_senders (address, count, first_seen, last_seen, last_message, first_id, last_id)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[])
  AS u(address, count, first_seen, last_seen, last_message, first_id, last_id) ORDER BY address
ON CONFLICT (address) DO UPDATE SET count = unknown_senders.count + excluded.count,
  first_seen = LEAST(unknown_senders.first_seen, excluded.first_seen), first_id = LEAST(unknown_senders.first_id, excluded.first_id),
  last_seen = CASE WHEN excluded.last_id > unknown_senders.last_id THEN excluded.last_seen ELSE unknown_senders.last_seen END,
  last_message = CASE WHEN excluded.last_id > unknown_senders.last_id THEN excluded.last_message ELSE unknown_senders.last_message END,
  last_id = GREATEST(unknown_senders.last_id, excluded.last_id)`;

/** `sql` with its parameters $n renumbered $n+by (to put several statements into one). */
const shift = (sql: string, by: number) => sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + by}`);
/**
 * The four upserts as ONE statement (data-modifying CTEs): one round trip a
 * batch instead of four. Parameters: seconds $1-$3, minutes $4-$13, counts
 * $14-$19, senders $20-$26. Every writer runs the same statement, so the
 * tables are written in the same order by all of them.
 */
const UPSERT_COUNTERS = `WITH s AS (${UPSERT_SECONDS} RETURNING 1),
m AS (${shift(UPSERT_MINUTES, 3)} RETURNING 1),
u AS (${shift(UPSERT_SENDERS, 19)} RETURNING 1)
${shift(UPSERT_COUNTS, 13)}`;

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;
/** Text for a counter key or summary (NUL as U+FFFD, as in the events; counted once, there). */
const clean = (s: string): string => (s.includes('\u0000') ? s.replace(NUL, '\uFFFD') : s);

/**
 * The counters a PostgreSQL event writer keeps in each batch's transaction (pg-event-writer.ts):
 * the dashboard's per-second, per-minute and per-type counts and the unknown-senders summary.
 * It remembers which types each recent minute has (MinuteTypes), as SQLite's EventCountWriter does.
 */
export class PgEventCounters {
  private readonly types = new MinuteTypes();

  /**
   * The dashboard's counters and the unknown-senders summary for the rows
   * stored (same sums as SQLite's EventCountWriter, `aggregateCounts`), in
   * the batch's transaction.
   */
  async add(c: pg.Client, rows: readonly unknown[]): Promise<void> {
    if (rows.length === 0) return;
    const unseen = [...minutesOf(rows)].filter((m) => !this.types.has(m));
    if (unseen.length) {
      // Minutes this writer has not counted (a restart, another writer's minute): the types stored count.
      const r = await c.query<{ minute: number; types: string[] }>(
        'SELECT minute, array_agg(DISTINCT type) AS types FROM event_counts WHERE minute = ANY($1::bigint[]) GROUP BY minute',
        [unseen],
      );
      const found = new Map(r.rows.map((x) => [x.minute, x.types]));
      for (const m of unseen) this.types.load(m, found.get(m) ?? []);
    }
    const d: CountDelta = aggregateCounts(rows, this.types);
    this.types.trim();
    const sec = [...d.seconds];
    const min = [...d.minutes];
    const sevCol = (s: number) => min.map(([, m]) => m.sev[s] ?? 0);
    let cl = d.counts;
    if (cl.some((x) => x.type.includes('\u0000') || x.source.includes('\u0000'))) {
      // Two types that differ only by NUL vs U+FFFD become one key once cleaned: summed before the upsert.
      const counts = new Map<string, (typeof cl)[number]>();
      for (const x of cl) {
        const row = { ...x, type: clean(x.type), source: clean(x.source) };
        const key = JSON.stringify([row.minute, row.type, row.source, row.severity, row.deviceId]);
        const had = counts.get(key);
        if (had) had.n += row.n;
        else counts.set(key, row);
      }
      cl = [...counts.values()];
    }
    const senders = new Map<string, { address: string; count: number; firstSeen: number; lastSeen: number; lastMessage: string; firstId: number; lastId: number }>();
    for (const [a, s] of d.senders) {
      const address = clean(a);
      const had = senders.get(address);
      if (!had) senders.set(address, { address, ...s, lastMessage: clean(s.lastMessage) });
      else {
        had.count += s.count;
        if (s.firstId < had.firstId) (had.firstId = s.firstId), (had.firstSeen = s.firstSeen);
        if (s.lastId > had.lastId) (had.lastId = s.lastId), (had.lastSeen = s.lastSeen), (had.lastMessage = clean(s.lastMessage));
      }
    }
    const sl = [...senders.values()];
    await c.query(UPSERT_COUNTERS, [
      ...[sec.map((x) => x[0]), sec.map((x) => x[1][0]), sec.map((x) => x[1][1])],
      ...[min.map((x) => x[0]), min.map((x) => x[1].n), sevCol(0), sevCol(1), sevCol(2), sevCol(3), sevCol(4), sevCol(5), min.map((x) => x[1].minId), min.map((x) => x[1].maxId)],
      ...[cl.map((x) => x.minute), cl.map((x) => x.type), cl.map((x) => x.source), cl.map((x) => x.severity), cl.map((x) => x.deviceId), cl.map((x) => x.n)],
      ...[sl.map((x) => x.address), sl.map((x) => x.count), sl.map((x) => Math.round(x.firstSeen)), sl.map((x) => Math.round(x.lastSeen)), sl.map((x) => x.lastMessage), sl.map((x) => x.firstId), sl.map((x) => x.lastId)],
    ]);
  }
}
