import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { deviceScrapeJob, everySecond, startPrometheus, type PrometheusHandle } from './prometheus-peer.js';

/**
 * A real Prometheus (Debian) scrapes GET /metrics/devices every second, with the bearer token, while the
 * real server polls a real snmpd; PromQL over Prometheus's HTTP API then sees our series and labels.
 */
const TOKEN = 'prometheus-scrape-token-0123456789abc';
let agent: SnmpdHandle;
let srv: TestServer;
let prom: PrometheusHandle;
let call: ReturnType<typeof apiClient>;
let deviceId: number;

const until = <T>(check: () => T | Promise<T>, timeout = 30_000) => vi.waitFor(check, { timeout, interval: 500 });

beforeAll(async () => {
  agent = await startSnmpd({ sysName: 'prom-agent' });
  srv = await startTestServer({ env: { NMS_METRICS_TOKEN: TOKEN } });
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  const d = await call('POST', '/devices', {
    name: 'prom-lab', address: '127.0.0.1', group: 'lab', icmpEnabled: true, pollIntervalSec: 3600,
    snmp: { version: '2c', community: agent.community, port: agent.port, timeoutMs: 2000, retries: 0 },
  });
  expect(d.status, d.text).toBe(201);
  deviceId = d.body.id;
  prom = await startPrometheus(
    everySecond([
      deviceScrapeJob({ name: 'netwatch-devices', serverUrl: srv.url, token: TOKEN }),
      deviceScrapeJob({ name: 'netwatch-openmetrics', serverUrl: srv.url, token: TOKEN, params: { format: 'openmetrics' } }),
      deviceScrapeJob({ name: 'netwatch-no-token', serverUrl: srv.url }),
    ]),
  );
}, 90_000);
afterAll(async () => {
  await prom?.stop();
  await srv?.stop();
  await agent?.stop();
});

describe('a real Prometheus scraping GET /metrics/devices', () => {
  it('stores our counters and gauges with our labels: rate(ifHCInOctets) and ifOperStatus answer, the value is the one we export', async () => {
    // Polls 2 s apart while Prometheus scrapes every second (the poll itself is traffic on lo).
    for (let i = 0; i < 6; i++) {
      expect((await call('POST', `/devices/${deviceId}/poll`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2000));
    }
    const rate = await until(async () => {
      const r = await prom.query('rate(ifHCInOctets{ifName="lo"}[8s])');
      expect(r.length, prom.output().slice(-2000)).toBe(1);
      return r[0]!;
    });
    expect(rate.metric).toMatchObject({ job: 'netwatch-devices', device: 'prom-lab', address: '127.0.0.1', site: 'central', group: 'lab', ifName: 'lo', ifDescr: 'lo' });
    // lo has no ifAlias: we send ifAlias="", which Prometheus stores as no label (as with snmp_exporter).
    expect(rate.metric.ifAlias).toBeUndefined();
    expect(rate.metric.ifIndex).toMatch(/^\d+$/);
    expect(rate.metric.__name__).toBeUndefined();
    expect(Number(rate.value[1])).toBeGreaterThan(0);

    const oper = await prom.query('ifOperStatus{job="netwatch-devices",ifName="lo"}');
    expect(oper.map((s) => s.value[1])).toEqual(['1']);
    const up = await prom.query('netwatch_device_up{job="netwatch-devices",device="prom-lab"}');
    expect(up.map((s) => `${s.metric.probe}=${s.value[1]}`).sort()).toEqual(['icmp=1', 'snmp=1']);
    const state = await prom.query('count by (state) (netwatch_device_state == 1)');
    expect(state.map((s) => s.metric.state)).toEqual(['up']);
    // The type is kept: Prometheus's metadata says counter (not untyped), from our TYPE line.
    const meta = (await (await fetch(`${prom.url}/api/v1/metadata?metric=ifHCInOctets`)).json()) as { data: Record<string, { type: string }[]> };
    expect(meta.data.ifHCInOctets?.[0]?.type).toBe('counter');

    // Polling stopped: after two more scrapes Prometheus holds exactly the value we export (lo's counter < 2^53).
    await new Promise((r) => setTimeout(r, 2500));
    const ours = /^ifHCInOctets\{[^}]*ifName="lo"[^}]*\} (\d+)$/m.exec(await (await fetch(`${srv.url}/metrics/devices`, { headers: { authorization: `Bearer ${TOKEN}` } })).text())![1]!;
    const theirs = await prom.query('ifHCInOctets{ifName="lo"}');
    expect(theirs[0]!.value[1]).toBe(ours);

    // Prometheus asks for gzip: it got (and parsed) the pre-compressed stream, not the plain text.
    const self = await (await fetch(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const counter = (name: string) => Number(new RegExp(`netwatch_component_counter\\{component="device-metrics",counter="${name}"\\} (\\d+)`).exec(self)?.[1]);
    expect(counter('scrapes_gzip')).toBeGreaterThan(5);
    expect(counter('scrapes_failed')).toBe(0);
  }, 90_000);

  it('reports the scrape without the token as failed (401) and the one with it as up', async () => {
    const targets = await until(async () => {
      const t = await prom.targets();
      expect(t.every((x) => x.health !== 'unknown')).toBe(true);
      return t;
    });
    expect(targets.find((t) => t.health === 'up')).toBeDefined();
    const refused = targets.find((t) => t.health === 'down')!;
    expect(refused.lastError).toMatch(/401/);
    const upSeries = await prom.query('up');
    expect(upSeries.map((s) => `${s.metric.job}=${s.value[1]}`).sort()).toEqual(['netwatch-devices=1', 'netwatch-no-token=0', 'netwatch-openmetrics=1']);
  });

  it("parses the OpenMetrics form with Prometheus's own OpenMetrics parser: counters arrive as <name>_total", async () => {
    const om = await until(async () => {
      const r = await prom.query('ifHCInOctets_total{job="netwatch-openmetrics",ifName="lo"}');
      expect(r.length).toBe(1);
      return r[0]!;
    });
    expect(om.metric).toMatchObject({ device: 'prom-lab', site: 'central', ifName: 'lo' });
    expect((await prom.query('ifOperStatus{job="netwatch-openmetrics",ifName="lo"}')).map((s) => s.value[1])).toEqual(['1']);
    const t = (await prom.targets()).find((x) => x.scrapeUrl.includes('format=openmetrics'))!;
    expect(t).toMatchObject({ health: 'up', lastError: '' });
  });
});
