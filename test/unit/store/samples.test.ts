import { afterEach, describe, expect, it } from 'vitest';
import { bucket, pickResolution } from '../../../server/api/metrics.routes.js';
import { createLogger } from '../../../server/log/logger.js';
import { SampleMaintenance } from '../../../server/poller/sample-maintenance.js';
import type { Db } from '../../../server/store/database.js';
import { PollStateRepository } from '../../../server/store/poll-state.repository.js';
import { SampleRepository } from '../../../server/store/sample.repository.js';
import { openTestDb, STORE_ENGINES, type StoreEngine } from '../../helpers/store-engines.js';

const open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

/** A fresh migrated store on the engine (both engines: the same repository code and SQL). */
async function setup(engine: StoreEngine) {
  const db = await openTestDb(engine);
  open.push(db);
  db.prepare("INSERT INTO devices (id, name, address, created_at, updated_at) VALUES (1, 'd1', '127.0.0.1', 0, 0)").run();
  return { db, samples: new SampleRepository(db), state: new PollStateRepository(db) };
}

const T0 = 1_800_000_000 - (1_800_000_000 % 3600); // an hour boundary

describe.each(STORE_ENGINES)('time series store on %s', (engine) => {
  it('gives each (device, metric, instance) one integer id and stores samples by it', async () => {
    const { samples } = await setup(engine);
    const a = samples.metricId(1, 'ifInBps', 'Gi0/1', 'bit/s');
    expect(samples.metricId(1, 'ifInBps', 'Gi0/1')).toBe(a);
    expect(samples.metricId(1, 'ifInBps', 'Gi0/2')).not.toBe(a);
    samples.write([
      { deviceId: 1, metric: 'ifInBps', instance: 'Gi0/1', ts: T0, value: 10 },
      { deviceId: 1, metric: 'ifInBps', instance: 'Gi0/1', ts: T0 + 60, value: 20 },
      { deviceId: 1, metric: 'ifInBps', instance: 'Gi0/1', ts: T0 + 120, value: NaN },
    ]);
    expect(samples.points(a, T0, T0 + 600, 'raw')).toEqual([
      { ts: T0, value: 10 },
      { ts: T0 + 60, value: 20 },
    ]);
  });

  it('rolls raw samples up into 5-minute and hourly min/avg/max, only for complete buckets', async () => {
    const { samples } = await setup(engine);
    const rows = [];
    for (let m = 0; m < 120; m++) rows.push({ deviceId: 1, metric: 'cpu', instance: '', ts: T0 + m * 60, value: m });
    samples.write(rows);
    const id = samples.metricId(1, 'cpu', '');
    const maint = new SampleMaintenance(samples, { raw: 3650, '5m': 3650, '1h': 3650 }, createLogger({ level: 'silent', format: 'json' }));
    await maint.runOnce((T0 + 90 * 60) * 1000); // 1.5 h in: 18 complete 5-min buckets, 1 complete hour
    const five = samples.points(id, T0, T0 + 7200, '5m');
    expect(five).toHaveLength(18);
    expect(five[0]).toEqual({ ts: T0, value: 2, min: 0, max: 4 });
    const hours = samples.points(id, T0, T0 + 7200, '1h');
    expect(hours).toEqual([{ ts: T0, value: 29.5, min: 0, max: 59 }]);
    await maint.runOnce((T0 + 121 * 60) * 1000);
    expect(samples.points(id, T0, T0 + 7200, '1h').map((h) => h.value)).toEqual([29.5, 89.5]);
  });

  it('removes data past each resolution retention', async () => {
    const { samples } = await setup(engine);
    const now = T0 + 10 * 86_400;
    samples.write([
      { deviceId: 1, metric: 'cpu', instance: '', ts: now - 8 * 86_400, value: 1 },
      { deviceId: 1, metric: 'cpu', instance: '', ts: now - 100, value: 2 },
    ]);
    const maint = new SampleMaintenance(samples, { raw: 7, '5m': 90, '1h': 730 }, createLogger({ level: 'silent', format: 'json' }));
    await maint.runOnce(now * 1000);
    const id = samples.metricId(1, 'cpu', '');
    expect(samples.points(id, 0, now, 'raw').map((p) => p.value)).toEqual([2]);
    expect(samples.points(id, 0, now, '5m').length).toBeGreaterThan(0);
  });

  it('picks the finest resolution that covers the range and buckets raw points to the step', () => {
    const keep = { raw: 7 * 86_400, '5m': 90 * 86_400, '1h': 730 * 86_400 };
    const now = 2_000_000_000;
    expect(pickResolution(now - 3600, now, undefined, keep)).toBe('raw');
    expect(pickResolution(now - 30 * 86_400, now, undefined, keep)).toBe('5m');
    expect(pickResolution(now - 365 * 86_400, now, undefined, keep)).toBe('1h');
    expect(pickResolution(now - 3600, now, 300, keep)).toBe('5m');
    expect(bucket([{ ts: 0, value: 1 }, { ts: 30, value: 3 }, { ts: 60, value: 5 }], 60)).toEqual([
      { ts: 0, value: 2, min: 1, max: 3 },
      { ts: 60, value: 5, min: 5, max: 5 },
    ]);
  });
});

describe.each(STORE_ENGINES)('poll state on %s', (engine) => {
  it('keeps an interface identity by name across ifIndex renumbering and drops vanished ones', async () => {
    const { state } = await setup(engine);
    const iface = (ifIndex: number, name: string) => ({
      ifIndex, name, descr: name, alias: null, type: 6, speedBps: 1e9, mac: null, adminStatus: 1, operStatus: 1,
      inBps: 1, outBps: 2, inErrorsPs: 0, outErrorsPs: 0, inDiscardsPs: 0, outDiscardsPs: 0, inUtilPct: 0, outUtilPct: 0, hcCounters: true,
    });
    state.replaceInterfaces(1, [iface(1, 'eth0'), iface(2, 'eth1')], 1000);
    const before = state.interfaces(1);
    state.replaceInterfaces(1, [iface(7, 'eth0')], 2000);
    const after = state.interfaces(1);
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(before.find((i) => i.name === 'eth0')!.id);
    expect(after[0]!.ifIndex).toBe(7);
  });
});
