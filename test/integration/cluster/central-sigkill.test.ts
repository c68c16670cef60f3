import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../server/contracts/realtime.js';
import { natsServerAvailable, startNatsServer, type NatsServerHandle } from '../../helpers/nats-server.js';
import { postgresAvailable } from '../../helpers/postgres.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { apiClient, eventsOfType, login } from '../../helpers/server.js';
import { testPostgres } from '../../helpers/store-engines.js';
import { run } from '../collectors/collector-helpers.js';

/**
 * Two central nodes (the build, each its own process) on one real PostgreSQL and one real
 * nats-server, and a collector. Syslog flows into the collector while node A is killed with
 * SIGKILL: every line is stored once (B takes A's unacknowledged batches from the shared durable
 * consumer; batch ids stored with the events keep a batch A had already stored from being stored
 * again), and a console that was on A carries on, on B.
 */
const PASSWORD = 'admin-password-sigkill';
const until = <T>(check: () => T | Promise<T>, timeout = 120_000) => vi.waitFor(check, { timeout, interval: 250 });
describe.skipIf(!postgresAvailable() || !natsServerAvailable())('a central node killed with SIGKILL', { timeout: 300_000 }, () => {
  let nats: NatsServerHandle;
  let a: ServerProcess;
  let b: ServerProcess;
  let collector: ServerProcess;
  const dirs: string[] = [];
  const sockets: Socket[] = [];
  let syslogPort: number;

  beforeAll(async () => {
    nats = await startNatsServer();
    const url = await (await testPostgres()).newDatabase();
    const [aDir, bDir, cDir] = ['a', 'b', 'c'].map((n) => mkdtempSync(join(tmpdir(), `nw-kill-${n}-`)));
    dirs.push(aDir!, bDir!, cDir!);
    const central = { NMS_ROLE: 'central', NMS_NATS_URL: nats.url, NMS_DATABASE_URL: url, NMS_ADMIN_PASSWORD: PASSWORD, NMS_SECRET_KEY_FILE: join(aDir!, 'secret.key') };
    a = await startServerProcess(aDir!, central, 90_000, 'dist');
    b = await startServerProcess(bDir!, central, 90_000, 'dist');
    collector = await startServerProcess(cDir!, { NMS_ROLE: 'collector', NMS_NATS_URL: nats.url, NMS_SITE: 'branch-k' }, 90_000, 'dist');
    syslogPort = ((await (await fetch(`${collector.url}/api/v1/health`)).json()) as { ports: { syslog: number } }).ports.syslog;
  }, 240_000);

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await collector?.kill();
    await a?.kill();
    await b?.kill();
    await nats?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('stores every line once on the other node, and the console goes on there', async () => {
    // A browser on A; when A goes away it connects to B, as behind any load balancer.
    const messages: string[] = [];
    const tokenA = (await login(a.url, 'admin', PASSWORD)).token;
    const open = (url: string): Socket<ServerToClientEvents, ClientToServerEvents> => {
      const s: Socket<ServerToClientEvents, ClientToServerEvents> = connect(url, { transports: ['websocket'], reconnection: false, auth: { token: tokenA } });
      sockets.push(s);
      s.on('events.new', (events) => messages.push(...events.map((e) => e.message)));
      return s;
    };
    const onA = open(a.url);
    await new Promise<void>((resolve, reject) => (onA.once('connect', () => resolve()), onA.once('connect_error', reject)));
    let onB: Socket | undefined;
    onA.once('disconnect', () => (onB = open(b.url)));

    // 6,000 lines through real `logger`, 500 at a time; node A is killed after the second chunk.
    const tmp = mkdtempSync(join(tmpdir(), 'nw-kill-lines-'));
    dirs.push(tmp);
    const COUNT = 6_000;
    for (let start = 0; start < COUNT; start += 500) {
      const lines = Array.from({ length: 500 }, (_, i) => `kill-a message ${String(start + i).padStart(5, '0')}`);
      writeFileSync(join(tmp, 'lines'), lines.join('\n') + '\n');
      const r = await run('logger', ['-n', '127.0.0.1', '-P', String(syslogPort), '--udp', '--rfc3164', '-p', 'local7.notice', '-t', 'kill-a', '-f', join(tmp, 'lines')]);
      expect(r.code).toBe(0);
      if (start === 1_000) {
        // A has been storing its share of the batches (the shared durable consumer) when it is killed.
        await until(async () => {
          const st = await apiClient(a.url, tokenA)('GET', '/status');
          expect(st.body.counters['transport.remote_events']).toBeGreaterThan(0);
        }, 30_000);
        await a.kill();
      }
      await new Promise((res) => setTimeout(res, 250));
    }

    const callB = apiClient(b.url, tokenA);
    const events = await until(async () => {
      const got = await eventsOfType(callB, 'kill-a');
      expect(got.length).toBeGreaterThanOrEqual(COUNT);
      return got;
    }, 180_000);
    expect(new Set(events.map((e) => e.message)).size).toBe(COUNT);
    expect(events).toHaveLength(COUNT);

    // The console that was on A is on B now (the same session) and gets what comes next.
    await until(() => expect(onB?.connected).toBe(true), 30_000);
    const r = await run('logger', ['-n', '127.0.0.1', '-P', String(syslogPort), '--udp', '--rfc3164', '-t', 'kill-a', 'after the failover']);
    expect(r.code).toBe(0);
    await until(() => expect(messages.some((m) => m.includes('after the failover'))).toBe(true), 60_000);
  });
});
