import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmNotificationPayload } from '../../../server/contracts/alarms.js';
import { createLogger } from '../../../server/log/logger.js';
import { OutboundPolicy } from '../../../server/net/outbound-policy.js';
import { NotificationQueue } from '../../../server/notify/notification-queue.js';
import { createSenders, MAX_RENDERED_BODY } from '../../../server/notify/senders.js';
import { NotificationRepository } from '../../../server/store/notification.repository.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { testSecretBox } from '../../helpers/secrets.js';
import { tempDb } from '../../unit/events/engine/helpers.js';
import { publisher, until } from './engine-helpers.js';

/**
 * The vendor channels (issue 17) against a real HTTP receiver on 127.0.0.1
 * that records each request as it arrived: method, path with query, headers,
 * raw body. The server denies 127.0.0.3 for notifications (an "internal
 * service"), so the outbound policy can be seen refusing a target.
 */
interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
}

let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let publish: ReturnType<typeof publisher>;
let http: Server;
let base: string;
const received: Received[] = [];
/** Paths answered 500 this many more times (then 200). */
const failures = new Map<string, number>();

const CONSOLE = 'https://nms.example.test';
const TG_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const PD_KEY = 'R0UT1NGKEY0123456789ABCDEFabcdef';
const OG_KEY = 'eb243592-faa2-4ba2-a551q-1afdf565c889';

beforeAll(async () => {
  http = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      let body: unknown = null;
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body });
      const left = failures.get(req.url ?? '') ?? 0;
      if (left > 0) failures.set(req.url ?? '', left - 1);
      res.writeHead(left > 0 ? 500 : 202, { 'content-type': 'application/json' }).end('{"status":"success"}');
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  srv = await startTestServer({ env: { NMS_OUTBOUND_DENY: '127.0.0.3/32' } });
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  publish = publisher(srv);
}, 120_000);
afterAll(async () => {
  await srv?.stop();
  await new Promise<void>((r) => http?.close(() => r()));
});

const create = (name: string, type: string, config: Record<string, unknown>) => call('POST', '/notification-channels', { name, type, config });
const sendTest = async (id: number) => (await call('POST', `/notification-channels/${id}/test`)).body as { ok: boolean; error?: string };
const byPath = (prefix: string) => received.filter((r) => r.path.startsWith(prefix));

describe('vendor notification channels against a local receiver', { timeout: 120_000 }, () => {
  it('Teams: a MessageCard with the severity colour, facts and a link to the alarm; the webhook URL is never returned', async () => {
    const ch = await create('teams', 'teams', { url: `${base}/teams/webhookb2/secret-token`, consoleUrl: CONSOLE });
    expect(ch.status).toBe(201);
    expect(ch.body.config).toEqual({ format: 'messageCard', consoleUrl: CONSOLE, urlSet: true });
    expect(await sendTest(ch.body.id)).toEqual({ ok: true });
    const got = byPath('/teams/webhookb2/secret-token')[0]!;
    expect(got.method).toBe('POST');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.body).toMatchObject({
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      themeColor: '1976D2', // info
      title: '[Netwatch] INFO TEST: Test notification from Netwatch',
      potentialAction: [{ '@type': 'OpenUri', name: 'Open in Netwatch', targets: [{ os: 'default', uri: `${CONSOLE}/alarms?alarm=0` }] }],
    });
    expect(got.body.sections[0].facts).toContainEqual({ name: 'Severity', value: 'info' });

    const ad = await create('teams-adaptive', 'teams', { url: `${base}/teams/adaptive`, format: 'adaptiveCard', consoleUrl: CONSOLE });
    expect(await sendTest(ad.body.id)).toEqual({ ok: true });
    const card = byPath('/teams/adaptive')[0]!.body;
    expect(card.type).toBe('message');
    expect(card.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.attachments[0].content).toMatchObject({ type: 'AdaptiveCard', actions: [{ type: 'Action.OpenUrl', url: `${CONSOLE}/alarms?alarm=0` }] });
    expect(card.attachments[0].content.body[2].type).toBe('FactSet');
  });

  it('Telegram: POST <base>/bot<token>/sendMessage with chat_id, text and parse_mode; the token is never returned', async () => {
    const ch = await create('tg', 'telegram', { botToken: TG_TOKEN, chatId: -1001234567890, apiBaseUrl: `${base}/tg/` });
    expect(ch.status).toBe(201);
    expect(ch.body.config).toEqual({ chatId: '-1001234567890', parseMode: 'HTML', apiBaseUrl: `${base}/tg/`, botTokenSet: true });
    expect(JSON.stringify((await call('GET', '/notification-channels')).body)).not.toContain(TG_TOKEN.split(':')[1]);
    expect(await sendTest(ch.body.id)).toEqual({ ok: true });
    const got = byPath('/tg/')[0]!;
    expect(got.path).toBe(`/tg/bot${TG_TOKEN}/sendMessage`);
    expect(got.body).toEqual({
      chat_id: '-1001234567890',
      parse_mode: 'HTML',
      disable_web_page_preview: true,
      text: '<b>[Netwatch] INFO TEST: Test notification from Netwatch</b>\nIf you can read this, the channel works.\nDevice: unknown · Count: 1\nAlarm #0 (test)',
    });
  });

  it('PagerDuty, Opsgenie, Alertmanager and an HTTP template follow an alarm from raise to clear', async () => {
    const pd = (await create('pd', 'pagerduty', { routingKey: PD_KEY, apiBaseUrl: `${base}/pd`, consoleUrl: CONSOLE })).body;
    expect(pd.config).toEqual({ apiBaseUrl: `${base}/pd`, consoleUrl: CONSOLE, routingKeySet: true });
    const og = (await create('og', 'opsgenie', { apiKey: OG_KEY, region: 'eu', apiBaseUrl: `${base}/og` })).body;
    expect(og.config).toEqual({ region: 'eu', apiBaseUrl: `${base}/og`, apiKeySet: true });
    const am = (await create('am', 'alertmanager', { url: `${base}/am`, username: 'nw', password: 'am-pass-1', consoleUrl: CONSOLE })).body;
    expect(am.config).toEqual({ url: `${base}/am`, username: 'nw', activeForMinutes: 10080, consoleUrl: CONSOLE, passwordSet: true, headerNames: [] });
    const sms = (await create('sms', 'http', {
      method: 'POST',
      url: `${base}/sms/send?to=%2B4912345&tag={severity}`,
      headers: { 'X-Api-Key': 'sms-key-1' },
      bodyFormat: 'json',
      body: '{"to": "+4912345", "text": "{alarm.title} on {device.name}: {alarm.message}", "sev": "{severity}", "key": "{alarm.key}"}',
    })).body;
    expect(sms.config).toMatchObject({ method: 'POST', bodyFormat: 'json', headerNames: ['X-Api-Key'] });
    expect(JSON.stringify(sms.config)).not.toContain('sms-key-1');
    const form = (await create('sms-form', 'http', { method: 'PUT', url: `${base}/form`, bodyFormat: 'form', body: 'msg={subject}&dev={device.name}' })).body;
    const get = (await create('sms-get', 'http', { method: 'GET', url: `${base}/get?text={alarm.title}&sev={severity}` })).body;

    const ids = [pd.id, og.id, am.id, sms.id, form.id, get.id];
    expect((await call('POST', '/rules', {
      name: 'fan fail',
      body: { kind: 'event', match: { message: 'fan 2 failed' }, actions: { disposition: 'alarm', severity: 'major', title: 'Fan "{sourceAddress}" failed', reductionKey: 'fan:{deviceOrSource}', notify: { channelIds: ids, on: ['raise', 'clear'] } } },
    })).status).toBe(201);
    await call('POST', '/rules', { name: 'fan ok', body: { kind: 'event', match: { message: 'cooling restored' }, actions: { disposition: 'clear', clearKey: 'fan:{deviceOrSource}' } } });

    const message = 'fan 2 failed: "speed 0"\n<b>replace</b> & \\ check';
    publish({ message, sourceAddress: '127.0.0.44' });

    // PagerDuty Events v2: trigger, dedup_key = the alarm's reduction key, major -> error.
    const trig = await until(async () => byPath('/pd/')[0]);
    expect(trig.path).toBe('/pd/v2/enqueue');
    expect(trig.body).toMatchObject({
      routing_key: PD_KEY,
      event_action: 'trigger',
      dedup_key: 'fan:127.0.0.44',
      payload: { summary: `Fan "127.0.0.44" failed: ${message}`, source: '127.0.0.44', severity: 'error' },
      client: 'Netwatch',
    });
    expect(trig.body.client_url).toMatch(new RegExp(`^${CONSOLE}/alarms\\?alarm=\\d+$`));

    // Opsgenie: create with alias = key, GenieKey auth, major -> P2.
    const ogc = await until(async () => byPath('/og/')[0]);
    expect(ogc.path).toBe('/og/v2/alerts');
    expect(ogc.headers.authorization).toBe(`GenieKey ${OG_KEY}`);
    expect(ogc.body).toMatchObject({ message: 'Fan "127.0.0.44" failed', alias: 'fan:127.0.0.44', priority: 'P2', source: 'Netwatch', description: message });

    // Alertmanager: one alert, labels and annotations, endsAt in the future while active.
    const amr = await until(async () => byPath('/am/')[0]);
    expect(amr.path).toBe('/am/api/v2/alerts');
    expect(amr.headers.authorization).toBe(`Basic ${Buffer.from('nw:am-pass-1').toString('base64')}`);
    expect(amr.body).toHaveLength(1);
    const alert = amr.body[0];
    expect(alert.labels).toEqual({ alertname: 'Fan "127.0.0.44" failed', severity: 'major', device: '127.0.0.44', instance: '127.0.0.44', alarm_key: 'fan:127.0.0.44', source: 'netwatch' });
    expect(alert.annotations).toMatchObject({ summary: '[Netwatch] MAJOR RAISED: Fan "127.0.0.44" failed', description: message });
    expect(alert.generatorURL).toMatch(new RegExp(`^${CONSOLE}/alarms\\?alarm=\\d+$`));
    expect(Date.parse(alert.endsAt)).toBeGreaterThan(Date.parse(alert.startsAt) + 24 * 3600_000);

    // HTTP template: placeholders JSON-escaped in the JSON body, percent-encoded in URL and form bodies.
    const s = await until(async () => byPath('/sms/')[0]);
    expect(s.path).toBe('/sms/send?to=%2B4912345&tag=major');
    expect(s.headers['x-api-key']).toBe('sms-key-1');
    expect(s.headers['content-type']).toBe('application/json');
    expect(s.body).toEqual({ to: '+4912345', text: `Fan "127.0.0.44" failed on 127.0.0.44: ${message}`, sev: 'major', key: 'fan:127.0.0.44' });
    const f = await until(async () => byPath('/form')[0]);
    expect(f.method).toBe('PUT');
    expect(f.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(f.raw))).toEqual({ msg: '[Netwatch] MAJOR RAISED: Fan "127.0.0.44" failed', dev: '127.0.0.44' });
    const g = await until(async () => byPath('/get')[0]);
    expect(g.method).toBe('GET');
    expect(g.raw).toBe('');
    expect(Object.fromEntries(new URL(g.path, base).searchParams)).toEqual({ text: 'Fan "127.0.0.44" failed', sev: 'major' });

    publish({ message: 'cooling restored', sourceAddress: '127.0.0.44' });
    const res = await until(async () => byPath('/pd/').find((r) => r.body.event_action === 'resolve'));
    expect(res.body).toEqual({ routing_key: PD_KEY, event_action: 'resolve', dedup_key: 'fan:127.0.0.44' });
    const close = await until(async () => byPath('/og/').find((r) => r.path.includes('/close')));
    expect(close.path).toBe(`/og/v2/alerts/${encodeURIComponent('fan:127.0.0.44')}/close?identifierType=alias`);
    expect(close.headers.authorization).toBe(`GenieKey ${OG_KEY}`);
    expect(close.body).toMatchObject({ source: 'Netwatch' });
    const amClear = await until(async () => byPath('/am/')[1]);
    expect(amClear.body[0].labels.alarm_key).toBe('fan:127.0.0.44');
    expect(Date.parse(amClear.body[0].endsAt)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(amClear.body[0].endsAt)).toBeGreaterThanOrEqual(Date.parse(amClear.body[0].startsAt));
  });

  it('refuses hostile settings with a 400: CR/LF in header values, unknown or prototype placeholders, huge bodies, denied targets', async () => {
    const bad: [string, Record<string, unknown>, RegExp][] = [
      ['http', { url: `${base}/x`, headers: { 'X-A': 'v\r\nX-Injected: 1' } }, /control characters/],
      ['webhook', { url: `${base}/x`, headers: { 'X-A': 'v\nHost: evil' } }, /control characters/],
      ['alertmanager', { url: `${base}/x`, headers: { 'X-A': 'v\r\n\r\nbody' } }, /control characters/],
      ['alertmanager', { url: `${base}/x`, username: 'a:b', password: 'p' }, /colon/],
      ['http', { url: `${base}/x`, body: '{"a": "{constructor}"}' }, /unknown placeholder \{constructor\}/],
      ['http', { url: `${base}/x`, body: '{__proto__}' }, /unknown placeholder \{__proto__\}/],
      ['http', { url: `${base}/x`, body: '{alarm.__proto__.polluted}' }, /unknown placeholder/],
      ['http', { url: `${base}/{toString}` }, /unknown placeholder \{toString\}/],
      ['http', { url: `${base}/x`, body: 'x'.repeat(65_537) }, /65536/],
      ['http', { url: 'file:///etc/passwd' }, /http\(s\) URL/],
      ['telegram', { botToken: 'not-a-token', chatId: 1 }, /bot token/],
      ['telegram', { botToken: TG_TOKEN, chatId: 'x\r\ny' }, /chat id/],
      ['pagerduty', { routingKey: 'short' }, /routing/],
      ['opsgenie', { apiKey: 'k\r\nX: y1234567890123' }, /integration key/],
      ['telegram', { botToken: TG_TOKEN, chatId: 1, apiBaseUrl: 'http://127.0.0.3:9/' }, /config\.apiBaseUrl: .*127\.0\.0\.3.*denied/],
      ['pagerduty', { routingKey: PD_KEY, apiBaseUrl: 'http://127.0.0.3/' }, /config\.apiBaseUrl: .*denied/],
      ['opsgenie', { apiKey: OG_KEY, apiBaseUrl: 'http://169.254.169.254/' }, /config\.apiBaseUrl: .*denied/],
      ['alertmanager', { url: 'http://127.0.0.3:9093' }, /config\.url: .*denied/],
      ['teams', { url: 'http://127.0.0.3/hook' }, /config\.url: .*denied/],
      ['http', { url: 'http://127.0.0.3/{severity}' }, /config\.url: .*denied/],
    ];
    for (const [i, [type, config, why]] of bad.entries()) {
      const r = await create(`bad-${i}`, type, config);
      expect(r.status, `${type} ${JSON.stringify(config).slice(0, 80)}`).toBe(400);
      expect(JSON.stringify(r.body), `${type} ${JSON.stringify(config).slice(0, 80)}`).toMatch(why);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Same checks on edit.
    const ok = (await create('edit-http', 'http', { url: `${base}/edit`, body: '{severity}', bodyFormat: 'text' })).body;
    expect((await call('PATCH', `/notification-channels/${ok.id}`, { config: { headers: { 'X-B': 'a\rb' } } })).status).toBe(400);
    expect((await call('PATCH', `/notification-channels/${ok.id}`, { config: { url: 'http://127.0.0.3/' } })).status).toBe(400);
    expect(received.some((r) => r.path.startsWith('/x'))).toBe(false);
  });
});

describe('vendor channels through the queue', { timeout: 60_000 }, () => {
  const log = createLogger({ level: 'silent', format: 'json' });
  const payload = (message: string): AlarmNotificationPayload => ({
    kind: 'raise',
    alarm: { id: 7, reductionKey: 'psu:10.0.0.1', state: 'active', severity: 'critical', title: 'PSU down', message, deviceId: null, sourceAddress: '10.0.0.1', count: 1, firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_000_000, deviceName: 'core1' },
    sentAt: 1_700_000_000_000,
  });

  it('retries a PagerDuty event the receiver refused, with back-off, until it is accepted', async () => {
    const { db, cleanup } = tempDb();
    const channels = new NotificationRepository(db, testSecretBox());
    const ch = channels.create({ name: 'pd', type: 'pagerduty', enabled: true, config: { routingKey: PD_KEY, apiBaseUrl: `${base}/retry-pd` } });
    failures.set('/retry-pd/v2/enqueue', 2);
    const queue = new NotificationQueue(channels, log, { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 }, createSenders(new OutboundPolicy()));
    try {
      queue.enqueue(ch.id, payload('psu 1 failed'));
      await until(async () => queue.stats.sent === 1 || undefined, 30_000);
      const tries = byPath('/retry-pd/');
      expect(tries).toHaveLength(3);
      expect(tries.map((t) => t.body.dedup_key)).toEqual(['psu:10.0.0.1', 'psu:10.0.0.1', 'psu:10.0.0.1']);
      expect(tries[0]!.body.payload.severity).toBe('critical');
      expect(queue.stats.retries).toBe(2);
      expect(channels.dto(ch.id)).toMatchObject({ sentCount: 1, lastError: 'HTTP 500' });
    } finally {
      await queue.close();
      cleanup();
    }
  });

  it('sends nothing, for any of the new types, to an address the outbound policy denies', async () => {
    const senders = createSenders(new OutboundPolicy({ deny: ['127.0.0.1/32'] }));
    const before = received.length;
    const configs: [keyof typeof senders, Record<string, unknown>][] = [
      ['teams', { url: `${base}/d` }],
      ['telegram', { botToken: TG_TOKEN, chatId: '1', apiBaseUrl: base }],
      ['pagerduty', { routingKey: PD_KEY, apiBaseUrl: base }],
      ['opsgenie', { apiKey: OG_KEY, apiBaseUrl: base }],
      ['alertmanager', { url: base }],
      ['http', { method: 'POST', url: `${base}/d`, bodyFormat: 'text', body: '' }],
    ];
    for (const [type, config] of configs) await expect(senders[type](config, payload('x')), type).rejects.toThrow(/outbound policy: 127\.0\.0\.1.* is denied/);
    expect(received.length).toBe(before);
  });

  it('does not send an HTTP template whose rendered body exceeds the limit', async () => {
    const senders = createSenders(new OutboundPolicy());
    const before = byPath('/huge').length;
    const body = '{alarm.message}'.repeat(64);
    await expect(senders.http({ method: 'POST', url: `${base}/huge`, bodyFormat: 'text', body }, payload('m'.repeat(MAX_RENDERED_BODY / 32)))).rejects.toThrow(/rendered body too large/);
    expect(byPath('/huge').length).toBe(before);
    // Just under the limit it goes.
    await senders.http({ method: 'POST', url: `${base}/huge`, bodyFormat: 'text', body: '{alarm.message}' }, payload('m'.repeat(100_000)));
    expect(byPath('/huge').at(-1)!.raw).toHaveLength(100_000);
  });
});
