import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rttPercentiles } from '../../../server/collectors/icmp/latency.js';
import type { Db } from '../../../server/store/database.js';
import { decodeRtts, LatencyRepository } from '../../../server/store/latency.repository.js';
import { createLogger } from '../../../server/log/logger.js';
import { SampleMaintenance } from '../../../server/poller/sample-maintenance.js';
import { metricSeries } from '../../../server/store/sample-series.js';
import { SampleRepository, type SampleInput } from '../../../server/store/sample.repository.js';
import { keyForDb } from '../../../server/store/key-text.js';
import { PG_MIGRATIONS_DIR } from '../../../server/paths.js';
import { readMigrations } from '../../../server/store/migrate.js';
import { migratePostgres } from '../../../server/store/pg/migrate.js';
import { openPgDb } from '../../../server/store/pg/pg-db.js';
import { openTestDb, STORE_ENGINES, testPostgres } from '../../helpers/store-engines.js';
import { addDevice, HOSTILE, longText, nulOf } from './store-fixtures.js';

const T0 = 1_800_000_000 - (1_800_000_000 % 86_400); // a day boundary (UTC): 2027-01-15
const quiet = createLogger({ level: 'silent', format: 'json' });

describe.each(STORE_ENGINES)('SampleRepository on %s', (engine) => {
  let db: Db;
  let samples: SampleRepository;
  let d1: number;
  let d2: number;
  beforeEach(async () => {
    db = await openTestDb(engine);
    samples = new SampleRepository(db);
    d1 = addDevice(db, 'r1');
    d2 = addDevice(db, 'r2', '127.0.0.2');
  }, 60_000);
  afterEach(() => db.close());

  const s = (deviceId: number, metric: string, instance: string, ts: number, value: number, unit: string | null = null): SampleInput => ({ deviceId, metric, instance, ts, value, unit });

  it('names metrics by (device, name, instance), lists them by name then instance, and forgets a device\'s cache', () => {
    const a = samples.metricId(d1, 'ifInBps', 'Gi0/10', 'bit/s');
    const b = samples.metricId(d1, 'ifInBps', 'Gi0/2', 'bit/s');
    const c = samples.metricId(d1, 'cpu', '');
    expect(new Set([a, b, c]).size).toBe(3);
    expect(samples.metricId(d1, 'ifInBps', 'Gi0/10')).toBe(a);
    expect(samples.metricId(d2, 'cpu', '')).not.toBe(c);
    expect(samples.metricsOf(d1)).toEqual([
      { id: c, deviceId: d1, name: 'cpu', instance: '', unit: null },
      { id: a, deviceId: d1, name: 'ifInBps', instance: 'Gi0/10', unit: 'bit/s' },
      { id: b, deviceId: d1, name: 'ifInBps', instance: 'Gi0/2', unit: 'bit/s' },
    ]);
    // Another repository over the same database finds the stored ids (ON CONFLICT DO NOTHING, then the lookup).
    expect(new SampleRepository(db).metricId(d1, 'ifInBps', 'Gi0/2')).toBe(b);
    db.prepare('DELETE FROM devices WHERE id = ?').run(d1);
    samples.forgetDevice(d1);
    const d3 = addDevice(db, 'r1');
    expect(samples.metricsOf(d1)).toEqual([]);
    expect(samples.metricId(d3, 'cpu', '')).not.toBe(c);
    expect(samples.allMetricIds()).toEqual([...samples.allMetricIds()].sort((x, y) => x - y));
    expect(samples.allMetricIds()).toHaveLength(2);
  });

  it('writes a batch in one transaction: seconds floored, NaN and Infinity skipped, a second value for the same second replaces the first', () => {
    samples.write([s(d1, 'cpu', '', T0 + 0.9, 1), s(d1, 'cpu', '', T0 + 60, NaN), s(d1, 'cpu', '', T0 + 61, Infinity), s(d1, 'cpu', '', T0 + 120, 3), s(d1, 'cpu', '', T0 + 120.5, 4)]);
    const id = samples.metricId(d1, 'cpu', '');
    expect(samples.points(id, T0, T0 + 600, 'raw')).toEqual([{ ts: T0, value: 1 }, { ts: T0 + 120, value: 4 }]);
    // Bounds are inclusive; other metrics are not mixed in.
    samples.write([s(d1, 'mem', '', T0 + 120, 9)]);
    expect(samples.points(id, T0 + 120, T0 + 120, 'raw')).toEqual([{ ts: T0 + 120, value: 4 }]);
    expect(samples.points(id, T0 + 121, T0 + 600, 'raw')).toEqual([]);
    // A batch that a foreign key refuses leaves nothing behind.
    expect(() => samples.write([s(d1, 'cpu', '', T0 + 180, 5), s(987_654, 'cpu', '', T0 + 180, 5)])).toThrow();
    expect(samples.points(id, T0, T0 + 600, 'raw')).toHaveLength(2);
  });

  it('keeps every finite double exactly, and within one batch the last value of a second wins (multi-row on PostgreSQL)', () => {
    const values = [0.1 + 0.2, 1e308, -1e-300, Number.MAX_SAFE_INTEGER, -0.000123456789012345, 5e-324, 123456789.123456789, 1e21];
    samples.write(values.map((v, i) => s(d1, 'v', '', T0 + i, v)));
    samples.write([s(d1, 'v', '', T0, 1), s(d1, 'v', '', T0 + 0.2, 2), s(d1, 'v', '', T0 + 0.9, 3)]);
    const got = samples.points(samples.metricId(d1, 'v', ''), T0, T0 + 100, 'raw').map((p) => p.value);
    expect(got).toEqual([3, ...values.slice(1)]);
  });

  it('writes 10,000 samples of 100 metrics in one batch and reads each series back in time order', () => {
    const batch: SampleInput[] = [];
    for (let m = 99; m >= 0; m--) for (let k = 99; k >= 0; k--) batch.push(s(d1, 'ifInBps', `if${m}`, T0 + k * 60, m * 1000 + k));
    samples.write(batch);
    expect(samples.metricsOf(d1)).toHaveLength(100);
    const id = samples.metricId(d1, 'ifInBps', 'if42');
    const pts = samples.points(id, T0, T0 + 86_400, 'raw');
    expect(pts).toHaveLength(100);
    expect(pts[0]).toEqual({ ts: T0, value: 42_000 });
    expect(pts.map((p) => p.ts)).toEqual([...pts.map((p) => p.ts)].sort((a, b) => a - b));
  });

  it('rolls up in bucket-aligned chunks, reports when more is left, builds hours only from complete 5-minute rows', () => {
    const rows: SampleInput[] = [];
    for (let m = 0; m < 180; m++) rows.push(s(d1, 'cpu', '', T0 + m * 60, m));
    samples.write(rows);
    const id = samples.metricId(d1, 'cpu', '');
    expect(samples.rollupStep('1h', T0 + 3 * 3600)).toBe(false); // no 5-minute rows yet
    expect(samples.rollupStep('5m', T0 + 3 * 3600, 3600)).toBe(true);
    expect(samples.points(id, T0, T0 + 3 * 3600, '5m')).toHaveLength(12);
    expect(samples.rollupStep('1h', T0 + 3 * 3600)).toBe(false);
    expect(samples.points(id, T0, T0 + 3 * 3600, '1h')).toEqual([{ ts: T0, value: 29.5, min: 0, max: 59 }]);
    expect(samples.rollupStep('5m', T0 + 3 * 3600, 3600)).toBe(true);
    expect(samples.rollupStep('5m', T0 + 3 * 3600, 3600)).toBe(false);
    expect(samples.rollupStep('5m', T0 + 3 * 3600, 3600)).toBe(false);
    const five = samples.points(id, T0, T0 + 3 * 3600, '5m');
    expect(five).toHaveLength(36);
    expect(five[35]).toEqual({ ts: T0 + 175 * 60, value: 177, min: 175, max: 179 });
    expect(samples.rollupStep('1h', T0 + 3 * 3600)).toBe(true);
    expect(samples.rollupStep('1h', T0 + 3 * 3600)).toBe(false);
    expect(samples.points(id, T0, T0 + 3 * 3600, '1h').map((p) => p.value)).toEqual([29.5, 89.5, 149.5]);
  });

  it('merges late samples into a bucket already rolled up, by weight, with min and max of both', () => {
    samples.write([s(d1, 'cpu', '', T0, 10), s(d1, 'cpu', '', T0 + 60, 20)]);
    const id = samples.metricId(d1, 'cpu', '');
    samples.rollupStep('5m', T0 + 600);
    expect(samples.points(id, T0, T0, '5m')).toEqual([{ ts: T0, value: 15, min: 10, max: 20 }]);
    // Late rows for the same bucket, rolled up again over the same range (rollup_state is moved back as a re-run would).
    db.prepare('DELETE FROM samples_raw').run();
    samples.write([s(d1, 'cpu', '', T0 + 120, 60), s(d1, 'cpu', '', T0 + 180, 2)]);
    db.prepare("UPDATE rollup_state SET done_until = ? WHERE resolution = '5m'").run(T0);
    samples.rollupStep('5m', T0 + 600);
    expect(samples.points(id, T0, T0, '5m')).toEqual([{ ts: T0, value: 23, min: 2, max: 60 }]);
    while (samples.rollupStep('5m', T0 + 7200));
    while (samples.rollupStep('1h', T0 + 7200));
    expect(samples.points(id, T0, T0, '1h')).toEqual([{ ts: T0, value: 23, min: 2, max: 60 }]);
  });

  it('deletes one metric\'s rows older than the cutoff from each resolution and counts them', () => {
    const rows: SampleInput[] = [];
    for (let h = 0; h < 4; h++) rows.push(s(d1, 'cpu', '', T0 + h * 3600, h), s(d1, 'mem', '', T0 + h * 3600, h));
    samples.write(rows);
    samples.rollupStep('5m', T0 + 5 * 3600, 86_400);
    samples.rollupStep('1h', T0 + 5 * 3600, 86_400);
    const cpu = samples.metricId(d1, 'cpu', '');
    const mem = samples.metricId(d1, 'mem', '');
    expect(samples.deleteOlderThan('raw', cpu, T0 + 2 * 3600)).toBe(2);
    expect(samples.deleteOlderThan('raw', cpu, T0 + 2 * 3600)).toBe(0);
    expect(samples.deleteOlderThan('5m', cpu, T0 + 3600)).toBe(1);
    expect(samples.deleteOlderThan('1h', cpu, T0 + 3 * 3600 + 1)).toBe(4);
    expect(samples.points(cpu, 0, T0 + 86_400, 'raw').map((p) => p.value)).toEqual([2, 3]);
    expect(samples.points(cpu, 0, T0 + 86_400, '5m').map((p) => p.value)).toEqual([1, 2, 3]);
    expect(samples.points(cpu, 0, T0 + 86_400, '1h')).toEqual([]);
    expect(samples.points(mem, 0, T0 + 86_400, 'raw')).toHaveLength(4);
  });

  it('shapes series for the API: every instance of a metric, or one, raw points bucketed to the step, ts in ms', () => {
    samples.write([
      s(d1, 'ifInBps', 'b', T0, 1, 'bit/s'), s(d1, 'ifInBps', 'b', T0 + 30, 3), s(d1, 'ifInBps', 'b', T0 + 60, 5),
      s(d1, 'ifInBps', 'a', T0, 7, 'bit/s'), s(d1, 'other', 'a', T0, 100),
    ]);
    const all = metricSeries(samples, { deviceId: d1, metric: 'ifInBps', from: T0, to: T0 + 60, resolution: 'raw', step: 60 });
    expect(all).toEqual([
      { instance: 'a', unit: 'bit/s', points: [{ ts: T0 * 1000, value: 7, min: 7, max: 7 }] },
      { instance: 'b', unit: 'bit/s', points: [{ ts: T0 * 1000, value: 2, min: 1, max: 3 }, { ts: (T0 + 60) * 1000, value: 5, min: 5, max: 5 }] },
    ]);
    expect(metricSeries(samples, { deviceId: d1, metric: 'ifInBps', instance: 'b', from: T0, to: T0, resolution: 'raw' })).toEqual([
      { instance: 'b', unit: 'bit/s', points: [{ ts: T0 * 1000, value: 1 }] },
    ]);
    samples.rollupStep('5m', T0 + 600);
    expect(metricSeries(samples, { deviceId: d1, metric: 'ifInBps', instance: 'a', from: T0, to: T0 + 600, resolution: '5m' })).toEqual([
      { instance: 'a', unit: 'bit/s', points: [{ ts: T0 * 1000, value: 7, min: 7, max: 7 }] },
    ]);
  });

  it('keeps hostile metric names and instances apart and finds them again (NUL as U+FFFD on PostgreSQL)', () => {
    const names = [...HOSTILE, 'ifAlias\u0000pad', 'ifAlias\u0000pad\u0000'];
    samples.write(names.map((n, i) => s(d1, n, n, T0, i, n)));
    const got = samples.metricsOf(d1);
    expect(got).toHaveLength(names.length);
    names.forEach((n, i) => {
      const id = samples.metricId(d1, n, n);
      // name and instance are a unique key (keyForDb: NUL as U+FFFD, a hash past 600/1,500 bytes, on PostgreSQL only); unit is plain text.
      expect(got.find((m) => m.id === id)).toMatchObject({ name: keyForDb(db, 600)(n), instance: keyForDb(db, 1500)(n), unit: nulOf(db, n) });
      expect(samples.points(id, T0, T0, 'raw')).toEqual([{ ts: T0, value: i }]);
    });
    // Instances far longer than a PostgreSQL index entry stay apart (prefix + hash there, whole on SQLite).
    const [x, y] = [longText(3), longText(3, 19_999) + '!'];
    const [ix, iy] = [samples.metricId(d2, 'ifInBps', x), samples.metricId(d2, 'ifInBps', y)];
    expect(ix).not.toBe(iy);
    expect(new SampleRepository(db).metricId(d2, 'ifInBps', y)).toBe(iy);
    // Byte order, as SQLite's BINARY collation.
    const sorted = got.map((m) => m.name);
    expect(sorted).toEqual([...sorted].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });
});

describe.each(STORE_ENGINES)('LatencyRepository on %s', (engine) => {
  let db: Db;
  let latency: LatencyRepository;
  let d1: number;
  let d2: number;
  beforeEach(async () => {
    db = await openTestDb(engine);
    latency = new LatencyRepository(db);
    d1 = addDevice(db, 'r1');
    d2 = addDevice(db, 'r2', '127.0.0.2');
  }, 60_000);
  afterEach(() => db.close());

  const cycle = (deviceId: number, ts: number, rtts: (number | null)[]) => ({ deviceId, ts, sent: rtts.length, received: rtts.filter((v) => v !== null).length, rtts });

  it('replaces a cycle written again for the same second, and lists devices in id order', () => {
    expect(latency.write([cycle(d1, T0, [1, 2]), cycle(d1, T0 + 0.5, [5, null, 7]), cycle(d2, T0, [])])).toBe(3);
    const [p] = latency.points(d1, T0, T0, 'raw');
    expect(p).toMatchObject({ ts: T0 * 1000, sent: 3, received: 2, p0: 5, p100: 7, rtts: [5, null, 7] });
    expect(latency.points(d2, T0, T0, 'raw')[0]).toMatchObject({ sent: 0, received: 0, lossPct: 100, p50: null, rtts: [] });
    expect(latency.deviceIds()).toEqual([d1, d2]);
    expect(decodeRtts(new Uint8Array(0))).toEqual([]);
  });

  it('writes a batch of 5,000 cycles (several multi-row statements on PostgreSQL), counting only cycles of devices still there', () => {
    const batch = [];
    for (let k = 0; k < 2_500; k++) batch.push(cycle(d1, T0 + k, [k % 7, null, k / 1000]), cycle(k % 2 ? d2 : 987_654, T0 + k, [1]));
    expect(latency.write(batch)).toBe(3_750);
    const pts = latency.points(d1, T0, T0 + 5_000, 'raw');
    expect(pts).toHaveLength(2_500);
    expect(pts[2_499]).toMatchObject({ ts: (T0 + 2_499) * 1000, sent: 3, received: 2, rtts: [2_499 % 7, null, 2.499] });
    expect(latency.points(d2, T0, T0 + 5_000, 'raw')).toHaveLength(1_250);
  });

  it('merges late cycles into rolled-up buckets: min/max ignore a bucket with no answers, percentiles weigh by answers', () => {
    latency.write([cycle(d1, T0, [null, null])]);
    latency.rollupStep('5m', T0 + 600);
    expect(latency.points(d1, T0, T0, '5m')[0]).toMatchObject({ sent: 2, received: 0, p0: null, p100: null, p50: null, cycles: 1 });
    db.prepare('DELETE FROM latency_raw').run();
    latency.write([cycle(d1, T0 + 60, [4, 6]), cycle(d1, T0 + 120, [1, 3])]);
    db.prepare("UPDATE rollup_state SET done_until = ? WHERE resolution = 'latency_5m'").run(T0);
    latency.rollupStep('5m', T0 + 600);
    expect(latency.points(d1, T0, T0, '5m')[0]).toMatchObject({ ts: T0 * 1000, sent: 6, received: 4, p0: 1, p100: 6, p50: 3.5, cycles: 3 });
    db.prepare('DELETE FROM latency_raw').run();
    latency.write([cycle(d1, T0 + 180, [0.5, 100])]);
    db.prepare("UPDATE rollup_state SET done_until = ? WHERE resolution = 'latency_5m'").run(T0);
    latency.rollupStep('5m', T0 + 600);
    expect(latency.points(d1, T0, T0, '5m')[0]).toMatchObject({ sent: 8, received: 6, p0: 0.5, p100: 100, cycles: 4 });
    expect(latency.points(d1, T0, T0, '5m')[0]!.p50).toBeCloseTo((3.5 * 2 + rttPercentiles([0.5, 100]).p50!) / 3, 9);
    while (latency.rollupStep('5m', T0 + 7200));
    while (latency.rollupStep('1h', T0 + 7200));
    expect(latency.points(d1, T0, T0 + 7200, '1h')[0]).toMatchObject({ ts: T0 * 1000, sent: 8, received: 6, p0: 0.5, p100: 100, cycles: 4 });
  });

  it('deletes one device\'s rows older than the cutoff per resolution; the samples\' rollup state is not touched', () => {
    const rows = [];
    for (let h = 0; h < 3; h++) rows.push(cycle(d1, T0 + h * 3600, [h + 1]), cycle(d2, T0 + h * 3600, [h + 1]));
    latency.write(rows);
    while (latency.rollupStep('5m', T0 + 4 * 3600));
    while (latency.rollupStep('1h', T0 + 4 * 3600));
    expect(db.prepare("SELECT resolution FROM rollup_state ORDER BY resolution").pluck().all()).toEqual(['latency_1h', 'latency_5m']);
    expect(latency.deleteOlderThan('raw', d1, T0 + 3600)).toBe(1);
    expect(latency.deleteOlderThan('5m', d1, T0 + 7200)).toBe(2);
    expect(latency.deleteOlderThan('1h', d1, T0 + 10 * 3600)).toBe(3);
    expect(latency.points(d1, 0, T0 + 86_400, 'raw')).toHaveLength(2);
    expect(latency.points(d1, 0, T0 + 86_400, '5m')).toHaveLength(1);
    expect(latency.points(d1, 0, T0 + 86_400, '1h')).toEqual([]);
    expect(latency.points(d2, 0, T0 + 86_400, '1h')).toHaveLength(3);
  });
});

describe.each(STORE_ENGINES)('raw samples by day on %s', (engine) => {
  const DAY = 86_400;
  const D0 = T0 / DAY; // day number of T0
  let db: Db;
  let clock: number;
  let samples: SampleRepository;
  let d1: number;
  beforeEach(async () => {
    db = await openTestDb(engine);
    clock = (T0 + 5 * DAY) * 1000;
    samples = new SampleRepository(db, { rawKeepDays: 7, now: () => clock });
    d1 = addDevice(db, 'r1');
  }, 60_000);
  afterEach(() => db.close());

  const at = (ts: number, value: number): SampleInput => ({ deviceId: d1, metric: 'cpu', instance: '', ts, value });
  const parts = () =>
    db.prepare("SELECT tableoid::regclass::text AS part, count(*) AS n FROM samples_raw GROUP BY tableoid ORDER BY 1").all() as { part: string; n: number }[];

  it('writes each day into its own partition on PostgreSQL, other days into the default one, and reads across them alike', () => {
    const rows = [at(T0 - 30 * DAY, -30), at(T0 + 100 * DAY, 100)];
    for (let k = 0; k <= 5; k++) rows.push(at(T0 + k * DAY + 3600, k));
    samples.write(rows);
    const id = samples.metricId(d1, 'cpu', '');
    expect(samples.points(id, 0, T0 + 200 * DAY, 'raw').map((p) => p.value)).toEqual([-30, 0, 1, 2, 3, 4, 5, 100]);
    if (engine !== 'postgres') return;
    expect(db.prepare('SELECT day FROM sample_partitions ORDER BY day').pluck().all()).toEqual([0, 1, 2, 3, 4, 5].map((k) => D0 + k));
    expect(parts()).toEqual([
      { part: 'samples_raw_20270115', n: 1 }, { part: 'samples_raw_20270116', n: 1 }, { part: 'samples_raw_20270117', n: 1 },
      { part: 'samples_raw_20270118', n: 1 }, { part: 'samples_raw_20270119', n: 1 }, { part: 'samples_raw_20270120', n: 1 },
      { part: 'samples_raw_default', n: 2 },
    ]);
    expect(samples.partitionStats.partitions_created).toBe(6);
    // A day first seen outside the window (default partition) gets its own partition once the window reaches it; its rows move there.
    const later = T0 + 10 * DAY;
    samples.write([at(later, 10)]);
    expect(parts().at(-1)).toEqual({ part: 'samples_raw_default', n: 3 });
    clock = later * 1000;
    samples.write([at(later + 60, 11)]);
    expect(parts().find((p) => p.part === 'samples_raw_20270125')).toEqual({ part: 'samples_raw_20270125', n: 2 });
    expect(parts().at(-1)).toEqual({ part: 'samples_raw_default', n: 2 });
    // A second repository (another central node) finds the partitions made by the first.
    const other = new SampleRepository(db, { rawKeepDays: 7, now: () => clock });
    other.write([at(later + 120, 12)]);
    expect(other.partitionStats.partitions_created).toBe(0);
    expect(samples.points(id, later, later + 200, 'raw').map((p) => p.value)).toEqual([10, 11, 12]);
  });

  it('raw retention: SQLite deletes to the second, PostgreSQL drops whole days (and default-partition rows to the second)', async () => {
    const rows = [at(T0 - 30 * DAY, -30)];
    for (let k = 0; k <= 5; k++) rows.push(at(T0 + k * DAY + 3600, k), at(T0 + k * DAY + 7200, k + 0.5));
    samples.write(rows);
    const id = samples.metricId(d1, 'cpu', '');
    // Cutoff: 2 days before now = T0 + 3 days, 5400 s into that day (between its two rows).
    const maint = new SampleMaintenance(samples, { raw: 2 - 5400 / DAY, '5m': 3650, '1h': 3650 }, quiet);
    await maint.runOnce(clock);
    const left = samples.points(id, 0, T0 + 10 * DAY, 'raw').map((p) => p.value);
    if (engine === 'sqlite') {
      expect(left).toEqual([3.5, 4, 4.5, 5, 5.5]);
      expect(maint.stats.raw_partitions_dropped).toBe(0);
    } else {
      // Days 0-2 dropped as tables; day 3 holds the cutoff and stays whole; the default partition's old row is deleted.
      expect(left).toEqual([3, 3.5, 4, 4.5, 5, 5.5]);
      expect(maint.stats.raw_partitions_dropped).toBe(3);
      expect(samples.partitionStats.default_rows_removed).toBe(1);
      expect(db.prepare('SELECT day FROM sample_partitions ORDER BY day').pluck().all()).toEqual([3, 4, 5].map((k) => D0 + k));
      expect(db.prepare("SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname LIKE 'samples_raw_2027%'").pluck().get()).toBe(3);
      // A row written later for a dropped day inside the writer's window gets that day's partition again: nothing is lost.
      samples.write([at(T0 + 3600 + 1, 99)]);
      expect(samples.points(id, T0, T0 + DAY, 'raw').map((p) => p.value)).toEqual([99]);
    }
    // The rollups were built before retention ran, from every row.
    expect(samples.points(id, T0, T0 + 10 * DAY, '1h').length).toBeGreaterThanOrEqual(10);
    expect(maint.stats.errors).toBe(0);
  });
});

describe.skipIf(!STORE_ENGINES.includes('postgres'))('migration 0004 on PostgreSQL', () => {
  it('turns a plain samples_raw into the day-partitioned one, keeping its rows, which move to their day when the writer creates it', async () => {
    const url = await (await testPostgres()).newDatabase();
    const all = readMigrations(PG_MIGRATIONS_DIR);
    expect(all.find((m) => m.version === 4)?.name).toBe('samples_partitions');
    await migratePostgres(url, all.filter((m) => m.version < 4));
    let db = openPgDb(url);
    const dev = addDevice(db, 'old');
    const metric = new SampleRepository(db).metricId(dev, 'cpu', '');
    db.prepare('INSERT INTO samples_raw (metric_id, ts, value) VALUES (?, ?, 1), (?, ?, 2)').run(metric, T0, metric, T0 + 60);
    db.close();
    expect((await migratePostgres(url, all)).applied).toContain(4);
    db = openPgDb(url);
    try {
      expect(db.prepare("SELECT tableoid::regclass::text AS part, count(*) AS n FROM samples_raw GROUP BY tableoid").all()).toEqual([{ part: 'samples_raw_default', n: 2 }]);
      const repo = new SampleRepository(db, { now: () => T0 * 1000 });
      repo.write([{ deviceId: dev, metric: 'cpu', instance: '', ts: T0 + 120, value: 3 }]);
      expect(db.prepare("SELECT tableoid::regclass::text AS part, count(*) AS n FROM samples_raw GROUP BY tableoid").all()).toEqual([{ part: 'samples_raw_20270115', n: 3 }]);
      expect(repo.points(metric, T0, T0 + 600, 'raw').map((p) => p.value)).toEqual([1, 2, 3]);
    } finally {
      db.close();
    }
  }, 60_000);
});
