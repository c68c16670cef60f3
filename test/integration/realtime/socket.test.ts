import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../server/contracts/realtime.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

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

function open(opts: { cookie?: string; token?: string }): ClientSocket {
  const s: ClientSocket = connect(srv.url, {
    transports: ['websocket'],
    reconnection: false,
    extraHeaders: opts.cookie ? { cookie: opts.cookie } : undefined,
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
