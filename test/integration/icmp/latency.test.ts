import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmDto } from '../../../server/contracts/alarms.js';
import type { LatencyDto } from '../../../server/contracts/latency.js';
import { IcmpPinger } from '../../../server/collectors/icmp/icmp.pinger.js';
import { createLogger } from '../../../server/log/logger.js';
import { repositoryDevices, RepositoryPollOutput } from '../../../server/poller/poll-io.js';
import { PollService } from '../../../server/poller/poll.service.js';
import { InProcessSnmpRunner, PingerIcmpRunner } from '../../../server/poller/snmp-runner.js';
import { DeviceRepository } from '../../../server/store/device.repository.js';
import { LatencyRepository } from '../../../server/store/latency.repository.js';
import { PollStateRepository } from '../../../server/store/poll-state.repository.js';
import { SampleRepository } from '../../../server/store/sample.repository.js';
import { until } from '../engine/engine-helpers.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

/*
 * Real fping, 20 probes a cycle, inside a network namespace this test creates (its own loopback):
 *  127.0.0.1 answers every probe; nftables in the namespace drops every 4th echo request to
 *  127.0.0.2 (exactly 25% loss) and every one to 127.0.0.3 (unreachable) until the rule is removed.
 * The cycles go through the poll service into the real server's store and bus (its threshold rules and alarms).
 */
const ns = `nwlat${process.pid}`;
const sh = (cmd: string, args: string[], input?: string) => execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], input }).toString();

let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let poller: PollService;

const device = async (name: string, address: string) =>
  (
    await call('POST', '/devices', {
      name, address, icmpEnabled: true, pollIntervalSec: 3600,
      snmp: { enabled: false },
    })
  ).body as { id: number };

beforeAll(async () => {
  sh('ip', ['netns', 'add', ns]);
  sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  sh('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], [
    'table inet nwlat {',
    '  chain input {',
    '    type filter hook input priority 0; policy accept;',
    '    ip daddr 127.0.0.2 icmp type echo-request numgen inc mod 4 == 0 drop',
    '    ip daddr 127.0.0.3 icmp type echo-request drop',
    '  }',
    '}',
  ].join('\n'));
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  const { db, bus, secrets } = srv.nms;
  poller = new PollService(
    {
      devices: repositoryDevices(new DeviceRepository(db, secrets), bus),
      out: new RepositoryPollOutput({ pollState: new PollStateRepository(db), samples: new SampleRepository(db), bus, latency: new LatencyRepository(db) }),
      log: createLogger({ level: 'silent', format: 'json' }),
      snmp: new InProcessSnmpRunner(),
      icmp: new PingerIcmpRunner(new IcmpPinger({ wrapper: ['ip', 'netns', 'exec', ns] }), { count: 20 }),
    },
    { concurrency: 4, icmpDownAfter: 3 },
  );
}, 60_000);

afterAll(async () => {
  await poller?.stop();
  await srv?.stop();
  try {
    sh('ip', ['netns', 'del', ns]);
  } catch {
    // already gone
  }
});

const latency = async (id: number, q = 'range=1h') => {
  const r = await call('GET', `/devices/${id}/latency?${q}`);
  expect(r.status).toBe(200);
  return r.body as LatencyDto;
};

describe('ICMP latency distribution with real fping', () => {
  it('stores every probe of a cycle: no loss, 25% loss, and an unreachable address', async () => {
    const ok = await device('lat-ok', '127.0.0.1');
    const lossy = await device('lat-lossy', '127.0.0.2');
    const dead = await device('lat-dead', '127.0.0.3');
    await Promise.all([poller.pollNow(ok.id), poller.pollNow(lossy.id), poller.pollNow(dead.id)]);

    const a = await latency(ok.id);
    expect(a).toMatchObject({ device: ok.id, resolution: 'raw' });
    expect(a.to - a.from).toBe(3_600_000);
    expect(a.points).toHaveLength(1);
    const p = a.points[0]!;
    expect(p).toMatchObject({ sent: 20, received: 20, lossPct: 0, cycles: 1 });
    expect(p.rtts).toHaveLength(20);
    expect(p.rtts!.every((v) => typeof v === 'number' && v > 0)).toBe(true);
    const sorted = [...(p.rtts as number[])].sort((x, y) => x - y);
    expect(p.p0).toBe(sorted[0]);
    expect(p.p100).toBe(sorted[19]);
    expect(p.p0! <= p.p25! && p.p25! <= p.p50! && p.p50! <= p.p90! && p.p90! <= p.p100!).toBe(true);

    const b = (await latency(lossy.id)).points[0]!;
    expect(b).toMatchObject({ sent: 20, received: 15, lossPct: 25 });
    expect(b.rtts!.filter((v) => v === null)).toHaveLength(5);
    expect(b.p50).not.toBeNull();

    const c = (await latency(dead.id)).points[0]!;
    expect(c).toMatchObject({ sent: 20, received: 0, lossPct: 100, p0: null, p50: null, p100: null });
    expect(c.rtts).toEqual(Array(20).fill(null));

    // Loss and percentiles are ordinary metrics too.
    const names = (await call('GET', `/devices/${lossy.id}/metrics`)).body.items.map((m: { name: string }) => m.name);
    expect(names).toEqual(expect.arrayContaining(['icmp.loss_pct', 'icmp.rtt_p50', 'icmp.rtt_p90', 'icmp.rtt_p95']));
    const loss = await call('GET', `/metrics?device=${lossy.id}&metric=icmp.loss_pct`);
    expect(loss.body.series[0].points.map((x: { value: number }) => x.value)).toEqual([25]);
    const p90 = await call('GET', `/metrics?device=${lossy.id}&metric=icmp.rtt_p90`);
    expect(p90.body.series[0].points[0].value).toBe(b.p90);
    // The unreachable address has a loss figure and no RTT percentiles.
    const deadNames = (await call('GET', `/devices/${dead.id}/metrics`)).body.items.map((m: { name: string }) => m.name);
    expect(deadNames).toContain('icmp.loss_pct');
    expect(deadNames).not.toContain('icmp.rtt_p50');
  }, 60_000);

  it('a threshold rule on icmp.loss_pct raises an alarm for the dropping address and clears it once replies come back', async () => {
    const dead = await device('lat-alarm', '127.0.0.3');
    const rule = await call('POST', '/rules', {
      name: 'packet loss',
      body: { kind: 'threshold', metrics: ['icmp.loss_pct'], deviceIds: [dead.id], op: '>', value: 20, forPolls: 1, severity: 'major', title: '{device.name}: {value}% loss' },
    });
    expect(rule.status).toBe(201);
    await poller.pollNow(dead.id);
    const mine = (a: AlarmDto) => a.deviceId === dead.id && a.reductionKey.startsWith('threshold:');
    const raised = await until(async () => ((await call('GET', '/alarms')).body.items as AlarmDto[]).find(mine), 10_000);
    expect(raised).toMatchObject({ severity: 'major', title: 'lat-alarm: 100% loss' });

    sh('ip', ['netns', 'exec', ns, 'nft', 'flush', 'chain', 'inet', 'nwlat', 'input']);
    await new Promise((r) => setTimeout(r, 1100)); // the next cycle's sample is a later second
    await poller.pollNow(dead.id);
    expect((await latency(dead.id)).points.at(-1)).toMatchObject({ sent: 20, received: 20, lossPct: 0 });
    await until(async () => ((await call('GET', '/alarms?state=cleared')).body.items as AlarmDto[]).find(mine), 10_000);
    expect(((await call('GET', '/alarms')).body.items as AlarmDto[]).find(mine)).toBeUndefined();
  }, 60_000);

  it('refuses hostile or contradictory query parameters with a 4xx and keeps serving', async () => {
    const d = await device('lat-hostile', '127.0.0.1');
    const bad = [
      'range=2h', 'range=__proto__', 'from=abc', 'from=-5', 'to=1e400', 'from=2000&to=1000', 'range=1h&from=0',
      'from=0&to=999999999999999', 'constructor=1', 'range[]=1h', 'from=2026-13-45T00:00:00Z',
    ];
    for (const q of bad) {
      const r = await call('GET', `/devices/${d.id}/latency?${q}`);
      expect(r.status, q).toBe(400);
    }
    expect((await call('GET', '/devices/abc/latency')).status).toBe(400);
    expect((await call('GET', '/devices/999999/latency')).status).toBe(404);
    const fine = await latency(d.id, `from=${Date.now() - 86_400_000}&to=${Date.now()}`);
    expect(fine.resolution).toBe('raw');
    expect((await latency(d.id, 'range=30d')).resolution).toBe('5m');
    expect((await latency(d.id, 'range=1y')).resolution).toBe('1h');
    const anon = await fetch(`${srv.url}/api/v1/devices/${d.id}/latency`);
    expect(anon.status).toBe(401);
  });
});
