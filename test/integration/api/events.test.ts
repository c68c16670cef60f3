import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../server/contracts/events.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let cookie: string;
beforeAll(async () => {
  srv = await startTestServer();
  const l = await login(srv.url, 'admin', srv.adminPassword);
  call = apiClient(srv.url, l.token);
  cookie = l.cookie;
});
afterAll(() => srv?.stop());

const publish = (message: string, over: Record<string, unknown> = {}) =>
  srv.nms.bus.publish('event.received', {
    receivedAt: Date.now(),
    reportedAt: null,
    source: 'syslog',
    sourceAddress: '127.0.0.1',
    deviceId: null,
    severity: 'info',
    type: 'test',
    message,
    params: {},
    ...over,
  } as never);

async function until<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('events', () => {
  it('stores published events, maps the sender to its device, and serves them with filters', async () => {
    const dev = await call('POST', '/devices', { name: 'sender', address: '127.0.0.77' });
    publish('from a known device', { sourceAddress: '::ffff:127.0.0.77', severity: 'major' });
    publish('from an unknown sender', { sourceAddress: '127.0.0.78' });
    const items = await until(async () => {
      const r = await call('GET', '/events?q=device');
      return r.body.items.length >= 1 ? r.body.items : undefined;
    });
    expect(items[0]).toMatchObject({ message: 'from a known device', deviceId: dev.body.id, severity: 'major', source: 'syslog' });
    const unknown = await until(async () => {
      const r = await call('GET', '/events?q=unknown');
      return r.body.items[0];
    });
    expect(unknown.deviceId).toBeNull();
    expect((await call('GET', `/events?device=${dev.body.id}`)).body.items).toHaveLength(1);
    expect((await call('GET', '/events?severity=major&source=syslog,trap')).body.items.map((e: StoredEvent) => e.message)).toEqual(['from a known device']);
    expect((await call('GET', `/events/${unknown.id}`)).body.message).toBe('from an unknown sender');
    expect((await call('GET', '/events?source=carrier-pigeon')).status).toBe(400);
  });

  it('pushes new events to a connected console', async () => {
    const s = connect(srv.url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve());
        s.once('connect_error', reject);
      });
      const got = new Promise<StoredEvent[]>((resolve) => s.on('events.new', (batch: StoredEvent[]) => batch.some((e) => e.message === 'live one') && resolve(batch)));
      publish('live one');
      const batch = await got;
      expect(batch.find((e) => e.message === 'live one')!.id).toBeGreaterThan(0);
    } finally {
      s.close();
    }
  });
});
