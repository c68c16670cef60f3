import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../server/contracts/realtime.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { AuthService } from '../../../server/auth/auth.service.js';
import { hashPassword } from '../../../server/auth/password.js';
import { InProcessBus } from '../../../server/events/bus.js';
import { createLogger } from '../../../server/log/logger.js';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { attachRealtime } from '../../../server/realtime/socket.js';
import { AuthTokenRepository } from '../../../server/store/auth-token.repository.js';
import { openDatabase } from '../../../server/store/database.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';
import { UserRepository } from '../../../server/store/user.repository.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
let srv: TestServer;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await srv?.stop();
});

function open(opts: { cookie?: string; token?: string; origin?: string; url?: string }): ClientSocket {
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.origin) headers.origin = opts.origin;
  const s: ClientSocket = connect(opts.url ?? srv.url, {
    transports: ['websocket'],
    reconnection: false,
    extraHeaders: headers,
    auth: opts.token ? { token: opts.token } : undefined,
  });
  sockets.push(s);
  return s;
}

const connected = (s: ClientSocket) =>
  new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', (e) => reject(e));
  });

describe('socket.io realtime', () => {
  it('refuses a connection without a valid session', async () => {
    await expect(connected(open({}))).rejects.toThrow(/unauthorized/);
    await expect(connected(open({ token: 'nws_forged' }))).rejects.toThrow(/unauthorized/);
  });

  it('pushes device changes to a client authenticated by its session cookie', async () => {
    const { cookie, token } = await login(srv.url, 'admin', srv.adminPassword);
    const s = open({ cookie });
    await connected(s);
    const got: string[] = [];
    const done = new Promise<void>((resolve) => {
      s.on('device.created', (d) => got.push(`created ${d.name}`));
      s.on('device.updated', (d) => got.push(`updated ${d.location}`));
      s.on('device.deleted', (d) => {
        got.push(`deleted ${d.id}`);
        resolve();
      });
    });
    const call = apiClient(srv.url, token);
    const c = await call('POST', '/devices', { name: 'live-1', address: '127.0.0.20', snmp: { community: 'hidden-community' } });
    await call('PATCH', `/devices/${c.body.id}`, { location: 'lab' });
    await call('DELETE', `/devices/${c.body.id}`);
    await done;
    expect(got).toEqual(['created live-1', 'updated lab', `deleted ${c.body.id}`]);
  });

  it('answers a ping through the acknowledgement callback', async () => {
    const { token } = await login(srv.url, 'admin', srv.adminPassword);
    const s = open({ token });
    await connected(s);
    const reply = await new Promise<{ ok: boolean; time: number }>((resolve) => s.emit('ping', resolve));
    expect(reply.ok).toBe(true);
  });
});

/** Resolves with the disconnect reason, or rejects when none came within `ms` (far below the 30 s safety net). */
const disconnected = (s: ClientSocket, ms = 5000) =>
  new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`still connected after ${ms} ms`)), ms);
    s.once('disconnect', (reason) => {
      clearTimeout(t);
      resolve(reason);
    });
  });

describe('socket.io and revocation', () => {
  it('refuses a browser connection from another origin, and accepts the console\'s own', async () => {
    const { cookie } = await login(srv.url, 'admin', srv.adminPassword);
    await expect(connected(open({ cookie, origin: 'http://evil.example' }))).rejects.toThrow();
    await expect(connected(open({ cookie, origin: srv.url.replace(/:(\d+)$/, (_m, p) => `:${Number(p) + 1}`) }))).rejects.toThrow();
    await expect(connected(open({ cookie, origin: 'null' }))).rejects.toThrow();
    const same = open({ cookie, origin: srv.url });
    await connected(same);
    same.close();
  });

  it('closes an open socket at once when an admin changes the user\'s password, and it stops receiving', async () => {
    const admin = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
    const u = await admin('POST', '/users', { username: 'sock-user', password: 'sock-user-password-1', role: 'viewer' });
    const { cookie } = await login(srv.url, 'sock-user', 'sock-user-password-1');
    const s = open({ cookie });
    await connected(s);
    const seen: string[] = [];
    s.on('device.created', (d) => seen.push(d.name));
    const gone = disconnected(s);
    expect((await admin('PATCH', `/users/${u.body.id}`, { password: 'sock-user-password-2' })).status).toBe(200);
    expect(await gone).toBe('io server disconnect');
    await admin('POST', '/devices', { name: 'after-revocation', address: '127.0.0.31' });
    // The session cannot open a new socket either.
    await expect(connected(open({ cookie }))).rejects.toThrow(/unauthorized/);
    expect(seen).toEqual([]);
  });

  it('closes a socket authenticated by an API token when the token is revoked, and leaves the owner\'s other sockets open', async () => {
    const { token: sessionToken } = await login(srv.url, 'admin', srv.adminPassword);
    const admin = apiClient(srv.url, sessionToken);
    const t = await admin('POST', '/tokens', { name: 'socket-script' });
    const viaToken = open({ token: t.body.token });
    const viaSession = open({ token: sessionToken });
    await Promise.all([connected(viaToken), connected(viaSession)]);
    const gone = disconnected(viaToken);
    expect((await admin('DELETE', `/tokens/${t.body.id}`)).status).toBe(204);
    expect(await gone).toBe('io server disconnect');
    const reply = await new Promise<{ ok: boolean }>((resolve) => viaSession.emit('ping', resolve));
    expect(reply.ok).toBe(true);
  });
});

describe('socket.io safety net', () => {
  it('also closes a socket whose token ended without any revocation event (expiry, another process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-rt-'));
    const db = openDatabase(join(dir, 'rt.db'));
    migrate(db, readMigrations(MIGRATIONS_DIR));
    const users = new UserRepository(db);
    const tokens = new AuthTokenRepository(db);
    const bus = new InProcessBus();
    const auth = new AuthService(users, tokens, { sessionTtlMs: 3_600_000, apiTokenTtlMs: null, onRevoked: (r) => bus.publish('auth.revoked', r) });
    const user = users.create({ username: 'net', passwordHash: await hashPassword('safety-net-password'), role: 'viewer' });
    const http = createServer();
    const rt = attachRealtime(http, { auth, bus, log: createLogger({ level: 'silent' }), counters: () => ({}), recheckIntervalMs: 200 });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const login1 = await auth.login('net', 'safety-net-password');
      if (!login1 || login1 === 'disabled') throw new Error('login failed');
      const s = open({ token: login1.token, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` });
      await connected(s);
      const gone = disconnected(s);
      tokens.revokeAllOf(user.id); // straight in the store: no bus event
      expect(await gone).toBe('io server disconnect');
    } finally {
      await rt.close();
      await new Promise<void>((r) => http.close(() => r()));
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
