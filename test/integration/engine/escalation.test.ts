import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { publisher, until } from './engine-helpers.js';

/**
 * Escalation against a real server and a real HTTP receiver on 127.0.0.1 (webhook and PagerDuty
 * Events v2 shapes), with waits of about a second: steps in order, the signed acknowledge link
 * (forged, good, replayed), PagerDuty told `acknowledge`, escalation stopped by the ack.
 */
interface Received {
  path: string;
  body: any;
  at: number;
}

let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let publish: ReturnType<typeof publisher>;
let http: Server;
let base: string;
const received: Received[] = [];
const PUBLIC = 'https://nms.example.test';
const PD_KEY = 'R0UT1NGKEY0123456789ABCDEFabcdef';

beforeAll(async () => {
  http = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(raw || 'null'), at: Date.now() });
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success","dedup_key":"x"}');
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  srv = await startTestServer({ env: { NMS_PUBLIC_URL: PUBLIC } });
  const { token } = await login(srv.url, 'admin', srv.adminPassword);
  call = apiClient(srv.url, token);
  publish = publisher(srv);
}, 60_000);

afterAll(async () => {
  await srv?.stop();
  await new Promise((r) => http.close(r));
});

describe('escalation policies', () => {
  it('escalates step by step, acknowledges from the signed link, tells PagerDuty and stops', async () => {
    const hook = (await call('POST', '/notification-channels', { name: 'esc-hook', type: 'webhook', config: { url: `${base}/hook` } })).body;
    const pd = (await call('POST', '/notification-channels', { name: 'esc-pd', type: 'pagerduty', config: { routingKey: PD_KEY, apiBaseUrl: `${base}/pd` } })).body;
    const rule = await call('POST', '/rules', {
      name: 'esc down',
      body: { kind: 'event', match: { message: 'ESC down' }, actions: { disposition: 'alarm', severity: 'major', title: 'ESC {sourceAddress} down', reductionKey: 'esc:{deviceOrSource}' } },
    });
    expect(rule.status).toBe(201);
    const policy = await call('POST', '/escalation-policies', {
      name: 'night shift',
      steps: [{ waitMinutes: 0.02, channelIds: [hook.id] }, { waitMinutes: 0.02, channelIds: [pd.id] }],
      repeatMinutes: 0.02,
      assignments: [{ kind: 'rule', value: String(rule.body.id) }],
    });
    expect(policy.status).toBe(201);
    expect(policy.body).toMatchObject({ name: 'night shift', enabled: true, repeatMinutes: 0.02, steps: [{ waitMinutes: 0.02 }, { waitMinutes: 0.02 }] });

    const t0 = Date.now();
    publish({ message: 'ESC down', sourceAddress: '127.0.0.21' });
    const step1 = await until(async () => received.find((r) => r.path === '/hook'), 20_000);
    expect(step1.at - t0).toBeGreaterThanOrEqual(1000); // waited ~1.2 s unacknowledged
    expect(step1.body).toMatchObject({ kind: 'escalate', escalation: { policyName: 'night shift', step: 0, repeat: 0 }, alarm: { title: 'ESC 127.0.0.21 down', state: 'active' } });
    expect(step1.body.ackUrl).toMatch(new RegExp(`^${PUBLIC}/api/v1/ack/\\d+\\.\\d+\\.[A-Za-z0-9_-]{43}$`));
    const alarmId = step1.body.alarm.id as number;
    const trigger = await until(async () => received.find((r) => r.path === '/pd/v2/enqueue'), 20_000);
    expect(trigger.body).toMatchObject({ routing_key: PD_KEY, event_action: 'trigger', dedup_key: 'esc:127.0.0.21' });
    expect(trigger.body.links).toContainEqual({ href: expect.stringMatching(/\/api\/v1\/ack\//), text: 'Acknowledge in Netwatch' });
    // The last step repeats until acknowledged.
    await until(async () => received.filter((r) => r.path === '/pd/v2/enqueue').length >= 2, 20_000);
    const state = await call('GET', `/alarms/${alarmId}/escalation`);
    expect(state.body.escalation).toMatchObject({ alarmId, policyId: policy.body.id, nextStep: 2 });
    expect(state.body.escalation.repeats).toBeGreaterThanOrEqual(1);

    const token = String(step1.body.ackUrl).split('/').pop()!;
    const link = `${srv.url}/api/v1/ack/${token}`;
    // Forged: another alarm id under the same signature, a changed signature, garbage.
    const [, exp, sig] = token.split('.');
    for (const bad of [`${alarmId + 1}.${exp}.${sig}`, `${alarmId}.${exp}.${sig!.slice(0, -2)}AA`, 'nonsense']) {
      const r = await fetch(`${srv.url}/api/v1/ack/${bad}`, { method: 'POST' });
      expect(r.status).toBe(403);
    }
    expect((await call('GET', `/alarms/${alarmId}`)).body.state).toBe('active');
    const forgedPage = await fetch(`${srv.url}/api/v1/ack/${alarmId + 1}.${exp}.${sig}`);
    expect(forgedPage.status).toBe(403);
    expect(await forgedPage.text()).toContain('This acknowledge link is not valid');

    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('ESC 127.0.0.21 down');
    expect(html).toContain('<form method="post">');
    expect((await call('GET', `/alarms/${alarmId}`)).body.state).toBe('active'); // GET changes nothing

    const ack = await fetch(link, { method: 'POST' });
    expect(ack.status).toBe(200);
    expect(await ack.text()).toContain('The alarm is acknowledged');
    const acked = (await call('GET', `/alarms/${alarmId}`)).body;
    expect(acked).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'link' });
    const pdAck = await until(async () => received.find((r) => r.path === '/pd/v2/enqueue' && r.body.event_action === 'acknowledge'), 20_000);
    expect(pdAck.body).toEqual({ routing_key: PD_KEY, event_action: 'acknowledge', dedup_key: 'esc:127.0.0.21' });

    // Replay after the ack: harmless.
    const again = await fetch(link, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('Nothing to do: the alarm is acknowledged');

    // Escalation stopped: nothing more arrives over the next few periods.
    expect((await call('GET', `/alarms/${alarmId}/escalation`)).body.escalation).toBeNull();
    const count = received.length;
    await new Promise((r) => setTimeout(r, 3500));
    expect(received.slice(count).filter((r) => r.body?.kind === 'escalate' || r.body?.event_action === 'trigger')).toEqual([]);

    // The audit trail names the link; forged attempts are recorded as denied.
    const audit = (await call('GET', `/audit?object=alarm&objectId=${alarmId}`)).body.items as { action: string; username: string | null; outcome: string }[];
    expect(audit).toContainEqual(expect.objectContaining({ action: 'alarm.ack', username: 'link', outcome: 'ok' }));
    const denied = (await call('GET', '/audit?object=alarm&outcome=denied')).body.items as { username: string | null }[];
    expect(denied.length).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it('clearing the alarm stops its escalation', async () => {
    const hook = (await call('POST', '/notification-channels', { name: 'clear-hook', type: 'webhook', config: { url: `${base}/clear-hook` } })).body;
    await call('POST', '/rules', { name: 'cl down', body: { kind: 'event', match: { message: 'CL down' }, actions: { disposition: 'alarm', severity: 'critical', reductionKey: 'cl:{deviceOrSource}' } } });
    await call('POST', '/rules', { name: 'cl up', body: { kind: 'event', match: { message: 'CL up' }, actions: { disposition: 'clear', clearKey: 'cl:{deviceOrSource}' } } });
    const p = await call('POST', '/escalation-policies', { name: 'critical', steps: [{ waitMinutes: 0.02, channelIds: [hook.id] }], repeatMinutes: 0.02, assignments: [{ kind: 'severity', value: 'critical' }] });
    expect(p.status).toBe(201);
    publish({ message: 'CL down', sourceAddress: '127.0.0.22' });
    const first = await until(async () => received.find((r) => r.path === '/clear-hook'), 20_000);
    publish({ message: 'CL up', sourceAddress: '127.0.0.22' });
    await until(async () => (await call('GET', `/alarms/${first.body.alarm.id}`)).body.state === 'cleared', 20_000);
    await until(async () => (await call('GET', `/alarms/${first.body.alarm.id}/escalation`)).body.escalation === null, 5000);
    const n = received.filter((r) => r.path === '/clear-hook').length;
    await new Promise((r) => setTimeout(r, 3000));
    expect(received.filter((r) => r.path === '/clear-hook').length).toBe(n);
  }, 60_000);

  it('a PagerDuty channel of the rule is told acknowledge when the alarm is acknowledged in the console, resolve on clear', async () => {
    const pd = (await call('POST', '/notification-channels', { name: 'rule-pd', type: 'pagerduty', config: { routingKey: PD_KEY, apiBaseUrl: `${base}/rule-pd` } })).body;
    const og = (await call('POST', '/notification-channels', { name: 'rule-og', type: 'opsgenie', config: { apiKey: 'eb243592-faa2-4ba2-a551-1afdf565c889', apiBaseUrl: `${base}/og` } })).body;
    const slack = (await call('POST', '/notification-channels', { name: 'rule-slack', type: 'slack', config: { url: `${base}/rule-slack` } })).body;
    await call('POST', '/rules', {
      name: 'pd down',
      body: { kind: 'event', match: { message: 'PD down' }, actions: { disposition: 'alarm', severity: 'minor', reductionKey: 'pd:{deviceOrSource}', notify: { channelIds: [pd.id, og.id, slack.id], on: ['raise', 'clear'] } } },
    });
    await call('POST', '/rules', { name: 'pd up', body: { kind: 'event', match: { message: 'PD up' }, actions: { disposition: 'clear', clearKey: 'pd:{deviceOrSource}' } } });
    publish({ message: 'PD down', sourceAddress: '127.0.0.23' });
    const trig = await until(async () => received.find((r) => r.path === '/rule-pd/v2/enqueue' && r.body.event_action === 'trigger'), 20_000);
    expect(trig.body.links).toContainEqual({ href: expect.stringMatching(/^https:\/\/nms\.example\.test\/api\/v1\/ack\//), text: 'Acknowledge in Netwatch' });
    const alarms = (await call('GET', '/alarms')).body.items as { id: number; reductionKey: string }[];
    const id = alarms.find((a) => a.reductionKey === 'pd:127.0.0.23')!.id;
    expect((await call('POST', `/alarms/${id}/ack`)).status).toBe(200);
    const ack = await until(async () => received.find((r) => r.path === '/rule-pd/v2/enqueue' && r.body.event_action === 'acknowledge'), 20_000);
    expect(ack.body).toEqual({ routing_key: PD_KEY, event_action: 'acknowledge', dedup_key: 'pd:127.0.0.23' });
    const ogAck = await until(async () => received.find((r) => r.path.startsWith('/og/v2/alerts/') && r.path.includes('/acknowledge')), 20_000);
    expect(ogAck.path).toBe(`/og/v2/alerts/${encodeURIComponent('pd:127.0.0.23')}/acknowledge?identifierType=alias`);
    // Slack is not told about acknowledgements (only raise and clear, as the rule says).
    expect(received.filter((r) => r.path === '/rule-slack' && /ACKNOWLEDGED/.test(String(r.body?.text)))).toEqual([]);
    publish({ message: 'PD up', sourceAddress: '127.0.0.23' });
    const res = await until(async () => received.find((r) => r.path === '/rule-pd/v2/enqueue' && r.body.event_action === 'resolve'), 20_000);
    expect(res.body).toEqual({ routing_key: PD_KEY, event_action: 'resolve', dedup_key: 'pd:127.0.0.23' });
  }, 60_000);

  it('a burst to a channel with a digest: the first N are sent, the rest arrive as one message listing them', async () => {
    const hook = (await call('POST', '/notification-channels', { name: 'burst-hook', type: 'webhook', config: { url: `${base}/burst` }, delivery: { digest: { threshold: 3, windowSeconds: 2 } } })).body;
    await call('POST', '/rules', {
      name: 'burst',
      body: { kind: 'event', match: { message: 'BURST' }, actions: { disposition: 'alarm', severity: 'warning', reductionKey: 'burst:{deviceOrSource}', notify: { channelIds: [hook.id], on: ['raise'] } } },
    });
    for (let i = 1; i <= 8; i++) publish({ message: 'BURST', sourceAddress: `127.0.1.${i}` });
    const digest = await until(async () => received.find((r) => r.path === '/burst' && r.body.kind === 'digest'), 20_000);
    expect(digest.body.digest).toMatchObject({ reason: 'rate', count: 5 });
    expect(digest.body.digest.items).toHaveLength(5);
    expect(received.filter((r) => r.path === '/burst' && r.body.kind === 'raise')).toHaveLength(3);
    const counters = (await call('GET', '/status')).body;
    expect(JSON.stringify(counters)).toMatch(/delivery_digests":1[,}]/);
  }, 60_000);

  it('an escalation carries on after a restart from the step it had reached', async () => {
    const a = (await call('POST', '/notification-channels', { name: 'rs-first', type: 'webhook', config: { url: `${base}/rs-first` } })).body;
    const b = (await call('POST', '/notification-channels', { name: 'rs-second', type: 'webhook', config: { url: `${base}/rs-second` } })).body;
    const rule = (await call('POST', '/rules', { name: 'rs down', body: { kind: 'event', match: { message: 'RS down' }, actions: { disposition: 'alarm', severity: 'info', reductionKey: 'rs:{deviceOrSource}' } } })).body;
    await call('POST', '/escalation-policies', {
      name: 'restart', steps: [{ waitMinutes: 0, channelIds: [a.id] }, { waitMinutes: 0.1, channelIds: [b.id] }], assignments: [{ kind: 'rule', value: String(rule.id) }],
    });
    publish({ message: 'RS down', sourceAddress: '127.0.0.24' });
    const first = await until(async () => received.find((r) => r.path === '/rs-first'), 20_000);
    const alarmId = first.body.alarm.id as number;
    expect((await call('GET', `/alarms/${alarmId}/escalation`)).body.escalation).toMatchObject({ nextStep: 1, notified: [a.id] });
    // Stop (the data stays) and start again on the same data before the second step is due (6 s).
    const dataDir = srv.dataDir;
    await srv.nms.stop();
    expect(received.find((r) => r.path === '/rs-second')).toBeUndefined();
    srv = await startTestServer({ dataDir, env: { NMS_PUBLIC_URL: PUBLIC } });
    call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
    publish = publisher(srv);
    const second = await until(async () => received.find((r) => r.path === '/rs-second'), 30_000);
    expect(second.body).toMatchObject({ kind: 'escalate', alarm: { id: alarmId }, escalation: { policyName: 'restart', step: 1 } });
    // Carried on, not started over: the first step was not sent again.
    expect(received.filter((r) => r.path === '/rs-first')).toHaveLength(1);
    expect((await call('GET', `/alarms/${alarmId}/escalation`)).body.escalation).toMatchObject({ nextStep: 2, nextDueAt: null, notified: [a.id, b.id] });
  }, 90_000);

  it('validates policies and delivery settings (clear 4xx), and needs an admin to change them', async () => {
    const bad = [
      { name: 'x', steps: [] },
      { name: 'x', steps: [{ waitMinutes: -1, channelIds: [1] }] },
      { name: 'x', steps: [{ waitMinutes: 1, channelIds: [999_999] }] },
      { name: 'x', steps: [{ waitMinutes: 1, channelIds: [1] }], assignments: [{ kind: 'severity', value: 'apocalyptic' }] },
      { name: 'x', steps: [{ waitMinutes: 1, channelIds: [1] }], assignments: [{ kind: '__proto__', value: 'x' }] },
      { name: 'x', steps: [{ waitMinutes: 1, channelIds: [1] }], __proto__: { admin: true }, extra: 1 },
    ];
    for (const b of bad) expect((await call('POST', '/escalation-policies', b)).status).toBe(400);
    const ch = await call('POST', '/notification-channels', {
      name: 'quiet', type: 'webhook', config: { url: `${base}/quiet` },
      delivery: { quietHours: { timezone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], start: '22:00', end: '06:00', breakThrough: 'critical' }, digest: { threshold: 5 } },
    });
    expect(ch.status).toBe(201);
    expect(ch.body.delivery).toEqual({
      quietHours: { enabled: true, timezone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], start: '22:00', end: '06:00', breakThrough: 'critical' },
      digest: { enabled: true, threshold: 5, windowSeconds: 60 },
    });
    for (const delivery of [{ quietHours: { timezone: 'Mars/Olympus', start: '22:00', end: '06:00' } }, { quietHours: { start: '24:00', end: '06:00' } }, { digest: { threshold: 0 } }]) {
      expect((await call('PATCH', `/notification-channels/${ch.body.id}`, { delivery })).status).toBe(400);
    }
    const off = await call('PATCH', `/notification-channels/${ch.body.id}`, { delivery: {} });
    expect(off.body.delivery).toEqual({});
    await call('POST', '/users', { username: 'viewer1', password: 'viewer-password-1', role: 'viewer' });
    const viewer = apiClient(srv.url, (await login(srv.url, 'viewer1', 'viewer-password-1')).token);
    expect((await viewer('GET', '/escalation-policies')).status).toBe(200);
    expect((await viewer('POST', '/escalation-policies', { name: 'v', steps: [{ waitMinutes: 1, channelIds: [ch.body.id] }] })).status).toBe(403);
  }, 30_000);

  it('refused link attempts from one client are limited (each would be an audit entry)', async () => {
    let limited = 0;
    for (let i = 0; i < 40 && limited === 0; i++) {
      const r = await fetch(`${srv.url}/api/v1/ack/1.1.${'A'.repeat(43)}`, { method: 'POST' });
      if (r.status === 429) limited = i;
      else expect(r.status).toBe(403);
    }
    expect(limited).toBeGreaterThan(0);
  }, 30_000);
});
