import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import type { DeviceStatusDto } from '../../../server/contracts/poll-state.js';
import { IcmpPinger } from '../../../server/collectors/icmp/icmp.pinger.js';
import { InProcessBus } from '../../../server/events/bus.js';
import { createLogger } from '../../../server/log/logger.js';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { repositoryDevices, RepositoryPollOutput } from '../../../server/poller/poll-io.js';
import { ICMP_SLICE, PollService, SAMPLE_SLICE } from '../../../server/poller/poll.service.js';
import { InProcessSnmpRunner, PingerIcmpRunner } from '../../../server/poller/snmp-runner.js';
import { openDatabase } from '../../../server/store/database.js';
import { DeviceRepository } from '../../../server/store/device.repository.js';
import { LatencyRepository } from '../../../server/store/latency.repository.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';
import { PollStateRepository } from '../../../server/store/poll-state.repository.js';
import { SampleRepository } from '../../../server/store/sample.repository.js';
import { testSecretBox } from '../../helpers/secrets.js';

// A cycle of several ICMP_SLICEs of devices, pinged with the real fping inside a network namespace
// this test creates (its loopback answers every 127/8 address while UP, nothing while DOWN). The
// cycle's results are handed on a slice per turn and its samples written SAMPLE_SLICE per turn: every
// device's state, status push, event, latency row and sample must still arrive, once, in order.
const ns = `nwslice${process.pid}`;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
const N = ICMP_SLICE * 3 + 17;

describe('an ICMP cycle of many devices handed on in slices', () => {
  let poller: PollService;
  let pollState: PollStateRepository;
  let samples: SampleRepository;
  let latency: LatencyRepository;
  const bus = new InProcessBus();
  const ids: number[] = [];
  const statuses: DeviceStatusDto[] = [];
  const events: NormalizedEvent[] = [];
  const sampled: { deviceId: number; metric: string }[][] = [];

  beforeAll(() => {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'nw-slices-')), 'netwatch.db'));
    migrate(db, readMigrations(MIGRATIONS_DIR));
    const devices = new DeviceRepository(db, testSecretBox());
    pollState = new PollStateRepository(db);
    samples = new SampleRepository(db);
    latency = new LatencyRepository(db);
    bus.subscribe('device.status', (s) => statuses.push(s));
    bus.subscribe('event.received', (e) => events.push(e));
    bus.subscribe('metrics.sampled', (batch) => sampled.push(batch.map((s) => ({ deviceId: s.deviceId, metric: s.metric }))));
    for (let i = 0; i < N; i++) {
      ids.push(devices.create({
        name: `slice-${i}`, address: `127.62.${Math.floor(i / 250)}.${(i % 250) + 1}`, group: null, location: null, tags: [], pollIntervalSec: 3600, icmpEnabled: true,
        snmp: { enabled: false, version: '2c', port: 161, community: 'public', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 1000, retries: 0 },
      }).id);
    }
    const pinger = new IcmpPinger({ wrapper: ['ip', 'netns', 'exec', ns] });
    // Probes and timeout are per cycle (PingOptions, the runner's), not the pinger's.
    const icmp = new PingerIcmpRunner(pinger, { count: 1, timeoutMs: 300 });
    poller = new PollService(
      { devices: repositoryDevices(devices, bus), out: new RepositoryPollOutput({ pollState, samples, bus, latency }), log: createLogger({ level: 'silent', format: 'json' }), snmp: new InProcessSnmpRunner(), icmp },
      { concurrency: 4, icmpDownAfter: 1 },
    );
  });
  afterAll(async () => {
    await poller?.stop();
    try {
      ip('netns', 'del', ns);
    } catch {
      // already gone
    }
  });

  /** Every queued sample written (the drain runs a slice per turn). */
  /** Per device, the names of its samples in `flat`; all devices answered alike, so all alike (and none lost). */
  const sameForEvery = (flat: { deviceId: number; metric: string }[]) => {
    const by = new Map<number, string[]>();
    for (const s of flat) by.set(s.deviceId, [...(by.get(s.deviceId) ?? []), s.metric]);
    const first = by.get(ids[0]!)!;
    expect(first).toContain('icmpLoss');
    for (const id of ids) expect(by.get(id), `device ${id}`).toEqual(first);
    expect(flat.length).toBe(first.length * N);
    return first;
  };
  const drained = async () => {
    for (let i = 0; i < 10_000 && poller.counters().samples_pending > 0; i++) await new Promise<void>((r) => setImmediate(r));
    expect(poller.counters().samples_pending).toBe(0);
  };

  it('stores and pushes every device of the cycle once and in order, and writes all its samples oldest first', async () => {
    await poller.pollNowMany(ids);
    // States and pushes: one per device, in the cycle's (device) order.
    expect(statuses.map((s) => s.deviceId)).toEqual(ids);
    for (const id of ids) expect(pollState.status(id)!.icmpState).toBe('up');
    expect(events).toHaveLength(0);
    // Latency: one raw cycle per device.
    const now = Math.floor(Date.now() / 1000);
    for (const id of ids) expect(latency.points(id, now - 600, now + 60, 'raw')).toHaveLength(1);

    await drained();
    const flat = sampled.flat();
    expect(poller.counters()).toMatchObject({ samples_written: flat.length, sample_write_errors: 0 });
    // More than one transaction's worth, so the drain ran in several slices…
    expect(flat.length).toBeGreaterThan(SAMPLE_SLICE * 2);
    expect(sampled.length).toBeGreaterThan(2);
    expect(Math.max(...sampled.map((b) => b.length))).toBeLessThanOrEqual(SAMPLE_SLICE);
    // …and still queued order: each device's samples together, devices in cycle order, none twice.
    const order = flat.map((s) => s.deviceId).filter((id, k, a) => k === 0 || a[k - 1] !== id);
    expect(order).toEqual(ids);
    expect(new Set(flat.map((s) => `${s.deviceId}/${s.metric}`)).size).toBe(flat.length);
    // Every sample of every device is in the store.
    const names = sameForEvery(flat);
    for (const id of ids) {
      const stored = samples.metricsOf(id);
      expect(stored.map((m) => m.name).sort()).toEqual([...names].sort());
      for (const m of stored) expect(samples.points(m.id, now - 600, now + 60, 'raw')).toHaveLength(1);
    }
  }, 120_000);

  it('stores every state before the first event, then raises one event per device in order; a stop during the cycle finishes it', async () => {
    statuses.length = 0;
    sampled.length = 0;
    const writtenBefore = poller.counters().samples_written;
    ip('-n', ns, 'link', 'set', 'lo', 'down');
    let downAtFirstEvent = -1;
    let eventsWhenStopped = -1;
    let stopped: Promise<void> | undefined;
    const offStatus = bus.subscribe('device.status', () => {
      // Stop while the cycle is being handed on (its first slice): the rest must still land.
      stopped ??= poller.stop().then(() => {
        eventsWhenStopped = events.length;
      });
    });
    const offEvent = bus.subscribe('event.received', () => {
      if (downAtFirstEvent < 0) downAtFirstEvent = ids.filter((id) => pollState.status(id)!.icmpState === 'down').length;
    });
    try {
      await poller.pollNowMany(ids);
      await stopped;
    } finally {
      offStatus();
      offEvent();
    }
    expect(stopped).toBeDefined();
    expect(statuses.map((s) => s.deviceId)).toEqual(ids);
    expect(downAtFirstEvent).toBe(N);
    expect(events.map((e) => [e.type, e.deviceId])).toEqual(ids.map((id) => ['icmp.down', id]));
    expect(eventsWhenStopped).toBe(N);
    for (const id of ids) expect(pollState.status(id)).toMatchObject({ icmpState: 'down', rtt: { lossPct: 100 } });
    // stop() wrote what was queued: every sample of the cycle, in order.
    const flat = sampled.flat();
    sameForEvery(flat);
    expect(poller.counters().samples_written - writtenBefore).toBe(flat.length);
    expect(flat.map((s) => s.deviceId).filter((id, k, a) => k === 0 || a[k - 1] !== id)).toEqual(ids);
  }, 120_000);
});
