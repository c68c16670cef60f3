import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent, StoredEvent } from '../../../server/contracts/events.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { run } from '../collectors/collector-helpers.js';
import { until } from '../engine/engine-helpers.js';

let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let syslogPort: number;

beforeAll(async () => {
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  syslogPort = srv.nms.listeners().find((l) => l.name === 'syslog-udp')!.boundPort!;
});
afterAll(() => srv?.stop());

const publish = (over: Partial<NormalizedEvent>) =>
  srv.nms.bus.publish('event.received', {
    receivedAt: Date.now(), reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.1', deviceId: null, severity: 'info', type: 'test', message: 'x', params: {}, ...over,
  } as NormalizedEvent);
const stored = () => srv.nms.metrics.snapshot()['events.stored'] ?? 0;

async function logger(tag: string, message: string, priority = 'user.notice'): Promise<void> {
  const r = await run('logger', ['-n', '127.0.0.1', '-P', String(syslogPort), '--udp', '--rfc3164', '-p', priority, '-t', tag, message]);
  if (r.code !== 0) throw new Error(`logger failed: ${r.stderr}`);
}

describe('unknown senders', () => {
  it('lists senders that are no device from real syslog datagrams, pages them, and drops an address once it is added as a device', async () => {
    for (let i = 1; i <= 3; i++) await logger('unknown-app', `hello from nowhere ${i}`);
    for (let i = 0; i < 5; i++) publish({ sourceAddress: `198.51.100.${10 + i}`, message: `spoofed-ish ${i}` });
    const list = await until(async () => {
      const r = await call('GET', '/unknown-senders?limit=100');
      return r.body.items.some((s: { address: string; count: number }) => s.address === '127.0.0.1' && s.count === 3) && r.body.items.length >= 6 ? r.body : undefined;
    }, 20_000);
    const me = list.items.find((s: { address: string }) => s.address === '127.0.0.1');
    expect(me).toMatchObject({ count: 3, lastMessage: 'hello from nowhere 3' });
    expect(me.firstSeen).toBeLessThanOrEqual(me.lastSeen);

    // Pages by cursor, most recently seen first, nothing twice.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await call('GET', `/unknown-senders?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((s: { address: string }) => s.address));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(list.items.map((s: { address: string }) => s.address));
    expect((await call('GET', '/unknown-senders?cursor=garbage')).status).toBe(400);

    // "Add as device": the console posts the address; the sender leaves the list, its new events carry the device.
    const dev = await call('POST', '/devices', { name: 'was-unknown', address: '127.0.0.1' });
    expect(dev.status).toBe(201);
    expect((await call('GET', '/unknown-senders?limit=100')).body.items.map((s: { address: string }) => s.address)).not.toContain('127.0.0.1');
    await logger('unknown-app', 'now a device');
    const e = await until(async () => ((await call('GET', '/events?q=%22now%20a%20device%22')).body.items as StoredEvent[])[0]);
    expect(e.deviceId).toBe(dev.body.id);
    expect((await call('GET', '/unknown-senders?limit=100')).body.items.map((s: { address: string }) => s.address)).not.toContain('127.0.0.1');

    // Dismiss: gone until it sends again.
    expect((await call('DELETE', '/unknown-senders/198.51.100.10')).status).toBe(204);
    expect((await call('DELETE', '/unknown-senders/198.51.100.10')).status).toBe(404);
    expect((await call('DELETE', '/unknown-senders/not-an-ip')).status).toBe(400);
    expect((await call('GET', '/unknown-senders?limit=100')).body.items.map((s: { address: string }) => s.address)).not.toContain('198.51.100.10');
    const audit = (await call('GET', '/audit?limit=20')).body.items as { action: string; objectId: string }[];
    expect(audit.find((a) => a.action === 'unknown-sender.dismiss')).toMatchObject({ objectId: '198.51.100.10' });
  });
});

describe('events API', () => {
  it('searches full text by default, filters by type, keeps the substring match as an option, and refuses a search with nothing to find', async () => {
    const before = stored();
    publish({ type: 'LINEPROTO-5-UPDOWN', message: '%LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/9, changed state to down', params: { hostname: 'core-sw9', appName: null } });
    publish({ type: 'sshd', message: 'Accepted publickey for deploy-user', params: { hostname: 'web09', appName: 'sshd' } });
    publish({ type: 'odd', message: 'progress 100%_done (ok)' });
    await until(async () => stored() >= before + 3 || undefined);
    const q = async (query: string) => (await call('GET', `/events?${query}`)).body;
    expect((await q('q=host:core-sw9')).items.map((e: StoredEvent) => e.type)).toEqual(['LINEPROTO-5-UPDOWN']);
    expect((await q('q=type:LINEPROTO*')).items).toHaveLength(1);
    expect((await q('type=LINEPROTO*')).items).toHaveLength(1);
    expect((await q('type=lineproto-5-updown&severity=info')).items).toHaveLength(1);
    expect((await q('type=LINEPROTO')).items).toHaveLength(0);
    expect((await q(`q=${encodeURIComponent('"changed state to down" -up')}`)).items).toHaveLength(1);
    expect((await q('q=deploy*')).items).toHaveLength(1);
    expect((await q('q=app:sshd')).items).toHaveLength(1);
    // The old substring match, explicit: symbols and word parts.
    expect((await q(`q=${encodeURIComponent('100%_')}&match=substring`)).items).toHaveLength(1);
    expect((await q('q=ploy-us&match=substring')).items).toHaveLength(1);
    expect((await q('q=ploy-us')).items).toHaveLength(0);
    for (const bad of ['%25', '***', '-deploy', encodeURIComponent('"" ()')]) {
      const r = await call('GET', `/events?q=${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.error.message).toMatch(/q: (nothing to search for|a search needs)/);
    }
    expect((await call('GET', '/events?match=regex')).status).toBe(400);
  });

  it('serves the dashboard from counters: events per minute, by severity and top types match what is stored, without the ones a rule drops', async () => {
    const rule = await call('POST', '/rules', { name: 'drop chatter', position: 1, body: { kind: 'event', match: { message: 'chatter' }, actions: { disposition: 'drop' } } });
    expect(rule.status).toBe(201);
    const before = stored();
    for (let i = 0; i < 60; i++) publish({ type: 'dash.kept', severity: i % 3 === 0 ? 'major' : 'info', message: `kept ${i}` });
    for (let i = 0; i < 40; i++) publish({ type: 'dash.kept', message: `chatter ${i}` });
    await until(async () => stored() >= before + 60 || undefined);
    const d = (await call('GET', '/dashboard')).body;
    const total = srv.nms.db.prepare('SELECT count(*) AS n FROM events WHERE received_at >= ?').get(Math.floor((d.at - 3_600_000) / 60_000) * 60_000) as { n: number };
    expect(d.eventsPerMinute.reduce((s: number, m: { count: number }) => s + m.count, 0)).toBe(total.n);
    expect(Object.values(d.eventSeverities as Record<string, number>).reduce((s, n) => s + n, 0)).toBe(total.n);
    expect(d.topEventTypes.find((t: { type: string }) => t.type === 'dash.kept')).toMatchObject({ source: 'syslog', count: 60 });
    // The store thread reports its upkeep every second.
    await until(async () => (srv.nms.metrics.snapshot()['event_store.longest_insert_ms'] ?? 0) > 0 || undefined, 10_000);
  });
});
