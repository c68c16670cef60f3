import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdapter } from '@socket.io/postgres-adapter';
import pg from 'pg';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthService } from '../../../server/auth/auth.service.js';
import { hashPassword } from '../../../server/auth/password.js';
import { fromOtherNode } from '../../../server/cluster/cluster-bridge.js';
import type { DeviceDto } from '../../../server/contracts/dto.js';
import type { StoredEvent } from '../../../server/contracts/events.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../server/contracts/realtime.js';
import { InProcessBus } from '../../../server/events/bus.js';
import { createLogger } from '../../../server/log/logger.js';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { attachRealtime } from '../../../server/realtime/socket.js';
import { AuthTokenRepository } from '../../../server/store/auth-token.repository.js';
import { openDatabase, type Db } from '../../../server/store/database.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';
import { ensureSocketIoAttachments } from '../../../server/store/pg/socket-io-attachments.js';
import { UserRepository } from '../../../server/store/user.repository.js';
import { postgresAvailable, startPostgres, type PostgresHandle } from '../../helpers/postgres.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** One central node: its own HTTP server, bus and store connection (one SQLite file shared by both), socket.io with the PostgreSQL adapter. */
interface Node {
  http: HttpServer;
  bus: InProcessBus;
  db: Db;
  pool: pg.Pool;
  auth: AuthService;
  close(): Promise<void>;
  url: string;
}

describe.skipIf(!postgresAvailable())('socket.io across central nodes (@socket.io/postgres-adapter)', () => {
  let server: PostgresHandle;
  let dir: string;
  let a: Node;
  let b: Node;
  const sockets: ClientSocket[] = [];

  const node = async (name: string, url: string, file: string): Promise<Node> => {
    const db = openDatabase(file);
    migrate(db, readMigrations(MIGRATIONS_DIR));
    const bus = new InProcessBus();
    const auth = new AuthService(new UserRepository(db), new AuthTokenRepository(db), { sessionTtlMs: 3_600_000, apiTokenTtlMs: null, onRevoked: (r) => bus.publish('auth.revoked', r) });
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    await ensureSocketIoAttachments(pool);
    const http = createServer();
    const rt = attachRealtime(http, { auth, bus, log: createLogger({ level: 'silent' }), counters: () => ({ [`node_${name}`]: 1 }), countersIntervalMs: 100, adapter: createAdapter(pool, { channelPrefix: 'netwatch_socketio' }) });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    return {
      http, bus, db, pool, auth,
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      async close() {
        await rt.close();
        await new Promise<void>((r) => http.close(() => r()));
        await pool.end();
        db.close();
      },
    };
  };

  beforeAll(async () => {
    server = await startPostgres();
    const url = await server.newDatabase();
    dir = mkdtempSync(join(tmpdir(), 'nw-sio-'));
    a = await node('a', url, join(dir, 'netwatch.db'));
    b = await node('b', url, join(dir, 'netwatch.db'));
    new UserRepository(a.db).create({ username: 'op', passwordHash: await hashPassword('cluster-password-1'), role: 'viewer' });
  }, 60_000);
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await a?.close();
    await b?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const open = async (n: Node): Promise<ClientSocket> => {
    const session = await n.auth.login('op', 'cluster-password-1');
    if (!session || session === 'disabled') throw new Error('login failed');
    const s: ClientSocket = connect(n.url, { transports: ['websocket'], reconnection: false, auth: { token: session.token } });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', (e) => reject(e));
    });
    return s;
  };

  const device = (id: number, name: string): DeviceDto => ({ id, name, address: '192.0.2.1' }) as DeviceDto;

  it('a browser on node B gets what node A pushes: device changes and stored events (large ones too)', async () => {
    const onB = await open(b);
    const got: unknown[] = [];
    onB.on('device.created', (d) => got.push(['device.created', d.name]));
    onB.on('events.new', (batch) => got.push(['events.new', batch.length, batch[0]!.message.length]));
    // Node A has no browser of its own: it pushes all the same.
    a.bus.publish('device.created', device(1, 'pushed-by-A'));
    await vi.waitFor(() => expect(got).toContainEqual(['device.created', 'pushed-by-A']), { timeout: 10_000, interval: 20 });
    // Over NOTIFY's 8000-byte payload: goes through socket_io_attachments.
    const big = 'x'.repeat(20_000);
    const ev = { id: 1, receivedAt: Date.now(), reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.1', deviceId: null, severity: 'info', type: 't', message: big, params: {} } as unknown as StoredEvent;
    a.bus.publish('events.stored', [ev, ev]);
    await vi.waitFor(() => expect(got).toContainEqual(['events.new', 2, 20_000]), { timeout: 10_000, interval: 20 });
  });

  it('a change another node made is not pushed a second time, and counters stay with their node', async () => {
    const onB = await open(b);
    const names: string[] = [];
    const counters: Record<string, number>[] = [];
    onB.on('device.updated', (d) => names.push(d.name));
    onB.on('status.counters', (c) => counters.push(c));
    // Node A made the change and pushes it; node B's bus gets it from a change notice (marked) and does not push it.
    a.bus.publish('device.updated', device(2, 'once'));
    const fromA = device(2, 'once');
    fromOtherNode.add(fromA);
    b.bus.publish('device.updated', fromA);
    // Later pushes from B itself and from A: once both arrived, the ones before them had too.
    b.bus.publish('device.updated', device(3, 'B itself'));
    a.bus.publish('device.updated', device(4, 'A after'));
    await vi.waitFor(() => expect(names).toEqual(expect.arrayContaining(['B itself', 'A after', 'once'])), { timeout: 10_000, interval: 20 });
    expect(names.filter((n) => n === 'once')).toHaveLength(1);
    await vi.waitFor(() => expect(counters.length).toBeGreaterThan(3), { timeout: 10_000, interval: 20 });
    // Both nodes run the counters timer (every 100 ms here); B's browser gets only B's.
    expect(new Set(counters.map((c) => Object.keys(c).join()))).toEqual(new Set(['node_b']));
  });

  it('stopping node A disconnects only its own browsers', async () => {
    const onB = await open(b);
    const onA = await open(a);
    const goneA = new Promise<string>((r) => onA.once('disconnect', (reason) => r(reason)));
    await a.close();
    a = undefined as unknown as Node;
    expect(await goneA).toBe('io server disconnect');
    expect(onB.connected).toBe(true);
    const names: string[] = [];
    onB.on('device.created', (d) => names.push(d.name));
    b.bus.publish('device.created', device(4, 'still here'));
    await vi.waitFor(() => expect(names).toEqual(['still here']), { timeout: 10_000, interval: 20 });
  });
});
