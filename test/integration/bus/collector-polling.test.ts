import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ASSIGNMENT_BUCKET } from '../../../server/contracts/assignment.js';
import { startNatsServer, type NatsServerHandle } from '../../helpers/nats-server.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { apiClient, login } from '../../helpers/server.js';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';

/**
 * Polling at a collector (issue 15): a central and a collector, each its own process (the build, as `npm start`
 * runs it), a real nats-server and a real snmpd. Devices of site branch-1 are created at the central's API; the
 * collector gets them through the KV bucket (secrets sealed for it) and polls them; the central stores what it publishes.
 */
const PASSWORD = 'admin-password-collector-polling';
const COMMUNITY = 'Br4nch-c0mmunity-x7';
const AUTH_PASS = 'auth-Pass-q81-secret';
const PRIV_PASS = 'priv-Pass-z42-secret';
const SECRETS = [COMMUNITY, AUTH_PASS, PRIV_PASS];
const until = <T>(check: () => T | Promise<T>, timeout = 60_000) => vi.waitFor(check, { timeout, interval: 250 });

let nats: NatsServerHandle;
let agent: SnmpdHandle;
let central: ServerProcess;
let collector: ServerProcess;
let centralDir: string;
let collectorDir: string;
let spy: NatsConnection;
/** Every message on every subject (streams, KV, heartbeats, JetStream API) while the test runs. */
const seen: { subject: string; data: Buffer }[] = [];
let call: ReturnType<typeof apiClient>;
let v2Id: number;
let v3Id: number;
let collectorId: string;

type Status = { lastPollAt: number | null; snmpState: string; system: { sysName: string | null } } | null;
const status = async (id: number) => (await call('GET', `/devices/${id}/status`)).body.status as Status;
async function collectorCounters(): Promise<Record<string, number>> {
  const r = await call('GET', '/collectors');
  const c = (r.body as { id: string; counters: Record<string, number> }[]).find((x) => x.id === collectorId);
  return c?.counters ?? {};
}

beforeAll(async () => {
  nats = await startNatsServer();
  agent = await startSnmpd({ community: COMMUNITY, authPass: AUTH_PASS, privPass: PRIV_PASS, sysName: 'branch-agent' });
  spy = await connect({ servers: nats.url });
  spy.subscribe('>', {
    callback: (_err, m) => {
      seen.push({ subject: m.subject, data: Buffer.from(m.data) });
    },
  });
  centralDir = mkdtempSync(join(tmpdir(), 'nw-central-poll-'));
  collectorDir = mkdtempSync(join(tmpdir(), 'nw-collector-poll-'));
  central = await startServerProcess(centralDir, { NMS_ROLE: 'central', NMS_NATS_URL: nats.url, NMS_ADMIN_PASSWORD: PASSWORD }, 60_000, 'dist');
  collector = await startServerProcess(collectorDir, { NMS_ROLE: 'collector', NMS_NATS_URL: nats.url, NMS_SITE: 'branch-1', NMS_POLLER: 'true' }, 60_000, 'dist');
  call = apiClient(central.url, (await login(central.url, 'admin', PASSWORD)).token);
  collectorId = readFileSync(join(collectorDir, 'collector-id'), 'utf8').trim();
  // The centre seals for collectors it has heard from: wait for the heartbeat with the public key.
  await until(async () => {
    const r = await call('GET', '/collectors');
    expect((r.body as { id: string; publicKey: string | null }[]).find((c) => c.id === collectorId)?.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  }, 30_000);
  const snmp = { port: agent.port, timeoutMs: 1000, retries: 1 };
  const v2 = await call('POST', '/devices', { name: 'branch-v2', address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 5, site: 'branch-1', snmp: { ...snmp, version: '2c', community: COMMUNITY } });
  expect(v2.status, v2.text).toBe(201);
  v2Id = v2.body.id;
  const v3 = await call('POST', '/devices', {
    name: 'branch-v3', address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 5, site: 'branch-1',
    snmp: { ...snmp, version: '3', username: agent.v3.username, authProtocol: 'sha', authKey: AUTH_PASS, privProtocol: 'aes', privKey: PRIV_PASS },
  });
  expect(v3.status, v3.text).toBe(201);
  v3Id = v3.body.id;
}, 120_000);

afterAll(async () => {
  await spy?.close();
  await collector?.kill();
  await central?.kill();
  await agent?.stop();
  await nats?.stop();
  for (const d of [centralDir, collectorDir]) if (d) rmSync(d, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('devices polled at their collector', () => {
  it("polls a site's devices at its collector (v2c community and v3 keys opened there): status, sysName, interfaces and samples at the central", async () => {
    for (const id of [v2Id, v3Id]) {
      const s = await until(async () => {
        const got = await status(id);
        expect(got?.system.sysName, `device ${id}: ${collector.output().slice(-2000)}`).toBe('branch-agent');
        return got!;
      }, 60_000);
      expect(s.snmpState).toBe('up');
    }
    const ifaces = await until(async () => {
      const r = await call('GET', `/devices/${v2Id}/interfaces`);
      expect(r.body.items.length).toBeGreaterThan(0);
      return r.body.items as { name: string }[];
    });
    expect(ifaces.map((i) => i.name)).toContain('lo');
    // Samples stored at the central: the second poll gives rates, sysUpTime comes with every poll.
    const metrics = await until(async () => {
      const r = await call('GET', `/devices/${v2Id}/metrics`);
      expect((r.body.items as { name: string }[]).map((m) => m.name)).toContain('sysUpTime');
      return r.body.items as { name: string }[];
    });
    expect(metrics.length).toBeGreaterThan(1);
    // The collector polled them, not the central: the central has no poller, and says so when asked to poll.
    await until(async () => expect((await collectorCounters())['poller.snmp_polls']).toBeGreaterThanOrEqual(2), 30_000);
    expect((await call('GET', '/status')).body.counters['poller.snmp_polls']).toBeUndefined();
    expect((await call('POST', `/devices/${v2Id}/poll`)).status).toBe(409);
  }, 120_000);

  it("serves what the collector polled at the central's GET /metrics/devices: raw counters with the site label", async () => {
    const text = await until(async () => {
      const t = await (await fetch(`${central.url}/metrics/devices`)).text();
      expect(t).toMatch(/^ifHCInOctets\{device="branch-v2",address="127\.0\.0\.1",site="branch-1",group="",ifIndex="\d+",ifName="lo",.*\} \d+$/m);
      expect(t).toMatch(/^sysUpTime\{device="branch-v3",.*\} \d+$/m);
      return t;
    }, 30_000);
    expect(text).toMatch(/^netwatch_device_up\{device="branch-v2",.*probe="snmp"\} 1$/m);
    expect(text).toMatch(/^netwatch_device_state\{device="branch-v3",.*state="up"\} 1$/m);
    expect(text).toContain('# TYPE ifHCInOctets counter\n');
  }, 60_000);

  it('never shows a community or v3 key in plaintext: not in the KV assignment, not in any NATS message, not in the collector files', async () => {
    const kv = await new Kvm(spy).open(ASSIGNMENT_BUCKET);
    const entry = await kv.get('branch-1');
    const value = entry!.string();
    const assignment = JSON.parse(value) as { devices: { id: number; snmp: { community: { collector: string; sealed: string }[] | null; authKey: unknown } }[] };
    // Sealed for this collector, and the assignment really carries both devices.
    expect(assignment.devices.map((d) => d.id).sort()).toEqual([v2Id, v3Id].sort());
    expect(assignment.devices.find((d) => d.id === v2Id)!.snmp.community).toEqual([{ collector: collectorId, sealed: expect.stringMatching(/^v1\./) }]);
    for (const secret of SECRETS) expect(value).not.toContain(secret);

    expect(seen.some((m) => m.subject === '$KV.netwatch-assignments.branch-1')).toBe(true);
    expect(seen.some((m) => m.subject === 'netwatch.branch-1.status')).toBe(true);
    expect(seen.some((m) => m.subject === 'netwatch.branch-1.samples')).toBe(true);
    for (const m of seen) {
      const text = m.data.toString('latin1');
      for (const secret of SECRETS) expect(text.includes(secret), `${secret} in a message on ${m.subject}`).toBe(false);
    }

    const files = filesUnder(collectorDir);
    expect(files.some((f) => f.endsWith('collector-key.pem'))).toBe(true);
    expect(statSync(join(collectorDir, 'collector-key.pem')).mode & 0o777).toBe(0o600);
    for (const f of files) {
      const text = readFileSync(f).toString('latin1');
      for (const secret of SECRETS) expect(text.includes(secret), `${secret} in ${f}`).toBe(false);
    }
  }, 60_000);

  it('counts hostile samples and status batches, keeps consuming, and stores the next good batch', async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const js = jetstream(nc);
      let n = 0;
      const send = (kind: string, body: string) => {
        const h = headers();
        h.set('Nats-Msg-Id', `hostile-poll-${++n}`);
        return js.publish(`netwatch.branch-1.${kind}`, new TextEncoder().encode(body), { headers: h });
      };
      const before = (await call('GET', '/status')).body.counters as Record<string, number>;
      // Not JSON: the consumer counts the batch (nats_consumer.invalid); then 4 bad samples and 3 bad status items.
      await send('samples', 'not json {');
      await send('samples', `[null, 7, {"deviceId":${v3Id},"metric":"x","instance":"","ts":1,"value":"NaN"}, {"deviceId":${v3Id},"metric":"p","instance":"","ts":1,"value":1,"__proto__":{"polluted":true}}]`);
      await send('status', `[{"kind":"snmp","deviceId":${v3Id},"update":{"snmpState":"owned","at":-1}}, {"kind":"teleport"}, "x"]`);
      // A valid item for a device of another site: a collector reports its own site's devices only.
      const other = await call('POST', '/devices', { name: 'hq-only', address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 300, snmp: { enabled: false } });
      expect(other.status, other.text).toBe(201);
      await send('samples', JSON.stringify([{ deviceId: other.body.id, metric: 'foreign-metric', instance: '', ts: Math.floor(Date.now() / 1000), value: 1 }]));
      await send('samples', JSON.stringify([{ deviceId: v3Id, metric: 'after-hostile', instance: '', ts: Math.floor(Date.now() / 1000), value: 42, unit: null }]));
      await until(async () => {
        const r = await call('GET', `/devices/${v3Id}/metrics`);
        expect((r.body.items as { name: string }[]).map((m) => m.name)).toContain('after-hostile');
      });
      const after = (await call('GET', '/status')).body.counters as Record<string, number>;
      expect(after['transport.invalid_poll_items']! - (before['transport.invalid_poll_items'] ?? 0)).toBe(7);
      expect(after['transport.foreign_poll_items']! - (before['transport.foreign_poll_items'] ?? 0)).toBe(1);
      expect(after['nats_consumer.invalid']!).toBeGreaterThan(before['nats_consumer.invalid'] ?? 0);
      expect((await call('GET', `/devices/${other.body.id}/metrics`)).body.items).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // The hostile status changed nothing: the device is still up, polled by the collector.
      expect((await status(v3Id))?.snmpState).toBe('up');
    } finally {
      await nc.close();
    }
  }, 60_000);

  it('stops polling a device whose site is changed back to central', async () => {
    expect((await call('PATCH', `/devices/${v2Id}`, { site: 'central' })).status).toBe(200);
    await until(async () => expect((await collectorCounters())['assignment.assigned_devices']).toBe(1), 30_000);
    const frozen = (await status(v2Id))!.lastPollAt;
    const polls = (await collectorCounters())['poller.snmp_polls']!;
    // The other device keeps being polled (two more polls at 5 s), the moved one is not.
    await until(async () => expect((await collectorCounters())['poller.snmp_polls']).toBeGreaterThanOrEqual(polls + 2), 60_000);
    expect((await status(v2Id))!.lastPollAt).toBe(frozen);
    expect((await status(v3Id))!.lastPollAt).toBeGreaterThan(frozen ?? 0);
  }, 90_000);

  it("stores the latency distribution of a device the collector pings: every probe's RTT crosses NATS to the centre", async () => {
    const d = await call('POST', '/devices', { name: 'branch-ping', address: '127.0.0.1', icmpEnabled: true, pollIntervalSec: 5, site: 'branch-1', snmp: { enabled: false } });
    expect(d.status, d.text).toBe(201);
    try {
      const point = await until(async () => {
        const r = await call('GET', `/devices/${d.body.id}/latency?range=1h`);
        expect(r.status).toBe(200);
        const p = (r.body as { points: { sent: number; received: number; rtts?: (number | null)[]; p50: number | null }[] }).points[0];
        expect(p).toBeDefined();
        return p!;
      }, 60_000);
      // The collector's default icmpProbes: 20, each one kept.
      expect(point).toMatchObject({ sent: 20, received: 20 });
      expect(point.rtts).toHaveLength(20);
      expect(point.rtts!.every((v) => typeof v === 'number')).toBe(true);
      expect(point.p50).toBeGreaterThan(0);
      const names = (await call('GET', `/devices/${d.body.id}/metrics`)).body.items.map((m: { name: string }) => m.name);
      expect(names).toEqual(expect.arrayContaining(['icmp.loss_pct', 'icmp.rtt_p50', 'icmp.rtt_p90', 'icmp.rtt_p95']));
    } finally {
      await call('DELETE', `/devices/${d.body.id}`);
    }
  }, 90_000);
});
