import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmNotificationPayload } from '../../../server/contracts/alarms.js';
import { OutboundPolicy } from '../../../server/net/outbound-policy.js';
import { createSenders } from '../../../server/notify/senders.js';
import { startAlertmanager, type PeerHandle } from '../../helpers/prometheus-stack.js';
import { until } from './engine-helpers.js';

/**
 * The `alertmanager` channel against a real Alertmanager 0.25: it accepts
 * Netwatch's alert, routes it to its own receiver (a webhook on loopback
 * here, Slack or PagerDuty in a real setup) firing, and resolved on clear.
 */
let am: PeerHandle;
let hook: Server;
const routed: { status: string; alerts: { status: string; labels: Record<string, string>; generatorURL: string }[] }[] = [];

beforeAll(async () => {
  hook = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      routed.push(JSON.parse(raw));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/am-hook`;
  am = await startAlertmanager(`route:
  receiver: noc
  group_by: ['alertname', 'device']
  group_wait: 100ms
  group_interval: 500ms
  repeat_interval: 1h
receivers:
  - name: noc
    webhook_configs:
      - url: ${hookUrl}
        send_resolved: true
`);
}, 60_000);
afterAll(async () => {
  await am?.stop();
  await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()));
});

describe('alertmanager channel with a real Alertmanager', { timeout: 60_000 }, () => {
  it('raises the alarm as a firing alert that Alertmanager routes on, and resolves it on clear', async () => {
    const send = createSenders(new OutboundPolicy()).alertmanager;
    const config = { url: am.url, activeForMinutes: 60, consoleUrl: 'https://nms.example.test' };
    const now = Date.now();
    const alarm: AlarmNotificationPayload['alarm'] = {
      id: 12, reductionKey: 'ups:10.9.8.7', state: 'active', severity: 'critical', title: 'UPS on battery', message: 'input power lost',
      deviceId: 3, sourceAddress: '10.9.8.7', count: 1, firstSeen: now - 1000, lastSeen: now - 1000, deviceName: 'ups-a',
    };
    await send(config, { kind: 'raise', alarm, sentAt: now });

    const listed = await until(async () => {
      const r = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as { labels: Record<string, string>; status: { state: string } }[];
      return r.find((a) => a.labels.alarm_key === 'ups:10.9.8.7');
    });
    expect(listed.labels).toEqual({ alertname: 'UPS on battery', severity: 'critical', device: 'ups-a', instance: '10.9.8.7', alarm_key: 'ups:10.9.8.7', source: 'netwatch' });
    expect(listed.status.state).toBe('active');
    const firing = await until(async () => routed.find((n) => n.status === 'firing'));
    expect(firing.alerts[0]).toMatchObject({ status: 'firing', labels: { alertname: 'UPS on battery', device: 'ups-a' }, generatorURL: 'https://nms.example.test/alarms?alarm=12' });

    await send(config, { kind: 'clear', alarm: { ...alarm, state: 'cleared' }, sentAt: Date.now() });
    const resolved = await until(async () => routed.find((n) => n.status === 'resolved'));
    expect(resolved.alerts[0]).toMatchObject({ status: 'resolved', labels: { alarm_key: 'ups:10.9.8.7' } });
  });
});
