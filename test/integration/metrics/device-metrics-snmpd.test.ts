import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

// A real Debian snmpd and ping of 127.0.0.1, polled by the real server, then GET /metrics/devices scraped.
const run = promisify(execFile);
const TOKEN = 'device-metrics-test-token-0123456789';
let agent: SnmpdHandle;
let srv: TestServer;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  agent = await startSnmpd({ sysName: 'metrics-agent' });
  srv = await startTestServer({ env: { NMS_METRICS_TOKEN: TOKEN } });
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
}, 60_000);
afterAll(async () => {
  await srv?.stop();
  await agent?.stop();
});

const scrape = async (query = '', headers: Record<string, string> = {}) => {
  const res = await fetch(`${srv.url}/metrics/devices${query}`, { headers: { authorization: `Bearer ${TOKEN}`, ...headers } });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

/** Sample lines of one metric name: labels (unescaped enough for our values) and the value text. */
function samples(text: string, name: string): { labels: Record<string, string>; value: string }[] {
  const out: { labels: Record<string, string>; value: string }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const m = /^[^{]+\{(.*)\} (\S+)$/.exec(line)!;
    const labels: Record<string, string> = Object.create(null);
    for (const l of m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: m[2]! });
  }
  return out;
}

const snmpget = async (oid: string) => {
  const { stdout } = await run('snmpget', ['-v2c', '-c', agent.community, '-On', '-Oqv', `127.0.0.1:${agent.port}`, oid]);
  return BigInt(stdout.trim());
};

describe('GET /metrics/devices after polling a real snmpd and pinging 127.0.0.1', () => {
  it('refuses a scrape without the metrics token (401) and serves it with the token (200)', async () => {
    const none = await fetch(`${srv.url}/metrics/devices`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    const wrong = await fetch(`${srv.url}/metrics/devices`, { headers: { authorization: 'Bearer not-the-token-at-all-xx' } });
    expect(wrong.status).toBe(401);
    const ok = await scrape();
    expect(ok.status).toBe(200);
    expect(ok.type).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('exports the raw ifHCInOctets of lo as snmpget reads it, with types, labels, ICMP and state', async () => {
    const d = (
      await call('POST', '/devices', { name: 'lab "core"', address: '127.0.0.1', group: 'lab', icmpEnabled: true, pollIntervalSec: 3600, snmp: { version: '2c', community: agent.community, port: agent.port, timeoutMs: 2000, retries: 0 } })
    ).body;
    expect(d.id).toBeGreaterThan(0);
    // A custom OID of its group (sysServices, 72 in the agent's config).
    expect((await call('POST', '/custom-oids', { group: 'lab', oid: '1.3.6.1.2.1.1.7.0', name: 'services' })).status).toBe(201);
    // lo's ifIndex as the agent numbers it (IF-MIB ifName).
    const { stdout } = await run('snmpwalk', ['-v2c', '-c', agent.community, '-On', `127.0.0.1:${agent.port}`, '1.3.6.1.2.1.31.1.1.1.1']);
    const loIndex = /\.(\d+) = STRING: "?lo"?$/m.exec(stdout)![1]!;
    const before = await snmpget(`1.3.6.1.2.1.31.1.1.1.6.${loIndex}`);
    const polled = await call('POST', `/devices/${d.id}/poll`);
    expect(polled.status).toBe(200);
    const after = await snmpget(`1.3.6.1.2.1.31.1.1.1.6.${loIndex}`);

    const { text } = await scrape();
    const lo = samples(text, 'ifHCInOctets').find((s) => s.labels.ifName === 'lo');
    expect(lo, text.slice(0, 2000)).toBeDefined();
    expect(lo!.labels).toMatchObject({ device: 'lab \\"core\\"', address: '127.0.0.1', site: 'central', group: 'lab', ifIndex: loIndex });
    expect(lo!.value).toMatch(/^\d+$/);
    const exported = BigInt(lo!.value);
    // Read between our two snmpgets: lo's traffic (these very requests) only adds to it.
    expect(exported >= before && exported <= after).toBe(true);

    expect(text).toContain('# TYPE ifHCInOctets counter\n');
    expect(text).toContain('# TYPE ifHCOutOctets counter\n');
    expect(text).toContain('# TYPE ifInErrors counter\n');
    expect(text).toContain('# TYPE ifOperStatus gauge\n');
    expect(text).toContain('# TYPE sysUpTime gauge\n');
    expect(text.match(/^# TYPE ifHCInOctets /gm)).toHaveLength(1);
    expect(samples(text, 'ifOperStatus').find((s) => s.labels.ifName === 'lo')!.value).toBe('1');
    expect(samples(text, 'ifHighSpeed').find((s) => s.labels.ifName === 'lo')!.value).toBe('10');
    expect(Number(samples(text, 'sysUpTime')[0]!.value)).toBeGreaterThan(0);
    expect(samples(text, 'hrStorageSize').length).toBeGreaterThan(0);
    expect(samples(text, 'laLoad').map((s) => s.labels.laNames).sort()).toEqual(['Load-1', 'Load-15', 'Load-5']);
    expect(Number(samples(text, 'memTotalReal')[0]!.value)).toBeGreaterThan(0);
    expect(samples(text, 'netwatch_custom_oid')).toEqual([{ labels: expect.objectContaining({ oid: '1.3.6.1.2.1.1.7.0', name: 'services' }), value: '72' }]);
    expect(samples(text, 'netwatch_device_up').map((s) => `${s.labels.probe}=${s.value}`).sort()).toEqual(['icmp=1', 'snmp=1']);
    expect(samples(text, 'netwatch_device_state')).toEqual([{ labels: expect.objectContaining({ state: 'up' }), value: '1' }]);
    const rtt = samples(text, 'netwatch_icmp_rtt_seconds');
    expect(rtt.map((s) => s.labels.stat).sort()).toEqual(['avg', 'max', 'min']);
    for (const s of rtt) expect(Number(s.value)).toBeGreaterThan(0);
    expect(samples(text, 'netwatch_icmp_loss_ratio')[0]!.value).toBe('0');
    const last = Number(samples(text, 'netwatch_last_poll_timestamp_seconds')[0]!.value);
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(60);

    // Debian's promtool (Go's own exposition parser) reads it without a complaint about the format.
    const lint = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = execFile('promtool', ['check', 'metrics'], (err, so, se) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: so + se }));
      p.stdin!.end(text);
    });
    expect(lint.out).not.toMatch(/error while linting|text format parsing error/i);

    // OpenMetrics when asked: counters as <name>_total, # EOF last.
    const om = await scrape('?format=openmetrics');
    expect(om.type).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(om.text).toContain('# TYPE ifHCInOctets counter\n');
    expect(om.text).toMatch(/^ifHCInOctets_total\{/m);
    expect(om.text).not.toMatch(/^ifHCInOctets\{/m);
    expect(om.text.endsWith('# EOF\n')).toBe(true);
    const accept = await scrape('', { accept: 'application/openmetrics-text; version=1.0.0' });
    expect(accept.type).toMatch(/^application\/openmetrics-text/);
    // What Prometheus 2.42 sends (OpenMetrics preferred, text accepted): text, like snmp_exporter.
    const prom = await scrape('', { accept: 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' });
    expect(prom.type).toMatch(/^text\/plain; version=0\.0\.4/);

    // Deleted: every series of the device goes.
    expect((await call('DELETE', `/devices/${d.id}`)).status).toBe(204);
    const gone = await scrape();
    expect(gone.text).not.toContain('lab \\"core\\"');
  });
});
