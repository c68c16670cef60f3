import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmNotificationPayload } from '../../../server/contracts/alarms.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { publisher, until } from './engine-helpers.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
}

let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let publish: ReturnType<typeof publisher>;
let http: Server;
let httpUrl: string;
const received: Received[] = [];
let smtp: SMTPServer;
let smtpPort: number;
const mails: { from: string; to: string[]; data: string }[] = [];

beforeAll(async () => {
  http = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw || 'null') });
      res.writeHead(req.url === '/fail' ? 500 : 200).end(req.url === '/fail' ? 'nope' : 'ok');
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, cb) {
      let data = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (data += c));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  smtpPort = (smtp.server.address() as AddressInfo).port;

  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  publish = publisher(srv);
}, 120_000);
afterAll(async () => {
  await srv?.stop();
  await new Promise<void>((r) => http?.close(() => r()));
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
});

describe('notification channels', { timeout: 120_000 }, () => {
  it('sends a signed webhook test and hides the secret', async () => {
    const ch = await call('POST', '/notification-channels', { name: 'hook', type: 'webhook', config: { url: `${httpUrl}/hook`, secret: 'shared-secret-1' } });
    expect(ch.status).toBe(201);
    expect(ch.body.config).toEqual({ url: `${httpUrl}/hook`, secretSet: true, headerNames: [] });
    const t = await call('POST', `/notification-channels/${ch.body.id}/test`);
    expect(t.body).toEqual({ ok: true });
    const got = received.find((r) => r.path === '/hook')!;
    expect((got.body as AlarmNotificationPayload).kind).toBe('test');
    expect(got.headers['x-netwatch-signature']).toBe(`sha256=${createHmac('sha256', 'shared-secret-1').update(got.raw).digest('hex')}`);
    expect((await call('GET', `/notification-channels/${ch.body.id}`)).body.sentCount).toBe(1);
  });

  it('reports a failing channel: the test answers the error, and the channel shows it', async () => {
    const ch = (await call('POST', '/notification-channels', { name: 'broken', type: 'webhook', config: { url: `${httpUrl}/fail` } })).body;
    const t = await call('POST', `/notification-channels/${ch.id}/test`);
    expect(t.body).toEqual({ ok: false, error: 'HTTP 500' });
    expect((await call('GET', `/notification-channels/${ch.id}`)).body).toMatchObject({ failedCount: 1, lastError: 'HTTP 500' });
    expect((await call('POST', '/notification-channels', { name: 'x', type: 'webhook', config: { url: 'ftp://nope' } })).status).toBe(400);
    expect((await call('POST', '/notification-channels', { name: 'broken', type: 'slack', config: { url: `${httpUrl}/x` } })).status).toBe(409);
  });

  it('notifies webhook, Slack and e-mail channels when a rule raises and clears an alarm', async () => {
    const hook = (await call('POST', '/notification-channels', { name: 'ops-hook', type: 'webhook', config: { url: `${httpUrl}/ops` } })).body;
    const slack = (await call('POST', '/notification-channels', { name: 'ops-slack', type: 'slack', config: { url: `${httpUrl}/slack` } })).body;
    expect(slack.config).toEqual({ urlSet: true });
    const mail = (await call('POST', '/notification-channels', {
      name: 'ops-mail', type: 'email', config: { host: '127.0.0.1', port: smtpPort, secure: false, from: 'netwatch@example.test', to: ['noc@example.test'] },
    })).body;
    const ids = [hook.id, slack.id, mail.id];
    const raise = await call('POST', '/rules', {
      name: 'ups on battery',
      body: { kind: 'event', match: { message: 'UPS on battery' }, actions: { disposition: 'alarm', severity: 'critical', title: 'UPS {sourceAddress} on battery', reductionKey: 'ups:{deviceOrSource}', notify: { channelIds: ids, on: ['raise', 'clear'] } } },
    });
    expect(raise.status).toBe(201);
    await call('POST', '/rules', { name: 'ups on mains', body: { kind: 'event', match: { message: 'UPS on mains' }, actions: { disposition: 'clear', clearKey: 'ups:{deviceOrSource}' } } });

    publish({ message: 'UPS on battery', sourceAddress: '127.0.0.12' });
    const ops = await until(async () => received.find((r) => r.path === '/ops'));
    expect(ops.body).toMatchObject({ kind: 'raise', alarm: { severity: 'critical', title: 'UPS 127.0.0.12 on battery', reductionKey: 'ups:127.0.0.12', state: 'active' } });
    const sl = await until(async () => received.find((r) => r.path === '/slack'));
    expect(sl.body.text).toBe('[Netwatch] CRITICAL RAISED: UPS 127.0.0.12 on battery');
    const m = await until(async () => mails[0]);
    expect(m.to).toEqual(['noc@example.test']);
    expect(m.data).toMatch(/Subject: \[Netwatch\] CRITICAL RAISED: UPS 127\.0\.0\.12 on battery/);

    publish({ message: 'UPS on mains', sourceAddress: '127.0.0.12' });
    const cleared = await until(async () => received.find((r) => r.path === '/ops' && r.body.kind === 'clear'));
    expect(cleared.body.alarm.state).toBe('cleared');
    await until(async () => mails.length === 2);
    expect(mails[1]!.data).toMatch(/CLEARED/);
    // A repeat of an open alarm only counts; it does not notify again.
    expect(received.filter((r) => r.path === '/ops')).toHaveLength(2);
  });

  it('notifies the channels of a threshold rule when it raises its alarm', async () => {
    const hook = (await call('POST', '/notification-channels', { name: 'temp-hook', type: 'webhook', config: { url: `${httpUrl}/temp` } })).body;
    const dev = (await call('POST', '/devices', { name: 'hot-box', address: '127.0.0.81' })).body;
    const rule = await call('POST', '/rules', {
      name: 'too hot',
      body: { kind: 'threshold', metrics: ['temperature'], op: '>', value: 70, severity: 'critical', title: '{device.name}: {value} °C', notify: { channelIds: [hook.id], on: ['raise'] } },
    });
    expect(rule.status).toBe(201);
    srv.nms.bus.publish('metrics.sampled', [{ deviceId: dev.id, metric: 'temperature', instance: '', value: 75, ts: Math.floor(Date.now() / 1000) }]);
    const got = await until(async () => received.find((r) => r.path === '/temp'));
    expect(got.body).toMatchObject({ kind: 'raise', alarm: { severity: 'critical', title: 'hot-box: 75 °C', deviceName: 'hot-box' } });
  });

  it('keeps secrets on edit unless replaced, and deletes', async () => {
    const ch = (await call('POST', '/notification-channels', { name: 'edit-me', type: 'webhook', config: { url: `${httpUrl}/e`, secret: 'secret-number-1' } })).body;
    const p = await call('PATCH', `/notification-channels/${ch.id}`, { name: 'edited', config: { url: `${httpUrl}/e2` } });
    expect(p.body).toMatchObject({ name: 'edited', config: { url: `${httpUrl}/e2`, secretSet: true } });
    expect((await call('PATCH', `/notification-channels/${ch.id}`, { config: { secret: null } })).body.config.secretSet).toBe(false);
    expect((await call('DELETE', `/notification-channels/${ch.id}`)).status).toBe(204);
    expect((await call('GET', `/notification-channels/${ch.id}`)).status).toBe(404);
  });
});
