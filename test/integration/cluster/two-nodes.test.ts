import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../server/contracts/realtime.js';
import { postgresAvailable, startPostgres, type PostgresHandle } from '../../helpers/postgres.js';
import { apiClient, eventsOfType, login, startTestServer, type TestServer } from '../../helpers/server.js';

const JOBS = ['housekeeping', 'sample_rollups', 'alarm_sweep', 'alarm_escalation', 'event_retention', 'collector_alarms'];
const until = <T>(check: () => T | Promise<T>, timeout = 15_000) => vi.waitFor(check, { timeout, interval: 100 });

/**
 * Two real Netwatch nodes (in-process, each its own HTTP server and listeners) on one real PostgreSQL
 * store (NMS_DATABASE_URL) and one key file: singleton jobs on one node each, sessions valid on both,
 * changes and events pushed to browsers on both, an alarm raised once, and the jobs moving when a node
 * stops. (A SIGKILLed holder's takeover is in singleton.test.ts, with node processes.)
 */
async function sendSyslog(port: number, line: string): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => s.send(Buffer.from(line), port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  s.close();
}

describe.skipIf(!postgresAvailable())('two nodes with NMS_DATABASE_URL', () => {
  let pgs: PostgresHandle;
  let a: TestServer | undefined;
  let b: TestServer | undefined;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    pgs = await startPostgres();
    const url = await pgs.newDatabase();
    a = await startTestServer({ env: { NMS_DATABASE_URL: url, NMS_COLLECTOR_TIMEOUT_SECONDS: '5' } });
    // Every central node on the database reads its secrets with the same key file.
    b = await startTestServer({ env: { NMS_DATABASE_URL: url, NMS_COLLECTOR_TIMEOUT_SECONDS: '5', NMS_SECRET_KEY_FILE: join(a.dataDir, 'secret.key') } });
  }, 120_000);
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await a?.stop();
    await b?.stop();
    await pgs?.stop();
  });
  const holds = (n: TestServer | undefined, job: string) => (n ? (n.nms.metrics.snapshot()[`singletons.holds_${job}`] ?? 0) : 0);

  it('runs each singleton job on exactly one of the two nodes', async () => {
    await until(() => {
      for (const job of JOBS) expect(holds(a, job) + holds(b, job)).toBe(1);
    });
    expect(a!.nms.metrics.snapshot()['cluster-notices.listening']).toBe(1);
  });

  it('a browser on node B sees a device created through node A', async () => {
    const { token } = await login(b!.url, 'admin', b!.adminPassword);
    const s: Socket<ServerToClientEvents, ClientToServerEvents> = connect(b!.url, { transports: ['websocket'], reconnection: false, auth: { token } });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => (s.once('connect', () => resolve()), s.once('connect_error', reject)));
    const names: string[] = [];
    s.on('device.created', (d) => names.push(d.name));
    const callA = apiClient(a!.url, (await login(a!.url, 'admin', a!.adminPassword)).token);
    const r = await callA('POST', '/devices', { name: 'made-on-a', address: '192.0.2.44' });
    expect(r.status).toBe(201);
    await until(() => expect(names).toEqual(['made-on-a']));
    // And B heard the change notice (its caches drop the device list).
    await until(() => expect(b!.nms.metrics.snapshot()['cluster-notices.received']).toBeGreaterThanOrEqual(1));
  });

  it('shares one store: a session made on A works on B, and both list the same devices', async () => {
    const { token } = await login(a!.url, 'admin', a!.adminPassword);
    const onB = await apiClient(b!.url, token)('GET', '/devices');
    expect(onB.status).toBe(200);
    expect((onB.body.items as Array<{ name: string }>).map((d) => d.name)).toContain('made-on-a');
  });

  it('an event received by A is stored once, pushed to browsers on both nodes, and raises one alarm', async () => {
    const callA = apiClient(a!.url, (await login(a!.url, 'admin', a!.adminPassword)).token);
    const callB = apiClient(b!.url, (await login(b!.url, 'admin', b!.adminPassword)).token);
    const received = () => a!.nms.metrics.snapshot()['cluster-notices.received'] ?? 0;
    const noticesBefore = received();
    const rule = await callB('POST', '/rules', {
      name: 'two-node fan',
      body: { kind: 'event', match: { message: 'fan (?<fan>\\d+) failed' }, actions: { severity: 'critical', title: 'fan {fan} failed', disposition: 'alarm', reductionKey: 'fan:{deviceOrSource}:{fan}' } },
    });
    expect(rule.status).toBe(201);
    const seen = { a: [] as string[], b: [] as string[], alarmsA: new Set<number>(), alarmsB: new Set<number>() };
    for (const [node, list, alarms] of [[a!, seen.a, seen.alarmsA], [b!, seen.b, seen.alarmsB]] as const) {
      const { token } = await login(node.url, 'admin', node.adminPassword);
      const s: Socket<ServerToClientEvents, ClientToServerEvents> = connect(node.url, { transports: ['websocket'], reconnection: false, auth: { token } });
      sockets.push(s);
      await new Promise<void>((resolve, reject) => (s.once('connect', () => resolve()), s.once('connect_error', reject)));
      s.on('events.new', (events) => list.push(...events.map((e) => e.message)));
      s.on('alarm.changed', (al) => al.reductionKey.startsWith('fan:') && alarms.add(al.id));
    }
    // The rule was made on B; A, which receives the line, reloads its rules on B's change notice.
    await until(() => expect(received()).toBeGreaterThan(noticesBefore));
    const port = (await callA('GET', '/health')).body.ports.syslog as number;
    // Twice: the second reduces into the same alarm.
    await sendSyslog(port, '<11>Dec  7 15:00:00 edge-2 envmon[1]: fan 7 failed');
    await until(() => {
      expect(seen.a.filter((m) => m.includes('fan 7 failed')).length).toBeGreaterThanOrEqual(1);
      expect(seen.b.filter((m) => m.includes('fan 7 failed')).length).toBeGreaterThanOrEqual(1);
    });
    await sendSyslog(port, '<11>Dec  7 15:00:01 edge-2 envmon[1]: fan 7 failed');
    const alarms = await until(async () => {
      const r = await callB('GET', '/alarms');
      const mine = (r.body.items as Array<{ id: number; reductionKey: string; count: number }>).filter((x) => x.reductionKey.startsWith('fan:'));
      expect(mine).toHaveLength(1);
      expect(mine[0]!.count).toBe(2);
      return mine;
    });
    // Stored once: both nodes list exactly two such events.
    for (const call of [callA, callB]) {
      const r = await call('GET', '/events?q=fan&limit=50');
      expect(r.status).toBe(200);
      expect((r.body.items as Array<{ message: string }>).filter((e) => e.message.includes('fan 7 failed'))).toHaveLength(2);
    }
    // Browsers on both nodes saw the one alarm, and no other.
    await until(() => {
      expect([...seen.alarmsA]).toEqual([alarms[0]!.id]);
      expect([...seen.alarmsB]).toEqual([alarms[0]!.id]);
    });
  });

  it('a custom collection template made on A is used on B, and its deletion on B reaches A', async () => {
    const callA = apiClient(a!.url, (await login(a!.url, 'admin', a!.adminPassword)).token);
    const callB = apiClient(b!.url, (await login(b!.url, 'admin', b!.adminPassword)).token);
    const ids = async (call: typeof callA) => ((await call('GET', '/templates')).body.items as Array<{ id: string }>).map((t) => t.id);
    const created = await callA('POST', '/templates', { template: { id: 'cluster-load', name: 'Cluster load', scalars: [{ name: 'cluster.load', oid: '1.3.6.1.4.1.2021.10.1.5.1', unit: '%' }] } });
    expect(created.status, created.text).toBe(201);
    await until(async () => expect(await ids(callB)).toContain('cluster-load'));
    expect((await callB('DELETE', '/templates/cluster-load')).status).toBe(204);
    await until(async () => expect(await ids(callA)).not.toContain('cluster-load'));
  });

  it('a MIB uploaded through A is known on B (kept in the store, announced, written and compiled there)', async () => {
    const callA = apiClient(a!.url, (await login(a!.url, 'admin', a!.adminPassword)).token);
    const callB = apiClient(b!.url, (await login(b!.url, 'admin', b!.adminPassword)).token);
    const text = readFileSync(join(import.meta.dirname, '../../fixtures/mibs/ACME-SMI.txt'), 'utf8');
    const up = await callA('POST', '/mibs', { filename: 'ACME-SMI.txt', content: text });
    expect(up.status, up.text).toBe(201);
    expect((await callA('GET', '/oids/acmeMgmt')).body).toMatchObject({ found: true, oid: '1.3.6.1.4.1.99999.2' });
    await until(async () => expect((await callB('GET', '/oids/acmeMgmt')).body).toMatchObject({ found: true, oid: '1.3.6.1.4.1.99999.2' }), 60_000);
    expect(readFileSync(join(b!.dataDir, 'mibs', 'ACME-SMI.txt'), 'utf8')).toBe(text);
  }, 90_000);

  it('a silent collector that both nodes hear from raises one collector.down alarm, and its return one collector.up', async () => {
    const callA = apiClient(a!.url, (await login(a!.url, 'admin', a!.adminPassword)).token);
    const id = 'cluster-col-1';
    // Core NATS gives every central node each heartbeat: so do we.
    const beat = () => {
      const now = Date.now();
      const hb = { id, site: 'branch-7', version: '1.0.0', hostname: 'col-branch-7', startedAt: now - 1000, sentAt: now, counters: {}, spoolRecords: 0, spoolBytes: 0 };
      a!.nms.heartbeats.heartbeat(hb, '127.0.0.7');
      b!.nms.heartbeats.heartbeat(hb, '127.0.0.7');
    };
    // A browser on B: each change reaches it once, not once per node that heard the heartbeat.
    const { token } = await login(b!.url, 'admin', b!.adminPassword);
    const s: Socket<ServerToClientEvents, ClientToServerEvents> = connect(b!.url, { transports: ['websocket'], reconnection: false, auth: { token } });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => (s.once('connect', () => resolve()), s.once('connect_error', reject)));
    const pushes: string[] = [];
    s.on('collector.changed', (c) => c.id === id && pushes.push(c.forgotten ? 'forgotten' : c.state));
    beat();
    await until(() => expect(pushes).toContain('up'));
    await new Promise((r) => setTimeout(r, 1500)); // time for a second copy through the adapter, were one sent
    expect(pushes).toEqual(['up']);
    const counter = (n: TestServer, name: string) => n.nms.metrics.snapshot()[`collectors.${name}`] ?? 0;
    // Both nodes see it go down; only the holder of collector-alarms raises the alarm.
    await until(() => {
      for (const n of [a!, b!]) expect(counter(n, 'collectors_down')).toBeGreaterThanOrEqual(1);
    }, 20_000);
    const alarmOf = async () => ((await callA('GET', '/alarms?state=all&limit=1000')).body.items as Array<{ reductionKey: string; count: number; state: string }>).find((x) => x.reductionKey === `collectorDown:${id}`);
    await until(async () => expect(await alarmOf()).toMatchObject({ count: 1, state: 'active' }));
    expect((await eventsOfType(callA, 'collector.down')).filter((e) => e.params.collectorId === id)).toHaveLength(1);
    expect(counter(a!, 'collectors_down_events') + counter(b!, 'collectors_down_events')).toBe(1);
    expect(counter(a!, 'collector_events_left_to_leader') + counter(b!, 'collector_events_left_to_leader')).toBe(1);
    beat();
    await until(async () => expect((await alarmOf())?.state).toBe('cleared'));
    expect((await eventsOfType(callA, 'collector.up')).filter((e) => e.params.collectorId === id)).toHaveLength(1);
    expect((await alarmOf())!.count).toBe(1);
    // Down and up again reached B's browser once each; forgetting it through A reaches it too (from A, once).
    expect(pushes.filter((p) => p === 'down')).toHaveLength(1);
    expect(pushes.filter((p) => p === 'up')).toHaveLength(2);
    expect((await callA('DELETE', `/collectors/${id}`)).status).toBe(204);
    await until(() => expect(pushes).toContain('forgotten'));
    await new Promise((r) => setTimeout(r, 1500));
    expect(pushes.filter((p) => p === 'forgotten')).toHaveLength(1);
  }, 60_000);

  it('when the node holding the jobs stops, the other takes them within 30 s', async () => {
    const holder = holds(a, 'alarm_sweep') === 1 ? 'a' : 'b';
    const [gone, other] = holder === 'a' ? [a!, b!] : [b!, a!];
    await gone.stop();
    if (holder === 'a') a = undefined;
    else b = undefined;
    await until(() => {
      for (const job of JOBS) expect(holds(other, job)).toBe(1);
    }, 30_000);
  }, 60_000);
});
