import dgram from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRepository, toDeviceDto } from '../../../server/store/device.repository.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { until } from '../engine/engine-helpers.js';

/**
 * The outbound policy against real receivers on loopback. The server runs with
 * NMS_OUTBOUND_DENY=127.0.0.0/8,::1 and NMS_OUTBOUND_ALLOW=127.0.0.2/32: what
 * listens on 127.0.0.1 (and `localhost`) is an "internal service" that must
 * never be reached, 127.0.0.2 is a legitimate receiver/device.
 */
let srv: TestServer;
let call: ReturnType<typeof apiClient>;

interface Receiver {
  port: number;
  connections: number;
  close(): Promise<void>;
}

async function httpReceiver(host: string, handler: Parameters<typeof createServer>[1]): Promise<Receiver> {
  const server: Server = createServer(handler);
  const r = { port: 0, connections: 0, close: () => new Promise<void>((done) => server.close(() => done())) };
  server.on('connection', () => r.connections++);
  await new Promise<void>((done) => server.listen(0, host, done));
  r.port = (server.address() as AddressInfo).port;
  return r;
}

async function smtpReceiver(host: string, opts: { refuseSender?: boolean } = {}): Promise<Receiver & { mails: string[] }> {
  const mails: string[] = [];
  const r = { port: 0, connections: 0, mails, close: () => new Promise<void>((done) => server.close(() => done())) };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session, cb) {
      r.connections++;
      cb();
    },
    onMailFrom(_address, _session, cb) {
      if (opts.refuseSender) return cb(Object.assign(new Error('internal-secret-smtp-banner db=10.9.8.7'), { responseCode: 550 }));
      cb();
    },
    onData(stream, _session, cb) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        mails.push(data);
        cb();
      });
    },
  });
  await new Promise<void>((done) => server.listen(0, host, () => done()));
  r.port = (server.server.address() as AddressInfo).port;
  return r;
}

/** A UDP socket standing in for an SNMP agent: counts what reaches it, never answers. */
async function udpSink(host: string): Promise<{ port: number; datagrams: number; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  const r = { port: 0, datagrams: 0, close: () => new Promise<void>((done) => sock.close(() => done())) };
  sock.on('message', () => r.datagrams++);
  await new Promise<void>((done) => sock.bind(0, host, done));
  r.port = sock.address().port;
  return r;
}

let internal: Receiver;
let receiver: Receiver;
let internalSmtp: Receiver & { mails: string[] };
let goodSmtp: Receiver & { mails: string[] };
let refusingSmtp: Receiver & { mails: string[] };
let internalAgent: Awaited<ReturnType<typeof udpSink>>;
let labAgent: Awaited<ReturnType<typeof udpSink>>;

beforeAll(async () => {
  internal = await httpReceiver('127.0.0.1', (_req, res) => res.writeHead(200).end('internal admin API'));
  receiver = await httpReceiver('127.0.0.2', (req, res) => {
    req.resume();
    if (req.url === '/fail') res.writeHead(500, { 'content-type': 'text/plain' }).end('internal-secret-token=hunter2 stack trace at /srv/app.js:42');
    else if (req.url === '/redirect') res.writeHead(302, { location: `http://127.0.0.1:${internal.port}/admin` }).end('moved');
    else res.writeHead(200).end('ok');
  });
  internalSmtp = await smtpReceiver('127.0.0.1');
  goodSmtp = await smtpReceiver('127.0.0.2');
  refusingSmtp = await smtpReceiver('127.0.0.2', { refuseSender: true });
  internalAgent = await udpSink('127.0.0.1');
  labAgent = await udpSink('127.0.0.2');
  srv = await startTestServer({ env: { NMS_OUTBOUND_DENY: '127.0.0.0/8,::1', NMS_OUTBOUND_ALLOW: '127.0.0.2/32' } });
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
}, 120_000);
afterAll(async () => {
  await srv?.stop();
  for (const r of [internal, receiver, internalSmtp, goodSmtp, refusingSmtp, internalAgent, labAgent]) await r?.close();
});

const channel = async (name: string, type: string, config: Record<string, unknown>) => call('POST', '/notification-channels', { name, type, config });
const sendTest = async (id: number) => (await call('POST', `/notification-channels/${id}/test`)).body as { ok: boolean; error?: string };

describe('outbound policy: notifications', { timeout: 60_000 }, () => {
  it.each([
    [`http://127.0.0.1:PORT/hook`, /config\.url: outbound policy: 127\.0\.0\.1 is denied by outboundDeny 127\.0\.0\.0\/8/],
    [`http://[::1]:PORT/hook`, /config\.url: outbound policy: ::1 is denied by outboundDeny ::1/],
    [`http://[::ffff:127.0.0.1]:PORT/hook`, /denied by outboundDeny 127\.0\.0\.0\/8/],
    ['http://169.254.169.254/latest/meta-data/iam/', /built-in deny 169\.254\.0\.0\/16 .*metadata/],
    ['http://[fd00:ec2::254]/latest/meta-data/', /built-in deny fd00:ec2::254\/128/],
  ])('refuses a webhook aimed at %s when it is saved', async (url, reason) => {
    const r = await channel(`literal ${url}`, 'webhook', { url: url.replace('PORT', String(internal.port)) });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(reason);
    expect(internal.connections).toBe(0);
  });

  it('refuses webhook and Slack targets whose host name resolves to a denied address, without connecting', async () => {
    for (const type of ['webhook', 'slack']) {
      const ch = await channel(`rebind ${type}`, type, { url: `http://localhost:${internal.port}/hook` });
      expect(ch.status).toBe(201);
      const t = await sendTest(ch.body.id);
      expect(t.ok).toBe(false);
      expect(t.error).toMatch(/^outbound policy: localhost \((127\.0\.0\.1|::1)\) is denied by outboundDeny (127\.0\.0\.0\/8|::1)/);
      expect((await call('GET', `/notification-channels/${ch.body.id}`)).body.lastError).toBe(t.error);
    }
    expect(internal.connections).toBe(0);
  });

  it('does not follow a redirect towards a denied address', async () => {
    const ch = (await channel('redirector', 'webhook', { url: `http://127.0.0.2:${receiver.port}/redirect` })).body;
    expect(await sendTest(ch.id)).toEqual({ ok: false, error: 'HTTP 302 (redirects are not followed)' });
    expect(receiver.connections).toBeGreaterThan(0);
    expect(internal.connections).toBe(0);
  });

  it('reports a failed delivery by status code only, never the body the target sent', async () => {
    const ch = (await channel('leaky', 'webhook', { url: `http://127.0.0.2:${receiver.port}/fail` })).body;
    const res = await call('POST', `/notification-channels/${ch.id}/test`);
    expect(res.body).toEqual({ ok: false, error: 'HTTP 500' });
    const shown = await call('GET', `/notification-channels/${ch.id}`);
    expect(shown.body.lastError).toBe('HTTP 500');
    expect(res.text + shown.text + (await call('GET', '/notification-channels')).text).not.toMatch(/internal-secret|hunter2|stack trace/);
  });

  it('still delivers to an allowed receiver', async () => {
    const ch = (await channel('allowed hook', 'webhook', { url: `http://127.0.0.2:${receiver.port}/ok` })).body;
    expect(await sendTest(ch.id)).toEqual({ ok: true });
  });

  it('refuses SMTP servers at denied addresses, by literal when saved and by name when connecting', async () => {
    const literal = await channel('smtp literal', 'email', { host: '127.0.0.1', port: internalSmtp.port, from: 'nw@example.test', to: ['noc@example.test'] });
    expect(literal.status).toBe(400);
    expect(literal.body.error.message).toMatch(/config\.host: outbound policy: 127\.0\.0\.1 is denied/);
    const named = await channel('smtp named', 'email', { host: 'localhost', port: internalSmtp.port, from: 'nw@example.test', to: ['noc@example.test'] });
    expect(named.status).toBe(201);
    const t = await sendTest(named.body.id);
    expect(t.ok).toBe(false);
    expect(t.error).toMatch(/^SMTP: outbound policy: localhost \((127\.0\.0\.1|::1)\) is denied/);
    expect(internalSmtp.connections).toBe(0);
  });

  it('delivers mail through an allowed SMTP server, and reports a refusal by code, not by the server text', async () => {
    const good = (await channel('smtp good', 'email', { host: '127.0.0.2', port: goodSmtp.port, from: 'nw@example.test', to: ['noc@example.test'] })).body;
    expect(await sendTest(good.id)).toEqual({ ok: true });
    await until(async () => goodSmtp.mails.length === 1 || undefined, 10_000);
    expect(goodSmtp.mails[0]).toMatch(/Subject: .*Test notification from Netwatch/);
    const refusing = (await channel('smtp refusing', 'email', { host: '127.0.0.2', port: refusingSmtp.port, from: 'nw@example.test', to: ['noc@example.test'] })).body;
    const t = await sendTest(refusing.id);
    expect(t).toEqual({ ok: false, error: 'SMTP: sender or recipients refused (EENVELOPE 550)' });
  });
});

describe('outbound policy: devices and discovery', { timeout: 60_000 }, () => {
  const snmp = (port: number) => ({ enabled: true, version: '2c', port, community: 'public', timeoutMs: 300, retries: 0 });

  it('refuses to add or move a device to a denied address', async () => {
    const r = await call('POST', '/devices', { name: 'internal', address: '127.0.0.1' });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/^address: outbound policy: 127\.0\.0\.1 is denied by outboundDeny 127\.0\.0\.0\/8/);
    const meta = await call('POST', '/devices', { name: 'metadata', address: '169.254.169.254' });
    expect(meta.status).toBe(400);
    expect(meta.body.error.message).toMatch(/built-in deny 169\.254\.0\.0\/16/);
    const lab = await call('POST', '/devices', { name: 'lab', address: '127.0.0.2' });
    expect(lab.status).toBe(201);
    const moved = await call('PATCH', `/devices/${lab.body.id}`, { address: '127.0.0.1' });
    expect(moved.status).toBe(400);
  });

  it('answers 403 to poll-now and MIB browse of a device whose address the policy denies, and sends nothing', async () => {
    // A device saved before the policy denied its address (straight into the store, as an old database would hold it).
    const d = new DeviceRepository(srv.nms.db, srv.nms.secrets).create({
      name: 'legacy-internal', address: '127.0.0.1', group: null, location: null, tags: [], pollIntervalSec: 60, icmpEnabled: true,
      snmp: { ...snmp(internalAgent.port), version: '2c', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null } as never,
    });
    const poll = await call('POST', `/devices/${d.id}/poll`);
    expect(poll.status).toBe(403);
    expect(poll.body.error).toMatchObject({ code: 'outbound_denied', message: expect.stringMatching(/device legacy-internal \(127\.0\.0\.1\) is denied by outboundDeny/) });
    const browse = await call('POST', `/devices/${d.id}/snmp`, { op: 'get', oid: '1.3.6.1.2.1.1.5.0' });
    expect(browse.status).toBe(403);
    expect(browse.body.error.code).toBe('outbound_denied');
    // The allowed lab device, for contrast: its browse does reach its (silent) agent.
    const lab = await call('POST', '/devices', { name: 'lab-agent', address: '127.0.0.2', snmp: snmp(labAgent.port) });
    expect(lab.status, lab.text).toBe(201);
    const ok = await call('POST', `/devices/${lab.body.id}/snmp`, { op: 'get', oid: '1.3.6.1.2.1.1.5.0' });
    expect(ok.status).toBe(200);
    expect(ok.body.error.kind).toBe('timeout');
    expect(labAgent.datagrams).toBeGreaterThan(0);
    expect(internalAgent.datagrams).toBe(0);
  });

  it('refuses a discovery range that holds a denied address, and ranges beyond 4,096 hosts', async () => {
    const creds = [{ version: '2c', community: 'public' }];
    const r = await call('POST', '/discovery', { cidr: '127.0.0.0/30', credentials: creds });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/^cidr: 127\.0\.0\.0\/30 includes 127\.0\.0\.1: outbound policy: 127\.0\.0\.1 is denied by outboundDeny/);
    const meta = await call('POST', '/discovery', { cidr: '169.254.169.0/24', credentials: creds });
    expect(meta.status).toBe(400);
    expect(meta.body.error.message).toMatch(/built-in deny 169\.254\.0\.0\/16/);
    const big = await call('POST', '/discovery', { cidr: '10.0.0.0/19', credentials: creds });
    expect(big.status).toBe(400);
    expect(big.body.error.message).toMatch(/at most 4096 per discovery/);
  });

  it('runs at most two discovery jobs at once; a third is refused until one finishes', async () => {
    // 127.0.0.2 answers ping; its SNMP port is the silent sink, so each job waits out two 1.5 s probes.
    const body = { cidr: '127.0.0.2/32', port: labAgent.port, timeoutMs: 1500, credentials: [{ version: '2c', community: 'a' }, { version: '2c', community: 'b' }] };
    const first = await call('POST', '/discovery', body);
    const second = await call('POST', '/discovery', body);
    expect([first.status, second.status]).toEqual([202, 202]);
    const third = await call('POST', '/discovery', body);
    expect(third.status).toBe(429);
    expect(third.body.error.message).toMatch(/2 discovery jobs are already running \(at most 2 at once\)/);
    await until(async () => {
      const jobs = (await call('GET', '/discovery')).body.items as { id: number; state: string }[];
      return jobs.filter((j) => j.id === first.body.id || j.id === second.body.id).every((j) => j.state !== 'running') || undefined;
    }, 30_000);
    const later = await call('POST', '/discovery', body);
    expect(later.status).toBe(202);
    await until(async () => ((await call('GET', `/discovery/${later.body.id}`)).body.state !== 'running') || undefined, 30_000);
  });
});

describe('outbound policy: scheduled polling', { timeout: 60_000 }, () => {
  it('never polls a device whose address the policy denies, while allowed devices are polled', async () => {
    const denied = await udpSink('127.0.0.1');
    const allowed = await udpSink('127.0.0.2');
    const poller = await startTestServer({ env: { NMS_POLLER: 'true', NMS_OUTBOUND_DENY: '127.0.0.0/8', NMS_OUTBOUND_ALLOW: '127.0.0.2/32' } });
    try {
      const api = apiClient(poller.url, (await login(poller.url, 'admin', poller.adminPassword)).token);
      const snmpAt = (port: number) => ({ enabled: true, version: '2c', port, community: 'public', timeoutMs: 200, retries: 0 });
      // Saved before the policy denied it (straight into the store), then announced as the API would.
      const legacy = new DeviceRepository(poller.nms.db, poller.nms.secrets).create({
        name: 'legacy-internal', address: '127.0.0.1', group: null, location: null, tags: [], pollIntervalSec: 5, icmpEnabled: false,
        snmp: { ...snmpAt(denied.port), username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null } as never,
      });
      poller.nms.bus.publish('device.created', toDeviceDto(legacy));
      expect((await api('POST', '/devices', { name: 'lab', address: '127.0.0.2', pollIntervalSec: 5, icmpEnabled: false, snmp: snmpAt(allowed.port) })).status).toBe(201);
      await until(async () => allowed.datagrams > 0 || undefined, 20_000);
      // The allowed device has been polled; give the denied one the same chance again before looking.
      const seen = allowed.datagrams;
      await until(async () => allowed.datagrams > seen || undefined, 20_000);
      expect(denied.datagrams).toBe(0);
    } finally {
      await poller.stop();
      await denied.close();
      await allowed.close();
    }
  });
});
