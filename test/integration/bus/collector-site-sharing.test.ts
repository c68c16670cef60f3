import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startNatsServer, type NatsServerHandle } from '../../helpers/nats-server.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { apiClient, login } from '../../helpers/server.js';
import { startFleet } from '../snmp/sim-fleet.js';

/**
 * Two collectors of one site share its polling (issue 15): a central and collectors A and B of site dc-1, each its
 * own process (the build), a real nats-server and 12 simulated agents (net-snmp, real UDP on 127.93.0.x). Who
 * polled a device is read off the wire: every status batch a collector publishes carries its `Nats-Msg-Id`
 * `<site>:<boot id>:<seq>`, the boot id being the collector process's own.
 */
const PASSWORD = 'admin-password-site-sharing';
const SITE = 'dc-1';
const DEVICES = 12;
const until = <T>(check: () => T | Promise<T>, timeout = 60_000) => vi.waitFor(check, { timeout, interval: 250 });

let nats: NatsServerHandle;
let fleet: Awaited<ReturnType<typeof startFleet>>;
let central: ServerProcess;
const collectors: { proc: ServerProcess; dir: string; id: string }[] = [];
let centralDir: string;
let spy: NatsConnection;
let call: ReturnType<typeof apiClient>;
const deviceIds: number[] = [];
/** Status items seen on the wire: device id, the publishing process's boot id, when. */
const reports: { deviceId: number; boot: string; at: number }[] = [];

async function countersOf(id: string): Promise<Record<string, number>> {
  const r = await call('GET', '/collectors');
  return (r.body as { id: string; counters: Record<string, number> }[]).find((c) => c.id === id)?.counters ?? {};
}

/** The boot ids that reported each device since `since`. */
function reportersSince(since: number): Map<number, Set<string>> {
  const m = new Map<number, Set<string>>();
  for (const r of reports) if (r.at >= since) m.set(r.deviceId, (m.get(r.deviceId) ?? new Set()).add(r.boot));
  return m;
}

beforeAll(async () => {
  nats = await startNatsServer();
  fleet = await startFleet(Array.from({ length: DEVICES }, (_, i) => ({ sysName: `shared-${i}`, ports: 2, bytesPerSec: 1000, hc: true })), 93);
  spy = await connect({ servers: nats.url });
  spy.subscribe(`netwatch.${SITE}.status`, {
    callback: (_err, m) => {
      const boot = (m.headers?.get('Nats-Msg-Id') ?? '').split(':')[1] ?? '';
      let items: unknown;
      try {
        items = JSON.parse(Buffer.from(m.data).toString('utf8'));
      } catch {
        return;
      }
      if (!Array.isArray(items)) return;
      for (const it of items as { kind?: string; deviceId?: number }[]) if (it.kind === 'snmp' && typeof it.deviceId === 'number') reports.push({ deviceId: it.deviceId, boot, at: Date.now() });
    },
  });
  centralDir = mkdtempSync(join(tmpdir(), 'nw-central-share-'));
  // A collector silent for 15 s (heartbeats come every 10 s) is down: its devices go to the other one.
  central = await startServerProcess(centralDir, { NMS_ROLE: 'central', NMS_NATS_URL: nats.url, NMS_ADMIN_PASSWORD: PASSWORD, NMS_COLLECTOR_TIMEOUT_SECONDS: '15' }, 60_000, 'dist');
  call = apiClient(central.url, (await login(central.url, 'admin', PASSWORD)).token);
  for (const name of ['a', 'b']) {
    const dir = mkdtempSync(join(tmpdir(), `nw-collector-share-${name}-`));
    const proc = await startServerProcess(dir, { NMS_ROLE: 'collector', NMS_NATS_URL: nats.url, NMS_SITE: SITE, NMS_POLLER: 'true' }, 60_000, 'dist');
    collectors.push({ proc, dir, id: readFileSync(join(dir, 'collector-id'), 'utf8').trim() });
  }
  await until(async () => {
    const r = await call('GET', '/collectors');
    for (const c of collectors) expect((r.body as { id: string; publicKey: string | null }[]).find((x) => x.id === c.id)?.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  }, 30_000);
  for (const a of fleet.agents) {
    const d = await call('POST', '/devices', { name: a.spec.sysName, address: a.spec.address, icmpEnabled: false, pollIntervalSec: 5, site: SITE, snmp: { version: '2c', port: fleet.port, community: 'public', timeoutMs: 1000, retries: 1 } });
    expect(d.status, d.text).toBe(201);
    deviceIds.push(d.body.id);
  }
}, 180_000);

afterAll(async () => {
  await spy?.close();
  for (const c of collectors) await c.proc.kill();
  await central?.kill();
  await fleet?.close();
  await nats?.stop();
  for (const d of [centralDir, ...collectors.map((c) => c.dir)]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('two collectors of one site', () => {
  it('share its devices: each device is polled by exactly one of them, both poll, and every device is polled', async () => {
    // Both heartbeats (every 10 s) show the split: together all devices, each its share, the rest counted as the other's.
    const shares = await until(async () => {
      const all = await Promise.all(collectors.map((c) => countersOf(c.id)));
      const n = all.map((c) => c['assignment.assigned_devices'] ?? -1);
      expect(n[0]! + n[1]!, JSON.stringify(all.map((c) => [c['assignment.assigned_devices'], c['assignment.devices_for_other_collectors']]))).toBe(DEVICES);
      expect(Math.min(...n)).toBeGreaterThan(0);
      return n;
    }, 60_000);
    for (const [i, c] of collectors.entries()) expect((await countersOf(c.id))['assignment.devices_for_other_collectors']).toBe(DEVICES - shares[i]!);
    // From now on (the split is settled), every device is reported, each by one process only, and both processes report.
    const since = Date.now();
    const seen = await until(() => {
      const m = reportersSince(since);
      expect([...m.keys()].sort((x, y) => x - y)).toEqual([...deviceIds].sort((x, y) => x - y));
      return m;
    }, 30_000);
    // Two more poll rounds (5 s interval, the API's shortest) so that a device polled twice would show it.
    await new Promise((r) => setTimeout(r, 10_000));
    const after = reportersSince(since);
    for (const id of deviceIds) expect([...after.get(id)!], `device ${id}`).toHaveLength(1);
    expect(new Set([...after.values()].map((s) => [...s][0])).size).toBe(2);
    expect(seen.size).toBe(DEVICES);
  }, 120_000);

  it("moves a collector's devices to the other when it goes silent, and every device is polled again", async () => {
    const [a, b] = collectors as [(typeof collectors)[number], (typeof collectors)[number]];
    const bShare = (await countersOf(b.id))['assignment.assigned_devices']!;
    expect(bShare).toBeGreaterThan(0);
    await b.proc.kill();
    // Down after 15 s of silence; A's next heartbeat shows the whole site.
    await until(async () => expect((await countersOf(a.id))['assignment.assigned_devices']).toBe(DEVICES), 60_000);
    const since = Date.now();
    await until(() => {
      const m = reportersSince(since);
      expect(m.size).toBe(DEVICES);
      expect(new Set([...m.values()].flatMap((s) => [...s])).size).toBe(1);
    }, 30_000);
    const down = (await call('GET', '/collectors')).body as { id: string; state: string }[];
    expect(down.find((c) => c.id === b.id)?.state).toBe('down');
  }, 120_000);
});
