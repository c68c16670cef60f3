import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../engine/engine-helpers.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { startSnmpd } from '../../helpers/snmpd.js';

const TOKEN = 'am-intake-token-0123456789';
const PATH = '/api/v1/intake/alertmanager';

function message(alerts: unknown[], status = 'firing'): Record<string, unknown> {
  return {
    receiver: 'netwatch', status, alerts, groupLabels: {}, commonLabels: {}, commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093', version: '4', groupKey: '{}:{}', truncatedAlerts: 0,
  };
}

function firing(labels: Record<string, string>, summary = 'it broke', fingerprint?: string): Record<string, unknown> {
  return { status: 'firing', labels, annotations: { summary }, startsAt: '2026-12-07T05:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', ...(fingerprint ? { fingerprint } : {}) };
}

function resolved(labels: Record<string, string>, fingerprint?: string): Record<string, unknown> {
  return { ...firing(labels, 'it broke', fingerprint), status: 'resolved', endsAt: '2026-12-07T05:05:00Z' };
}

async function post(url: string, body: unknown, token: string | null = TOKEN): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${url}${PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

describe('POST /api/v1/intake/alertmanager', { timeout: 60_000 }, () => {
  let srv: TestServer;
  let admin: ReturnType<typeof apiClient>;
  const alarmsOf = async (fingerprint: string) =>
    ((await admin('GET', '/alarms?state=all&limit=1000')).body.items as { reductionKey: string }[]).filter((a) => a.reductionKey === `alertmanager:${fingerprint}`) as any[];
  const eventsOf = async (type: string) => (await admin('GET', `/events?source=alertmanager&type=${encodeURIComponent(type)}&limit=1000`)).body.items as any[];

  beforeAll(async () => {
    srv = await startTestServer({ env: { NMS_ALERTMANAGER_TOKEN: TOKEN } });
    admin = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  });
  afterAll(() => srv?.stop());

  it('refuses a missing or wrong token with 401, before looking at the body', async () => {
    const none = await post(srv.url, message([firing({ alertname: 'T401' })]), null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect((await post(srv.url, message([firing({ alertname: 'T401' })]), 'wrong-token-wrong-token')).status).toBe(401);
    expect((await post(srv.url, { not: 'a webhook' }, 'wrong-token-wrong-token')).status).toBe(401);
    // A console session or an API token of the admin does not open it either: only alertmanagerToken does.
    const { token } = await login(srv.url, 'admin', srv.adminPassword);
    expect((await post(srv.url, message([firing({ alertname: 'T401' })]), token)).status).toBe(401);
    expect(await eventsOf('T401')).toEqual([]);
  });

  it('answers 400 naming the field for a bad payload, 413 beyond 1 MiB, and stores nothing', async () => {
    const bad = await post(srv.url, message([{ ...firing({ alertname: 'T400' }), labels: { alertname: 'T400', severity: 5 } }]));
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/alerts\.0\.labels.*severity/);
    expect((await post(srv.url, '{"version":"4",')).status).toBe(400);
    const huge = await post(srv.url, message([firing({ alertname: 'T413' }, 'x'.repeat(1_100_000))]));
    expect(huge.status).toBe(413);
    const many = await post(srv.url, message(Array.from({ length: 1001 }, (_, i) => firing({ alertname: 'T400', i: String(i) }))));
    expect(many.status).toBe(400);
    // Label sets that JSON can carry but we refuse: 50,000 labels (under 1 MiB), a value nested 5,000 deep.
    const wide = await post(srv.url, message([{ ...firing({ alertname: 'T400' }), labels: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`l${i}`, 'v'])) }]));
    expect(wide.status).toBe(400);
    expect(wide.body.error.message).toMatch(/at most 128 entries/);
    const deep = await post(srv.url, `{"version":"4","status":"firing","receiver":"r","alerts":[{"status":"firing","labels":{"alertname":${'['.repeat(5000)}${']'.repeat(5000)}}}]}`);
    expect(deep.status).toBe(400);
    expect((await fetch(`${srv.url}/api/v1/health`)).status).toBe(200);
    expect(await eventsOf('T400')).toEqual([]);
    expect(await eventsOf('T413')).toEqual([]);
  });

  it('raises one alarm per fingerprint once stored, reduces repeats into it, and clears it when resolved', async () => {
    const labels = { alertname: 'DiskFull', severity: 'critical', job: 'node' };
    const first = await post(srv.url, message([firing(labels, 'disk / is full', 'aaaa000000000001')]));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: 1, duplicate: false });
    // Answered after the commit: the event and the alarm are there already.
    const [ev] = await eventsOf('DiskFull');
    expect(ev).toMatchObject({ source: 'alertmanager', type: 'DiskFull', severity: 'critical', message: 'DiskFull: disk / is full', deviceId: null });
    expect(ev.params).toMatchObject({ status: 'firing', fingerprint: 'aaaa000000000001', labels: { job: 'node' } });
    let [alarm] = await alarmsOf('aaaa000000000001');
    expect(alarm).toMatchObject({ state: 'active', severity: 'critical', count: 1, source: 'alertmanager', eventType: 'DiskFull', title: 'DiskFull: disk / is full' });

    // Alertmanager retrying the same message (its answer was lost): acknowledged, not stored again.
    const again = await post(srv.url, message([firing(labels, 'disk / is full', 'aaaa000000000001')]));
    expect(again.body).toEqual({ received: 1, duplicate: true });
    expect(await eventsOf('DiskFull')).toHaveLength(1);

    // A later notification about the same alert (new annotation text): same alarm, count 2.
    expect((await post(srv.url, message([firing(labels, 'disk / is still full', 'aaaa000000000001')]))).status).toBe(200);
    const alarms = await alarmsOf('aaaa000000000001');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ state: 'active', count: 2 });

    const res = await post(srv.url, message([resolved(labels, 'aaaa000000000001')], 'resolved'));
    expect(res.status).toBe(200);
    [alarm] = await alarmsOf('aaaa000000000001');
    expect(alarm.state).toBe('cleared');
    const events = await eventsOf('DiskFull');
    expect(events.map((e) => [e.params.status, e.severity])).toEqual([['resolved', 'info'], ['firing', 'critical'], ['firing', 'critical']]);
  });

  it('shows the alert on the device its instance label names, and suppresses it in a maintenance window', async () => {
    const dev = await admin('POST', '/devices', { name: 'k8s-node-7', address: '127.0.0.77' });
    expect(dev.status).toBe(201);
    const id = dev.body.id as number;
    expect((await post(srv.url, message([firing({ alertname: 'NodeLoad', instance: '127.0.0.77:9100', severity: 'warning' }, 'load 40', 'bbbb000000000001')]))).status).toBe(200);
    const [alarm] = await alarmsOf('bbbb000000000001');
    expect(alarm).toMatchObject({ deviceId: id, severity: 'warning', inMaintenance: false });
    const onDevice = (await admin('GET', `/events?device=${id}`)).body.items as any[];
    expect(onDevice.map((e) => e.type)).toContain('NodeLoad');
    // `node` label, matched by name.
    expect((await post(srv.url, message([firing({ alertname: 'KubeletDown', node: 'K8S-NODE-7' }, 'kubelet', 'bbbb000000000002')]))).status).toBe(200);
    expect((await alarmsOf('bbbb000000000002'))[0]).toMatchObject({ deviceId: id, severity: 'warning' });
    // Unmatched: stored without a device.
    expect((await post(srv.url, message([firing({ alertname: 'PodCrash', instance: '10.99.0.1:8080' }, 'crash', 'bbbb000000000003')]))).status).toBe(200);
    expect((await alarmsOf('bbbb000000000003'))[0]).toMatchObject({ deviceId: null });

    const now = Date.now();
    const mw = await admin('POST', '/maintenance', { name: 'node-7 upgrade', deviceId: id, kind: 'once', startsAt: now - 60_000, endsAt: now + 3_600_000 });
    expect(mw.status).toBe(201);
    expect((await post(srv.url, message([firing({ alertname: 'NodeReboot', instance: '127.0.0.77:9100', severity: 'critical' }, 'rebooting', 'bbbb000000000004')]))).status).toBe(200);
    expect((await alarmsOf('bbbb000000000004'))[0]).toMatchObject({ deviceId: id, severity: 'critical', inMaintenance: true });
  });

  it('notifies through a rule placed before the default pack, except for a device in maintenance', async () => {
    const received: { kind: string; alarm: { title: string; deviceId: number | null } }[] = [];
    const hook = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        received.push(JSON.parse(raw));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      const ch = await admin('POST', '/notification-channels', { name: 'payments-hook', type: 'webhook', config: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` } });
      expect(ch.status).toBe(201);
      const rule = await admin('POST', '/rules', {
        name: 'payments alerts page the team',
        body: {
          kind: 'event',
          match: { sources: ['alertmanager'], params: [{ path: 'status', op: 'eq', value: 'firing' }, { path: 'labels.team', op: 'eq', value: 'payments' }] },
          actions: { disposition: 'alarm', reductionKey: 'alertmanager:{params.fingerprint}', title: '[payments] {message}', notify: { channelIds: [ch.body.id], on: ['raise', 'clear'] } },
        },
      });
      expect(rule.status).toBe(201);
      const free = await admin('POST', '/devices', { name: 'k8s-node-8', address: '127.0.0.79' });
      // k8s-node-7 (127.0.0.77) is in the maintenance window of the test before.
      expect((await post(srv.url, message([firing({ alertname: 'PayLatency', instance: '127.0.0.77:8080', team: 'payments' }, 'p99 2 s', 'dddd000000000001')]))).status).toBe(200);
      expect((await alarmsOf('dddd000000000001'))[0]).toMatchObject({ inMaintenance: true, title: '[payments] PayLatency: p99 2 s' });
      expect((await post(srv.url, message([firing({ alertname: 'PayErrors', instance: '127.0.0.79:8080', team: 'payments', severity: 'critical' }, '5xx at 30 %', 'dddd000000000002')]))).status).toBe(200);
      await until(async () => received.some((r) => r.kind === 'raise' && r.alarm.title === '[payments] PayErrors: 5xx at 30 %'));
      expect(received.find((r) => r.kind === 'raise')!.alarm.deviceId).toBe(free.body.id);
      expect((await post(srv.url, message([resolved({ alertname: 'PayErrors', instance: '127.0.0.79:8080', team: 'payments', severity: 'critical' }, 'dddd000000000002')], 'resolved'))).status).toBe(200);
      await until(async () => received.some((r) => r.kind === 'clear'));
      // The alert on the device in maintenance was raised first, and never notified.
      expect(received.map((r) => [r.kind, r.alarm.title])).toEqual([
        ['raise', '[payments] PayErrors: 5xx at 30 %'],
        ['clear', '[payments] PayErrors: 5xx at 30 %'],
      ]);
      await admin('DELETE', `/rules/${rule.body.id}`);
    } finally {
      await new Promise((r) => hook.close(r));
    }
  });

  it('matches a node label to the sysName a real snmpd reported when polled', async () => {
    const agent = await startSnmpd({ sysName: 'k8s-worker-42.cluster.local' });
    try {
      const dev = await admin('POST', '/devices', { name: 'lab-switch', address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 3600, snmp: { version: '2c', community: agent.community, port: agent.port, timeoutMs: 1000, retries: 0 } });
      expect(dev.status).toBe(201);
      const polled = await admin('POST', `/devices/${dev.body.id}/poll`);
      expect(polled.body.status.system.sysName).toBe('k8s-worker-42.cluster.local');
      expect((await post(srv.url, message([firing({ alertname: 'KubeletTooManyPods', node: 'K8S-Worker-42.cluster.local' }, 'pods 110', 'ffff000000000001')]))).status).toBe(200);
      expect((await alarmsOf('ffff000000000001'))[0]).toMatchObject({ deviceId: dev.body.id });
    } finally {
      await agent.stop();
    }
  });

  it('keeps __proto__ and constructor labels as data through the store and the API', async () => {
    const body = `{"version":"4","status":"firing","receiver":"r","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"alerts":[{"status":"firing","labels":{"alertname":"ProtoLabel","__proto__":"x","constructor":"y"},"annotations":{"__proto__":"z"}}]}`;
    const res = await post(srv.url, body);
    expect(res.status).toBe(200);
    const [ev] = await eventsOf('ProtoLabel');
    expect(Object.hasOwn(ev.params.labels, '__proto__')).toBe(true);
    expect(ev.params.labels['__proto__']).toBe('x');
    expect(ev.params.labels.constructor).toBe('y');
    expect(ev.params.annotations['__proto__']).toBe('z');
    // No fingerprint sent: computed from the labels (Alertmanager's hash), and the alarm reduces on it.
    expect(ev.params.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(await alarmsOf(ev.params.fingerprint)).toHaveLength(1);
    // The server is fine afterwards.
    expect((await admin('GET', '/alarms')).status).toBe(200);
  });

  it('finds alerts by their label values in the event search', async () => {
    expect((await post(srv.url, { ...message([firing({ alertname: 'SearchMe', namespace: 'payments-prod' }, 'x', 'cccc000000000001')]), truncatedAlerts: 7 })).status).toBe(200);
    const found = (await admin('GET', '/events?q=payments')).body.items as any[];
    expect(found.map((e) => e.type)).toContain('SearchMe');
  });

  it('counts what it received and refused on /metrics', async () => {
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    const value = (counter: string) => Number(new RegExp(`netwatch_component_counter\\{component="alertmanager",counter="${counter}"\\} (\\d+)`).exec(text)?.[1]);
    expect(value('refused_unauthorized')).toBeGreaterThanOrEqual(4);
    expect(value('invalid')).toBeGreaterThanOrEqual(2);
    expect(value('duplicates')).toBeGreaterThanOrEqual(1);
    expect(value('device_matched')).toBeGreaterThanOrEqual(3);
    expect(value('resolved')).toBeGreaterThanOrEqual(1);
    expect(value('truncated_alerts')).toBe(7);
  });
});

describe('POST /api/v1/intake/alertmanager without alertmanagerToken', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv?.stop());

  it('is refused with 403 and says how to turn it on, whatever token is sent', async () => {
    for (const token of [null, TOKEN, '']) {
      const res = await post(srv.url, message([firing({ alertname: 'Off' })]), token);
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(/alertmanagerToken/);
    }
  });
});
