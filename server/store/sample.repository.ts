import type { Db } from './database.js';
import { keyForDb, textForDb } from './pg-text.js';

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

  constructor(private readonly db: Db) {
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

  /** One transaction for the whole batch. */
  write(samples: readonly SampleInput[]): void {
    this.db.transaction(() => {
      for (const s of samples) {
        if (!Number.isFinite(s.value)) continue;
        this.stmts.insertRaw.run(this.metricId(s.deviceId, s.metric, s.instance, s.unit ?? null), Math.floor(s.ts), s.value);
      }
    }).immediate();
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
