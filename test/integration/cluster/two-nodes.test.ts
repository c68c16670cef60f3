import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../server/contracts/realtime.js';
import { postgresAvailable, startPostgres, type PostgresHandle } from '../../helpers/postgres.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

const JOBS = ['housekeeping', 'sample_rollups', 'alarm_sweep', 'alarm_escalation'];
const until = (check: () => void, timeout = 15_000) => vi.waitFor(check, { timeout, interval: 100 });

/**
 * Two real Netwatch nodes (in-process, each its own HTTP server) with NMS_DATABASE_URL on one real
 * PostgreSQL: the wiring of singleton jobs, change notices and the socket.io adapter. (Until the store
 * itself is on PostgreSQL each node keeps its data in its own SQLite file.)
 */
describe.skipIf(!postgresAvailable())('two nodes with NMS_DATABASE_URL', () => {
  let pgs: PostgresHandle;
  let a: TestServer | undefined;
  let b: TestServer | undefined;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    pgs = await startPostgres();
    const url = await pgs.newDatabase();
    a = await startTestServer({ env: { NMS_DATABASE_URL: url } });
    b = await startTestServer({ env: { NMS_DATABASE_URL: url } });
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
