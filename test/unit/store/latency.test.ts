import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/log/logger.js';
import { SampleMaintenance } from '../../../server/poller/sample-maintenance.js';
import type { Db } from '../../../server/store/database.js';
import { decodeRtts, encodeRtts, LatencyRepository } from '../../../server/store/latency.repository.js';
import { SampleRepository } from '../../../server/store/sample.repository.js';
import { openTestDb, STORE_ENGINES, type StoreEngine } from '../../helpers/store-engines.js';
import { latencyResolution } from '../../../server/api/latency.routes.js';

const open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

/** A fresh migrated store on the engine (both engines: the same repository code and SQL). */
async function setup(engine: StoreEngine) {
  const db = await openTestDb(engine);
  open.push(db);
  db.prepare("INSERT INTO devices (id, name, address, created_at, updated_at) VALUES (1, 'd1', '127.0.0.1', 0, 0)").run();
  return { db, latency: new LatencyRepository(db), samples: new SampleRepository(db) };
}
const T0 = 1_800_000_000 - (1_800_000_000 % 3600);
const quiet = createLogger({ level: 'silent', format: 'json' });
const cycle = (ts: number, rtts: (number | null)[]) => ({ deviceId: 1, ts, sent: rtts.length, received: rtts.filter((v) => v !== null).length, rtts });

describe.each(STORE_ENGINES)('latency store on %s', (engine) => {
  it('keeps every probe of a cycle (µs precision, lost as null) and its percentiles', async () => {
    const { latency } = await setup(engine);
    expect(decodeRtts(encodeRtts([0.012, null, 1234.5678]))).toEqual([0.012, null, 1234.568]);
    latency.write([cycle(T0, [1, 2, 3, 4, null])]);
    const [p] = latency.points(1, T0, T0, 'raw');
    expect(p).toEqual({ ts: T0 * 1000, sent: 5, received: 4, lossPct: 20, p0: 1, p10: 1.3, p25: 1.75, p50: 2.5, p75: 3.25, p90: 3.7, p95: 3.85, p100: 4, cycles: 1, rtts: [1, 2, 3, 4, null] });
  });

  it('skips a cycle of a device deleted meanwhile and keeps the rest of the batch', async () => {
    const { latency } = await setup(engine);
    expect(latency.write([{ ...cycle(T0, [1]), deviceId: 99 }, cycle(T0, [1])])).toBe(1);
    expect(latency.points(1, 0, T0 + 1, 'raw')).toHaveLength(1);
  });

  it('rolls cycles up into 5-minute and hourly buckets with the samples, and prunes them by the same retention', async () => {
    const { latency, samples } = await setup(engine);
    const rows = [];
    // One cycle a minute for 2 h; every 10th cycle lost entirely.
    for (let m = 0; m < 120; m++) rows.push(cycle(T0 + m * 60, m % 10 === 9 ? [null, null] : [m, m + 2]));
    latency.write(rows);
    const maint = new SampleMaintenance(samples, { raw: 3650, '5m': 3650, '1h': 3650 }, quiet, latency);
    await maint.runOnce((T0 + 90 * 60) * 1000);
    const five = latency.points(1, T0, T0 + 7200, '5m');
    expect(five).toHaveLength(18);
    expect(five[0]).toMatchObject({ ts: T0 * 1000, sent: 10, received: 10, lossPct: 0, p0: 0, p100: 6, p50: 3, cycles: 5 });
    // Minutes 5..9: minute 9 lost; the percentiles average over the 4 that answered.
    expect(five[1]).toMatchObject({ sent: 10, received: 8, lossPct: 20, p0: 5, p100: 10, p50: 7.5, cycles: 5 });
    const hours = latency.points(1, T0, T0 + 7200, '1h');
    expect(hours).toHaveLength(1);
    expect(hours[0]).toMatchObject({ ts: T0 * 1000, sent: 120, received: 108, lossPct: 10, p0: 0, p100: 60, cycles: 60 });
    // p50 of the hour: mean of the answered cycles' medians (m + 1 for m not ≡ 9 mod 10, m < 60).
    const medians = Array.from({ length: 60 }, (_, m) => m).filter((m) => m % 10 !== 9).map((m) => m + 1);
    expect(hours[0]!.p50).toBeCloseTo(medians.reduce((a, b) => a + b, 0) / medians.length, 9);

    const later = new SampleMaintenance(samples, { raw: 1, '5m': 3650, '1h': 3650 }, quiet, latency);
    await later.runOnce((T0 + 3 * 86_400) * 1000);
    expect(latency.points(1, 0, T0 + 7200, 'raw')).toEqual([]);
    expect(latency.points(1, 0, T0 + 7200, '5m')).toHaveLength(24);
  });

  it('answers a day per cycle, a month in 5-minute buckets, a year in hours', () => {
    const keep = { raw: 7 * 86_400, '5m': 90 * 86_400, '1h': 730 * 86_400 };
    const now = 2_000_000_000;
    expect(latencyResolution(now - 3600, now, now, keep)).toBe('raw');
    expect(latencyResolution(now - 86_400, now, now, keep)).toBe('raw');
    expect(latencyResolution(now - 7 * 86_400, now, now, keep)).toBe('5m');
    expect(latencyResolution(now - 365 * 86_400, now, now, keep)).toBe('1h');
    // A past hour beyond raw retention comes from the rollups.
    expect(latencyResolution(now - 30 * 86_400, now - 29 * 86_400, now, keep)).toBe('5m');
  });
});
