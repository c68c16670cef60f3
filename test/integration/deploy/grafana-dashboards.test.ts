import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { run } from '../collectors/collector-helpers.js';
import { prometheusRequired, startPrometheus, type PrometheusHandle } from '../../helpers/prometheus.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';

/**
 * deploy/grafana: the provisioning files are consistent, and EVERY query of
 * EVERY panel and template variable of EVERY dashboard returns data from a real
 * Prometheus that scraped a real Netwatch polling a real snmpd (and pinging
 * 127.0.0.1, and receiving syslog and a trap). A panel added to a dashboard
 * file is covered without touching this test.
 */
const GRAFANA = fileURLToPath(new URL('../../../deploy/grafana/', import.meta.url));
const DASHBOARDS = join(GRAFANA, 'dashboards');
/** Where the dashboard provider reads the JSON files: deploy/grafana/dashboards is mounted there (README, "Grafana"). */
const DASHBOARDS_MOUNT = '/var/lib/grafana/dashboards/netwatch';

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  fieldConfig?: { defaults: object; overrides: unknown[] };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  datasource?: { type?: string; uid?: string };
  query?: string | { query: string };
  includeAll?: boolean;
  allValue?: string;
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboards: { file: string; d: Dashboard }[] = readdirSync(DASHBOARDS)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, d: JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as Dashboard }));

/** Every panel, rows' nested panels included (a collapsed row holds its panels). */
function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}
const dataPanels = (d: Dashboard) => allPanels(d.panels).filter((p) => p.type !== 'row');
const variableQuery = (v: Variable) => (typeof v.query === 'string' ? v.query : (v.query?.query ?? ''));

/** Grafana's built-in variables, as a dashboard over the last few minutes would have them. */
const BUILTINS: [RegExp, string][] = [
  [/\$__rate_interval\b|\$\{__rate_interval\}/g, '30s'],
  [/\$__interval_ms\b|\$\{__interval_ms\}/g, '15000'],
  [/\$__interval\b|\$\{__interval\}/g, '15s'],
  [/\$__range_s\b|\$\{__range_s\}/g, '300'],
  [/\$__range_ms\b|\$\{__range_ms\}/g, '300000'],
  [/\$__range\b|\$\{__range\}/g, '5m'],
];
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `$name`, `${name}`, `${name:format}`, `[[name]]` and the built-ins replaced; throws on any `$` left over. */
function substitute(expr: string, values: Map<string, string>): string {
  let out = expr;
  for (const [re, v] of BUILTINS) out = out.replace(re, v);
  for (const [name, value] of values) {
    const n = escapeRe(name);
    out = out.replace(new RegExp(`\\$\\{${n}(?::[a-z]+)?\\}|\\[\\[${n}\\]\\]|\\$${n}\\b`, 'g'), () => value);
  }
  const left = /\$\{?[A-Za-z_]\w*/.exec(out);
  if (left) throw new Error(`undefined variable ${left[0]} in ${expr}`);
  return out;
}

/** Grafana's `label_values(selector, label)` as a PromQL query whose series carry that label. */
function variableAsPromQL(query: string): { expr: string; label: string } {
  const m = /^\s*label_values\(\s*(.+?)\s*,\s*([A-Za-z_]\w*)\s*\)\s*$/.exec(query);
  if (!m) throw new Error(`unsupported variable query (use label_values(selector, label)): ${query}`);
  return { expr: `count by (${m[2]}) (${m[1]})`, label: m[2]! };
}

const datasourceYaml = parseYaml(readFileSync(join(GRAFANA, 'provisioning/datasources/netwatch.yaml'), 'utf8')) as {
  apiVersion: number;
  datasources: { name: string; uid: string; type: string; url: string; access: string }[];
};
const providerYaml = parseYaml(readFileSync(join(GRAFANA, 'provisioning/dashboards/netwatch.yaml'), 'utf8')) as {
  apiVersion: number;
  providers: { name: string; type: string; folder?: string; options: { path: string } }[];
};
const DS_UID = datasourceYaml.datasources?.[0]?.uid;
/** Panel types built into Grafana 10/11 that these dashboards use (no plugin to install). */
const PANEL_TYPES = ['stat', 'timeseries', 'table', 'bargauge', 'gauge', 'state-timeline', 'text'];

describe('Grafana provisioning files (deploy/grafana)', () => {
  it('provisions one Prometheus data source with a fixed uid, its URL from NETWATCH_PROMETHEUS_URL', () => {
    expect(datasourceYaml.apiVersion).toBe(1);
    expect(datasourceYaml.datasources).toHaveLength(1);
    const ds = datasourceYaml.datasources[0]!;
    expect(ds).toMatchObject({ type: 'prometheus', uid: 'netwatch-prometheus', access: 'proxy' });
    expect(ds.url).toBe('${NETWATCH_PROMETHEUS_URL}');
    // As Grafana expands it (os.ExpandEnv) with the documented default: a valid URL.
    expect(new URL(ds.url.replace('${NETWATCH_PROMETHEUS_URL}', 'http://localhost:9090')).port).toBe('9090');
  });

  it('provisions the dashboards folder from files, and that folder holds the three dashboards', () => {
    expect(providerYaml.apiVersion).toBe(1);
    expect(providerYaml.providers).toHaveLength(1);
    expect(providerYaml.providers[0]).toMatchObject({ type: 'file', folder: 'Netwatch', options: { path: DASHBOARDS_MOUNT } });
    expect(dashboards.map((x) => x.file)).toEqual(expect.arrayContaining(['device-detail.json', 'netwatch-server.json', 'network-overview.json']));
  });

  it('gives every dashboard a unique uid, unique panel ids, panels on the 24-column grid, and the provisioned data source by uid', () => {
    expect(new Set(dashboards.map((x) => x.d.uid)).size).toBe(dashboards.length);
    for (const { file, d } of dashboards) {
      expect(d.schemaVersion, file).toBeGreaterThanOrEqual(36);
      const ids = allPanels(d.panels).map((p) => p.id);
      expect(new Set(ids).size, `${file}: duplicate panel ids ${ids}`).toBe(ids.length);
      for (const p of allPanels(d.panels)) {
        expect(p.gridPos.x + p.gridPos.w, `${file} "${p.title}"`).toBeLessThanOrEqual(24);
        if (p.type === 'row') continue;
        expect(p.datasource?.uid, `${file} "${p.title}"`).toBe(DS_UID);
        expect(PANEL_TYPES, `${file} "${p.title}"`).toContain(p.type);
        expect(p.fieldConfig, `${file} "${p.title}"`).toMatchObject({ defaults: expect.any(Object), overrides: expect.any(Array) });
        expect(p.targets?.length, `${file} "${p.title}" has no query`).toBeGreaterThan(0);
        const refIds = p.targets!.map((t) => t.refId);
        expect(new Set(refIds).size, `${file} "${p.title}": refIds ${refIds}`).toBe(refIds.length);
        for (const t of p.targets!) {
          expect(t.datasource?.uid ?? p.datasource?.uid, `${file} "${p.title}" ${t.refId}`).toBe(DS_UID);
          expect(t.expr, `${file} "${p.title}" ${t.refId}`).toBeTruthy();
        }
      }
      // No two panels on the same grid cells (Grafana would push them about).
      const top = d.panels;
      for (let a = 0; a < top.length; a++) {
        for (let b = a + 1; b < top.length; b++) {
          const [p, q] = [top[a]!.gridPos, top[b]!.gridPos];
          const overlap = p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
          expect(overlap, `${file}: "${top[a]!.title}" and "${top[b]!.title}" overlap`).toBe(false);
        }
      }
      for (const v of d.templating.list.filter((x) => x.type === 'query')) expect(v.datasource?.uid, `${file} $${v.name}`).toBe(DS_UID);
      const names = d.templating.list.map((v) => v.name);
      expect(new Set(names).size, `${file}: variables ${names}`).toBe(names.length);
    }
  });

  it('uses only variables the dashboard defines (or Grafana built-ins) in its queries', () => {
    for (const { file, d } of dashboards) {
      const defined = new Map(d.templating.list.map((v) => [v.name, 'x']));
      const exprs = [...dataPanels(d).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')), ...d.templating.list.map(variableQuery)];
      for (const e of exprs) expect(() => substitute(e, defined), file).not.toThrow();
    }
  });
});

describe.skipIf(!prometheusRequired())('every dashboard query returns data from a real Prometheus scraping Netwatch polling a real snmpd', { timeout: 60_000 }, () => {
  let agent: SnmpdHandle;
  let srv: TestServer;
  let prom: PrometheusHandle;
  let persist: string;
  const DEVICE = 'lab-router';
  /** The same snmpd through a community whose view hides ifXTable's 64-bit counters, like an old agent. */
  const LEGACY = 'legacy-switch';
  const HC_COLUMNS = [6, 7, 8, 9, 10, 11, 12, 13].map((c) => `view no64 excluded .1.3.6.1.2.1.31.1.1.1.${c}`);

  beforeAll(async () => {
    agent = await startSnmpd({ sysName: DEVICE, extraConfig: ['view no64 included .1', ...HC_COLUMNS, 'rocommunity legacy 127.0.0.1 -V no64'] });
    srv = await startTestServer({ env: { NMS_POLLER: 'true' } });
    const call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
    const created = await call('POST', '/devices', {
      name: DEVICE, address: '127.0.0.1', group: 'lab', icmpEnabled: true, pollIntervalSec: 5,
      snmp: { version: '2c', community: agent.community, port: agent.port, timeoutMs: 2000, retries: 1 },
    });
    expect(created.status).toBe(201);
    const legacy = await call('POST', '/devices', {
      name: LEGACY, address: '127.0.0.1', group: 'access', icmpEnabled: true, pollIntervalSec: 5,
      snmp: { version: '2c', community: 'legacy', port: agent.port, timeoutMs: 2000, retries: 1 },
    });
    expect(legacy.status).toBe(201);
    // A custom OID per group (sysServices.0, numeric: no MIB lookup) for the custom-OID panel.
    for (const group of ['lab', 'access']) expect((await call('POST', '/custom-oids', { group, oid: '1.3.6.1.2.1.1.7.0', name: 'sysServices' })).status).toBe(201);
    prom = await startPrometheus({
      scrapeInterval: '1s',
      jobs: [
        { name: 'netwatch', url: `${srv.url}/metrics` },
        { name: 'netwatch-devices', url: `${srv.url}/metrics/devices` },
      ],
    });
    // Intake counters move: a syslog message (util-linux logger) and a trap (net-snmp snmptrap).
    const port = (name: string) => srv.nms.listeners().find((l) => l.name === name && l.boundPort)!.boundPort!;
    persist = mkdtempSync(join(tmpdir(), 'nw-grafana-trap-'));
    const syslog = await run('logger', ['-n', '127.0.0.1', '-P', String(port('syslog-udp')), '--udp', '--rfc3164', '-p', 'local7.warning', '-t', 'lab', 'grafana dashboard check']);
    expect(syslog.code).toBe(0);
    const trap = await run('snmptrap', ['-v', '2c', '-c', 'public', `127.0.0.1:${port('trap-udp')}`, '', '1.3.6.1.6.3.1.1.5.3', '1.3.6.1.2.1.2.2.1.1.1', 'i', '1'], 20_000, {
      SNMP_PERSISTENT_DIR: persist,
      SNMPCONFPATH: persist,
    });
    expect(trap.code).toBe(0);
    // Two SNMP polls (counters need two values for rate()), then Prometheus scrapes both endpoints
    // for well over the 30 s $__rate_interval's two samples. net-snmp answers hrProcessorLoad only
    // once it has a minute of CPU history: wait for a poll after that, as scraped by Prometheus.
    const counters = () => srv.nms.metrics.snapshot();
    const deadline = Date.now() + 150_000;
    const ready = async () => {
      if (!((counters()['poller.snmp_polls'] ?? 0) >= 2 && (counters()['poller.icmp_hosts'] ?? 0) >= 1 && (counters()['events.stored'] ?? 0) >= 2)) return false;
      const scrapes = await prom.series('min(count_over_time(up[1m]))');
      const cpu = await prom.series('count(count by (device) (hrProcessorLoad))');
      return Number(scrapes[0]?.value[1] ?? 0) >= 10 && Number(cpu[0]?.value[1] ?? 0) >= 2;
    };
    while (Date.now() < deadline && !(await ready())) await new Promise((r) => setTimeout(r, 1000));
    expect(counters()['poller.snmp_polls']).toBeGreaterThanOrEqual(2);
  }, 170_000);

  afterAll(async () => {
    await prom?.stop();
    await srv?.stop();
    await agent?.stop();
    if (persist) rmSync(persist, { recursive: true, force: true });
  });

  it('Prometheus scrapes both endpoints: /metrics and /metrics/devices answer (up == 1)', async () => {
    const up = await prom.series('up');
    expect(new Map(up.map((s) => [s.metric.job, s.value[1]]))).toEqual(new Map([['netwatch', '1'], ['netwatch-devices', '1']]));
  });

  it('has the legacy device with 32-bit interface counters only, the other with 64-bit ones (both dashboard branches get data)', async () => {
    const count = async (expr: string) => Number((await prom.series(expr))[0]?.value[1] ?? 0);
    expect(await count(`count(ifInOctets{device="${LEGACY}"})`)).toBeGreaterThan(0);
    expect(await count(`count(ifHCInOctets{device="${LEGACY}"})`)).toBe(0);
    expect(await count(`count(ifHCInOctets{device="${DEVICE}"})`)).toBeGreaterThan(0);
    expect(await count(`count(ifInOctets{device="${DEVICE}"})`)).toBe(0);
  });

  it('counts the syslog message and the trap sent in the intake metrics the server dashboard reads', async () => {
    const received = await prom.series('netwatch_intake_received_total');
    const byListener = new Map(received.map((x) => [x.metric.listener, Number(x.value[1])]));
    expect(byListener.get('syslog')).toBeGreaterThanOrEqual(1);
    expect(byListener.get('trap')).toBeGreaterThanOrEqual(1);
    const polls = await prom.series('netwatch_poller_polls_total{protocol="snmp"}');
    expect(Number(polls[0]?.value[1])).toBeGreaterThanOrEqual(2);
  });

  it.each(dashboards.map((x) => [x.file, x.d] as const))('%s: every template variable and every panel query returns at least one series (each device in turn where it has $device)', async (file, d) => {
    const failures: string[] = [];
    let checked = 0;
    const vars = d.templating.list.filter((x) => x.type === 'query');
    /** Variables in order (later ones may use earlier ones): each must list values. "All" where offered (the default), else each value in turn. */
    const assignments = async (i: number, values: Map<string, string>): Promise<Map<string, string>[]> => {
      if (i === vars.length) return [values];
      const v = vars[i]!;
      const { expr, label } = variableAsPromQL(substitute(variableQuery(v), values));
      const r = await prom.query(expr);
      const series = r.status === 'success' ? (r.data!.result as { metric: Record<string, string> }[]) : [];
      const found = [...new Set(series.map((x) => x.metric[label]).filter((x): x is string => !!x))].sort();
      checked++;
      const at = [...values].map(([k, x]) => `${k}=${x}`).join(' ');
      if (!found.length) failures.push(`$${v.name} (${at}): ${expr} -> ${r.status} ${r.error ?? 'no values'}`);
      const choices = v.includeAll ? [v.allValue ?? '.*'] : found.length ? found : [''];
      const out: Map<string, string>[] = [];
      for (const c of choices) out.push(...(await assignments(i + 1, new Map([...values, [v.name, c]]))));
      return out;
    };
    const all = await assignments(0, new Map());
    if (vars.some((v) => v.name === 'device')) expect(all.map((a) => a.get('device')).sort(), file).toEqual([DEVICE, LEGACY].sort());
    for (const values of all) {
      const at = [...values].map(([k, x]) => `${k}=${x}`).join(' ');
      for (const p of dataPanels(d)) {
        for (const t of p.targets ?? []) {
          const expr = substitute(t.expr ?? '', values);
          const r = await prom.query(expr);
          checked++;
          const result = r.data?.result;
          const n = Array.isArray(result) ? result.length : r.data?.resultType === 'scalar' ? 1 : 0;
          if (r.status !== 'success' || n === 0) failures.push(`"${p.title}" ${t.refId} (${at}): ${expr} -> ${r.status === 'success' ? 'no series' : `${r.errorType}: ${r.error}`}`);
        }
      }
    }
    expect(checked, file).toBeGreaterThan(5);
    expect(failures, `${file}: queries without data`).toEqual([]);
  });
});
