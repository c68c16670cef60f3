import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTcpPort } from '../../helpers/nats-server.js';
import { netwatchReceiverConfig, startAlertmanager, startPrometheus, type PeerHandle } from '../../helpers/prometheus-stack.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { until } from './engine-helpers.js';

const TOKEN = 'peers-alertmanager-token-0123';

/**
 * Real Debian programs end to end: Alertmanager 0.25 (and Prometheus 2.42 in front of it) with a
 * webhook receiver pointing at a Netwatch on loopback, bearer-authenticated, send_resolved on.
 */
describe('alerts from a real Alertmanager', { timeout: 120_000 }, () => {
  let srv: TestServer;
  let am: PeerHandle;
  let admin: ReturnType<typeof apiClient>;
  let deviceId: number;

  const alarmFor = async (fingerprint: string) =>
    ((await admin('GET', '/alarms?state=all&limit=1000')).body.items as any[]).find((a) => a.reductionKey === `alertmanager:${fingerprint}`);
  const amAlerts = async (alertname: string) =>
    ((await (await fetch(`${am.url}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`)).json()) as { fingerprint: string; status: { state: string } }[]);
  const postToAm = async (alerts: unknown[]) => {
    const res = await fetch(`${am.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    srv = await startTestServer({ env: { NMS_ALERTMANAGER_TOKEN: TOKEN } });
    admin = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
    am = await startAlertmanager(netwatchReceiverConfig(srv.url, TOKEN));
    const dev = await admin('POST', '/devices', { name: 'prom-node-1', address: '127.0.0.88' });
    expect(dev.status).toBe(201);
    deviceId = dev.body.id;
  });
  afterAll(async () => {
    await am?.stop();
    await srv?.stop();
  });

  it('raises an alarm on the device its instance names when an alert fires, and clears it when the alert ends', async () => {
    const labels = { alertname: 'HostHighLoad', instance: '127.0.0.88:9100', job: 'node', severity: 'critical' };
    await postToAm([{ labels, annotations: { summary: 'load is 40' }, startsAt: new Date().toISOString(), generatorURL: 'http://127.0.0.1:9090/graph' }]);
    const [{ fingerprint }] = await amAlerts('HostHighLoad');
    const alarm = await until(async () => (await alarmFor(fingerprint)) ?? false, 30_000);
    expect(alarm).toMatchObject({ state: 'active', severity: 'critical', deviceId, source: 'alertmanager', eventType: 'HostHighLoad', title: 'HostHighLoad: load is 40' });
    const events = (await admin('GET', `/events?source=alertmanager&device=${deviceId}&type=HostHighLoad`)).body.items as any[];
    expect(events[0].params).toMatchObject({ status: 'firing', fingerprint, receiver: 'netwatch', labels: { job: 'node', instance: '127.0.0.88:9100' } });

    // The same alert again (Prometheus re-sends firing alerts): still one alarm.
    await postToAm([{ labels, annotations: { summary: 'load is 40' }, startsAt: new Date(Date.now() - 1000).toISOString() }]);
    // Ended a second ago: Alertmanager resolves it and sends the resolved notification.
    await postToAm([{ labels, annotations: { summary: 'load is 40' }, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: new Date(Date.now() - 1000).toISOString() }]);
    const cleared = await until(async () => {
      const a = await alarmFor(fingerprint);
      return a?.state === 'cleared' ? a : false;
    }, 30_000);
    expect(cleared.id).toBe(alarm.id);
    const all = ((await admin('GET', '/alarms?state=all&limit=1000')).body.items as any[]).filter((a) => a.eventType === 'HostHighLoad');
    expect(all).toHaveLength(1);
    const counters = await (await fetch(`${srv.url}/metrics`)).text();
    expect(counters).not.toMatch(/component="alertmanager",counter="refused_unauthorized"\} [1-9]/);
  });

  it('turns a Prometheus alert rule on a down scrape target into an alarm that clears once the target is up', async () => {
    const targetPort = await freeTcpPort();
    const prom = await startPrometheus(
      `global:
  scrape_interval: 1s
  evaluation_interval: 1s
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:${am.port}']
rule_files: ['rules.yml']
scrape_configs:
  - job_name: exporter
    scrape_timeout: 500ms
    static_configs:
      - targets: ['127.0.0.88:${targetPort}']
`,
      `groups:
  - name: netwatch-test
    rules:
      - alert: TargetDown
        expr: up{job="exporter"} == 0
        labels:
          severity: major
        annotations:
          summary: '{{ $labels.instance }} cannot be scraped'
`,
    );
    let target: Server | undefined;
    try {
      const alarm = await until(async () => {
        const items = (await admin('GET', '/alarms?state=open&limit=1000')).body.items as any[];
        return items.find((a) => a.eventType === 'TargetDown') ?? false;
      }, 45_000);
      expect(alarm).toMatchObject({ severity: 'major', deviceId, title: `TargetDown: 127.0.0.88:${targetPort} cannot be scraped` });

      // The target comes up: Prometheus resolves the alert, Alertmanager sends the resolved notification.
      target = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('netwatch_test_up 1\n'));
      await new Promise<void>((r) => target!.listen(targetPort, '127.0.0.88', r));
      const cleared = await until(async () => {
        const a = ((await admin('GET', '/alarms?state=all&limit=1000')).body.items as any[]).find((x) => x.id === alarm.id);
        return a?.state === 'cleared' ? a : false;
      }, 45_000);
      expect(cleared.eventType).toBe('TargetDown');
    } finally {
      await new Promise((r) => (target ? target.close(r) : r(undefined)));
      await prom.stop();
    }
  }, 120_000);
});
