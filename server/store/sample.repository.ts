import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import { isPostgres } from './pg/pg-db.js';
import { keyForDb, textForDb } from './key-text.js';

export type Resolution = 'raw' | '5m' | '1h';
export const RESOLUTION_SECONDS: Record<Exclude<Resolution, 'raw'>, number> = { '5m': 300, '1h': 3600 };

export interface SampleInput {
  deviceId: number;
  metric: string;
  instance: string;
  /** Seconds since epoch. */
  ts: number;
  value: number;
  unit?: string | null;
}

export interface MetricInfo {
  id: number;
  deviceId: number;
  name: string;
  instance: string;
  unit: string | null;
}

export interface SampleRepositoryOptions {
  /**
   * PostgreSQL: how many days back a raw sample still gets its own day partition (the raw
   * retention; default 31). Older and far-future rows go to the default partition.
   */
  rawKeepDays?: number;
  /** Clock (ms), for the partition window. */
  now?: () => number;
}

const DAY_SEC = 86_400;
/** PostgreSQL: day partitions of samples_raw are created up to this many days ahead of today. */
const DAYS_AHEAD = 3;
const PARTITION_NAME = /^samples_raw_\d{8}$/;
/** PostgreSQL: rows per multi-row INSERT. */
const MULTI_ROW = 5_000;

export interface Point {
  ts: number;
  value: number;
  min?: number;
  max?: number;
}

/**
 * A bucket rolled up again (late samples) merges into the stored one by weight.
 * Two-argument scalar min/max are SQLite-only, hence CASE (both engines).
 */
const mergeBucket = (t: string) => `ON CONFLICT (metric_id, ts) DO UPDATE SET
           min = CASE WHEN excluded.min < ${t}.min THEN excluded.min ELSE ${t}.min END,
           max = CASE WHEN excluded.max > ${t}.max THEN excluded.max ELSE ${t}.max END,
           avg = (${t}.avg * ${t}.n + excluded.avg * excluded.n) / (${t}.n + excluded.n), n = ${t}.n + excluded.n`;

/**
 * Time series: metrics are (device, name, instance) -> integer id, samples are
 * (metric_id, ts, value) in WITHOUT ROWID tables, written in one transaction per batch.
 */
export class SampleRepository {
  private readonly ids = new Map<string, number>();
  private readonly stmts;
  private readonly text: ReturnType<typeof textForDb>;
  /** (device_id, name, instance) is a unique key: see keyForDb. */
  private readonly nameKey: ReturnType<typeof keyForDb>;
  private readonly instanceKey: ReturnType<typeof keyForDb>;
  /** PostgreSQL: days that have a samples_raw partition (loaded on first use); null on SQLite. */
  private days: Set<number> | null = null;
  /** samples_raw is partitioned by day (PostgreSQL): raw retention drops whole days (dropRawBefore). */
  readonly rawPartitioned: boolean;
  readonly partitionStats = { partitions_created: 0, partitions_dropped: 0, default_rows_removed: 0 };
  private multiRowStmt: Statement<[string, string, string]> | undefined;

  constructor(
    private readonly db: Db,
    private readonly opts: SampleRepositoryOptions = {},
  ) {
    this.rawPartitioned = isPostgres(db);
    this.text = textForDb(db);
    this.nameKey = keyForDb(db, 600);
    this.instanceKey = keyForDb(db, 1500);
    this.stmts = {
      insertMetric: db.prepare<[number, string, string, string | null]>(
        'INSERT INTO metrics (device_id, name, instance, unit) VALUES (?, ?, ?, ?) ON CONFLICT (device_id, name, instance) DO NOTHING',
      ),
      metricId: db.prepare<[number, string, string], { id: number }>('SELECT id FROM metrics WHERE device_id = ? AND name = ? AND instance = ?'),
      insertRaw: db.prepare<[number, number, number]>(
        'INSERT INTO samples_raw (metric_id, ts, value) VALUES (?, ?, ?) ON CONFLICT (metric_id, ts) DO UPDATE SET value = excluded.value',
      ),
      listMetrics: db.prepare<[number], { id: number; device_id: number; name: string; instance: string; unit: string | null }>(
        'SELECT id, device_id, name, instance, unit FROM metrics WHERE device_id = ? ORDER BY name, instance',
      ),
      raw: db.prepare<[number, number, number], { ts: number; value: number }>(
        'SELECT ts, value FROM samples_raw WHERE metric_id = ? AND ts >= ? AND ts <= ? ORDER BY ts',
      ),
      r5m: db.prepare<[number, number, number], { ts: number; min: number; avg: number; max: number }>(
        'SELECT ts, min, avg, max FROM samples_5m WHERE metric_id = ? AND ts >= ? AND ts <= ? ORDER BY ts',
      ),
      r1h: db.prepare<[number, number, number], { ts: number; min: number; avg: number; max: number }>(
        'SELECT ts, min, avg, max FROM samples_1h WHERE metric_id = ? AND ts >= ? AND ts <= ? ORDER BY ts',
      ),
      doneUntil: db.prepare<[string], { done_until: number }>('SELECT done_until FROM rollup_state WHERE resolution = ?'),
      setDone: db.prepare<[string, number]>(
        'INSERT INTO rollup_state (resolution, done_until) VALUES (?, ?) ON CONFLICT (resolution) DO UPDATE SET done_until = excluded.done_until',
      ),
      rollup5m: db.prepare<[number, number]>(
        `INSERT INTO samples_5m (metric_id, ts, min, avg, max, n)
         SELECT metric_id, (ts / 300) * 300, min(value), avg(value), max(value), count(*) FROM samples_raw
          WHERE ts >= ? AND ts < ? GROUP BY metric_id, ts / 300
         ${mergeBucket('samples_5m')}`,
      ),
      rollup1h: db.prepare<[number, number]>(
        `INSERT INTO samples_1h (metric_id, ts, min, avg, max, n)
         SELECT metric_id, (ts / 3600) * 3600, min(min), sum(avg * n) / sum(n), max(max), sum(n) FROM samples_5m
          WHERE ts >= ? AND ts < ? GROUP BY metric_id, ts / 3600
         ${mergeBucket('samples_1h')}`,
      ),
      minRawTs: db.prepare<[], { ts: number | null }>('SELECT min(ts) AS ts FROM samples_raw'),
      min5mTs: db.prepare<[], { ts: number | null }>('SELECT min(ts) AS ts FROM samples_5m'),
    };
  }

  /** Integer id of a metric, created on first use and cached. */
  metricId(deviceId: number, name: string, instance: string, unit: string | null = null): number {
    const key = `${deviceId}\u0000${name}\u0000${instance}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      const [n, i] = [this.nameKey(name), this.instanceKey(instance)];
      this.stmts.insertMetric.run(deviceId, n, i, this.text(unit));
      id = this.stmts.metricId.get(deviceId, n, i)!.id;
      this.ids.set(key, id);
    }
    return id;
  }

  /**
   * One transaction for the whole batch. On PostgreSQL, missing day partitions are created first and
   * the rows go in multi-row statements (each statement is a round trip to the connection thread,
   * so one per row would bound ingest by latency).
   */
  write(samples: readonly SampleInput[]): void {
    if (this.rawPartitioned) {
      this.ensureDays(samples);
      this.db.transaction(() => this.writeMultiRow(samples)).immediate();
      return;
    }
    this.db.transaction(() => {
      for (const s of samples) {
        if (!Number.isFinite(s.value)) continue;
        this.stmts.insertRaw.run(this.metricId(s.deviceId, s.metric, s.instance, s.unit ?? null), Math.floor(s.ts), s.value);
      }
    }).immediate();
  }

  /**
   * PostgreSQL: up to MULTI_ROW rows per INSERT, as three array literals unnested. A later value for
   * the same (metric, second) replaces an earlier one, as the row-by-row upsert does; duplicates are
   * folded here first because one INSERT … ON CONFLICT DO UPDATE cannot touch a row twice.
   */
  private writeMultiRow(samples: readonly SampleInput[]): void {
    const last = new Map<string, [number, number, number]>();
    for (const s of samples) {
      if (!Number.isFinite(s.value)) continue;
      const id = this.metricId(s.deviceId, s.metric, s.instance, s.unit ?? null);
      const ts = Math.floor(s.ts);
      const key = `${id}:${ts}`;
      last.delete(key); // keep the order of the last write
      last.set(key, [id, ts, s.value]);
    }
    const rows = [...last.values()];
    for (let i = 0; i < rows.length; i += MULTI_ROW) {
      const chunk = rows.slice(i, i + MULTI_ROW);
      // Numbers only (JS's shortest round-trip form, which float8 reads back exactly): nothing to quote.
      const arr = (k: 0 | 1 | 2) => `{${chunk.map((r) => String(r[k])).join(',')}}`;
      this.multiRow.run(arr(0), arr(1), arr(2));
    }
  }

  metricsOf(deviceId: number): MetricInfo[] {
    return this.stmts.listMetrics.all(deviceId).map((r) => ({ id: r.id, deviceId: r.device_id, name: r.name, instance: r.instance, unit: r.unit }));
  }

  /** Forget cached ids (after a device was deleted and its metrics cascaded away). */
  forgetDevice(deviceId: number): void {
    for (const key of this.ids.keys()) if (key.startsWith(`${deviceId}\u0000`)) this.ids.delete(key);
  }

  points(metricId: number, from: number, to: number, resolution: Resolution): Point[] {
    if (resolution === 'raw') return this.stmts.raw.all(metricId, from, to);
    const rows = (resolution === '5m' ? this.stmts.r5m : this.stmts.r1h).all(metricId, from, to);
    return rows.map((r) => ({ ts: r.ts, value: r.avg, min: r.min, max: r.max }));
  }

  /**
   * Rolls complete buckets up to `now`, one bucket-aligned chunk per call of
   * `chunkSec` so write locks stay short. Returns true when more is left.
   */
  rollupStep(resolution: '5m' | '1h', nowSec: number, chunkSec = 3600): boolean {
    const size = RESOLUTION_SECONDS[resolution];
    let end = Math.floor(nowSec / size) * size;
    // Hours are built from 5-minute rows: only as far as those are complete.
    if (resolution === '1h') end = Math.min(end, Math.floor((this.stmts.doneUntil.get('5m')?.done_until ?? 0) / size) * size);
    let done = this.stmts.doneUntil.get(resolution)?.done_until;
    if (done === undefined) {
      const first = (resolution === '5m' ? this.stmts.minRawTs : this.stmts.min5mTs).get()!.ts;
      if (first === null) return false;
      done = Math.floor(first / size) * size;
    }
    if (done >= end) return false;
    const until = Math.min(end, done + Math.max(size, Math.floor(chunkSec / size) * size));
    this.db.transaction(() => {
      (resolution === '5m' ? this.stmts.rollup5m : this.stmts.rollup1h).run(done!, until);
      this.stmts.setDone.run(resolution, until);
    }).immediate();
    return until < end;
  }

  /** PostgreSQL: creates the day partitions a batch needs, for days inside the window (today − rawKeepDays − 1 … today + 3). */
  private ensureDays(samples: readonly SampleInput[]): void {
    const days = this.knownDays();
    const today = Math.floor((this.opts.now?.() ?? Date.now()) / 1000 / DAY_SEC);
    const keep = Math.ceil(this.opts.rawKeepDays ?? 31);
    let want: Set<number> | undefined;
    for (const s of samples) {
      if (!Number.isFinite(s.value) || !Number.isFinite(s.ts)) continue;
      const day = Math.floor(Math.floor(s.ts) / DAY_SEC);
      if (days.has(day) || day < today - keep - 1 || day > today + DAYS_AHEAD) continue;
      (want ??= new Set()).add(day);
    }
    if (!want) return;
    const ensure = this.db.prepare<[number], { created: boolean }>('SELECT samples_raw_ensure_partition(CAST(? AS integer)) AS created');
    for (const day of [...want].sort((a, b) => a - b)) {
      if (ensure.get(day)!.created) this.partitionStats.partitions_created++;
      days.add(day);
    }
  }

  private get multiRow(): Statement<[string, string, string]> {
    this.multiRowStmt ??= this.db.prepare(
      `INSERT INTO samples_raw (metric_id, ts, value)
       SELECT * FROM unnest(CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS double precision[]))
       ON CONFLICT (metric_id, ts) DO UPDATE SET value = excluded.value`,
    );
    return this.multiRowStmt;
  }

  private knownDays(): Set<number> {
    this.days ??= new Set(this.db.prepare<[], { day: number }>('SELECT day FROM sample_partitions').all().map((r) => r.day));
    return this.days;
  }

  /**
   * PostgreSQL raw retention: drops every day partition whose whole day lies before `cutoffSec`
   * (DROP TABLE, no row DELETE), then deletes the default partition's rows before it. Rows of the
   * day that holds the cutoff stay until that whole day is past: up to a day longer than on SQLite.
   * Returns the partitions dropped. On SQLite it does nothing (retention there is deleteOlderThan).
   */
  dropRawBefore(cutoffSec: number): number {
    if (!this.rawPartitioned) return 0;
    const old = this.db
      .prepare<[number], { day: number; name: string }>('SELECT day, name FROM sample_partitions WHERE (CAST(day AS bigint) + 1) * 86400 <= CAST(? AS bigint) ORDER BY day')
      .all(Math.floor(cutoffSec));
    for (const p of old) {
      if (!PARTITION_NAME.test(p.name)) throw new Error(`unexpected samples partition name ${JSON.stringify(p.name)}`);
      this.db.transaction(() => {
        this.db.exec(`DROP TABLE IF EXISTS "${p.name}"`);
        this.db.prepare<[number]>('DELETE FROM sample_partitions WHERE day = ?').run(p.day);
      })();
      this.knownDays().delete(p.day);
      this.partitionStats.partitions_dropped++;
    }
    this.partitionStats.default_rows_removed += this.db.prepare<[number]>('DELETE FROM samples_raw_default WHERE ts < ?').run(Math.floor(cutoffSec)).changes;
    return old.length;
  }

  /** Ids of every metric, for retention passes that go metric by metric. */
  allMetricIds(): number[] {
    return this.db.prepare<[], { id: number }>('SELECT id FROM metrics ORDER BY id').all().map((r) => r.id);
  }

  /**
   * Deletes one metric's rows older than `cutoffSec` from one resolution: a
   * range delete on the primary key, so each call holds the lock briefly.
   */
  deleteOlderThan(resolution: Resolution, metricId: number, cutoffSec: number): number {
    const table = resolution === 'raw' ? 'samples_raw' : resolution === '5m' ? 'samples_5m' : 'samples_1h';
    return this.db.prepare<[number, number]>(`DELETE FROM ${table} WHERE metric_id = ? AND ts < ?`).run(metricId, cutoffSec).changes;
  }
}
