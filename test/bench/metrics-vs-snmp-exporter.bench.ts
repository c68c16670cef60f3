/**
 * Issue 18 reference bench: the same simulated fleet (snmp-fleet-host.ts, BENCH_DEVICES agents of
 * BENCH_PORTS interfaces, default 500 × 48, hosted in another process) exported to Prometheus two ways,
 * side by side:
 *  (a) Netwatch: the real server (in this process) polls every agent once (POST /devices/:id/poll, 8 at
 *      a time); then Prometheus-style scrapes of GET /metrics/devices by curl (another process), one after
 *      the other for SCRAPE_SECONDS: devices/s served, and the server's CPU per device (process.cpuUsage of
 *      this process, which is the server; curl is not in it). Devices are on a 1 h interval, so the
 *      scheduler polls almost none of them in the window (its first polls are spread over the hour).
 *  (b) Debian's prometheus-snmp-exporter (0.21) with an if_mib-like module (walks of ifTable and
 *      ifXTable, as the generator's default if_mib does, HC counters as counters, ifIndex lookups to
 *      ifName/ifAlias/ifDescr) scraping each agent directly, `/snmp?target=ADDR:PORT&module=if_mib`, with
 *      SNMP_SCRAPERS concurrent scrapers (fetch, in this process) for SCRAPE_SECONDS: devices/s, and CPU
 *      per device of snmp_exporter (/proc/<pid>/stat) and, shown apart, of the agents' host process.
 * What each side does is not the same work: Netwatch's scrape serves values it polled before (the poll's
 * cost is in poll-server.bench), snmp_exporter polls the device during the scrape. That is the point of
 * the comparison: the cost to Prometheus's side of getting the fleet's interface metrics.
 * One JSON line per figure; ratio lines compare (a) with (b).
 * @timeout-minutes 20
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freeTcpPort } from '../helpers/nats-server.js';
import { apiClient, login, startTestServer } from '../helpers/server.js';
import { DeviceRepository } from '../../server/store/device.repository.js';

const bench = 'metrics-vs-snmp-exporter';
const DEVICES = Number(process.env.BENCH_DEVICES ?? 500);
const PORTS = Number(process.env.BENCH_PORTS ?? 48);
const SCRAPE_SECONDS = Number(process.env.BENCH_SCRAPE_SECONDS ?? 15);
const SNMP_SCRAPERS = Number(process.env.BENCH_SNMP_SCRAPERS ?? 4);
const EXPORTER = '/usr/bin/prometheus-snmp-exporter';
const TOKEN = 'bench-metrics-token-0123456789abcdef';
const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench, devices: DEVICES, interfaces_per_device: PORTS, ...o })}\n`);
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK = 100; // USER_HZ on Linux
/** utime + stime of a process, in ms, from /proc/<pid>/stat. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
}
const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

emit({ figure: 'load_average_1m_at_start', value: (await import('node:os')).loadavg()[0] });

// The fleet, in its own process.
const host = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./snmp-fleet-host.ts', import.meta.url)), String(DEVICES), String(PORTS)], { stdio: ['pipe', 'pipe', 'inherit'] });
const first = await new Promise<string>((resolve, reject) => {
  const rl = createInterface({ input: host.stdout! });
  rl.once('line', resolve);
  host.once('exit', (c) => reject(new Error(`fleet host exited ${c}`)));
});
const { port: agentPort, addresses } = JSON.parse(first) as { port: number; addresses: string[] };

// (a) Netwatch polls every agent once, then serves /metrics/devices.
const srv = await startTestServer({ env: { NMS_METRICS_TOKEN: TOKEN, NMS_POLL_WORKERS: '2', NMS_LOG_LEVEL: 'silent' } });
const devices = new DeviceRepository(srv.nms.db, srv.nms.secrets);
srv.nms.db.transaction(() => {
  addresses.forEach((address, i) =>
    devices.create({
      name: `sim-${i}`, address, group: null, location: null, tags: [], pollIntervalSec: 3600, icmpEnabled: false,
      snmp: { enabled: true, version: '2c', port: agentPort, community: 'public', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 5000, retries: 1 },
    }),
  );
})();
for (const d of devices.list()) srv.nms.bus.publish('device.created', { ...d, snmp: { ...d.snmp, communitySet: true, authKeySet: false, privKeySet: false } } as never);
const call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
const ids = devices.list().map((d) => d.id);
const tPoll = performance.now();
let next = 0;
let pollFailures = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < ids.length) {
      const r = await call('POST', `/devices/${ids[next++]}/poll`);
      if (r.status !== 200) pollFailures++;
    }
  }),
);
emit({ figure: 'netwatch_initial_poll_s', value: round((performance.now() - tPoll) / 1000), failures: pollFailures, note: 'one poll of every agent through the API, 8 at a time (fill only, not compared)' });

const run = promisify(execFile);
const metricsUrl = `${srv.url.replace(/\/$/, '')}/metrics/devices`;
const scrapeOnce = async () => {
  const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-H', `authorization: Bearer ${TOKEN}`, '-w', '%{http_code} %{size_download} %{time_total}', metricsUrl]);
  const [code, bytes, total] = stdout.trim().split(' ');
  if (code !== '200') throw new Error(`scrape answered ${code}`);
  return { bytes: Number(bytes), ms: Number(total) * 1000 };
};
// The exposition holds every device's interfaces (checked once, not timed).
const body = await (await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
const exported = body.split('\n').filter((l) => l.startsWith('ifHCInOctets{')).length;
emit({ figure: 'netwatch_exported_ifHCInOctets_series', value: exported, expected: DEVICES * PORTS });

await scrapeOnce(); // warm
const nwCpu0 = ownCpuMs();
const nwT0 = performance.now();
let nwScrapes = 0;
let nwBytes = 0;
const nwMs: number[] = [];
while (performance.now() - nwT0 < SCRAPE_SECONDS * 1000) {
  const s = await scrapeOnce();
  nwScrapes++;
  nwBytes = s.bytes;
  nwMs.push(s.ms);
}
const nwElapsed = (performance.now() - nwT0) / 1000;
const nwCpu = ownCpuMs() - nwCpu0;
const nwDevicesPerSec = (nwScrapes * DEVICES) / nwElapsed;
const nwCpuPerDeviceUs = (nwCpu * 1000) / (nwScrapes * DEVICES);
nwMs.sort((a, b) => a - b);
emit({ figure: 'netwatch_devices_per_s', value: Math.round(nwDevicesPerSec), scrapes: nwScrapes, seconds: round(nwElapsed), scrape_ms_p50: round(nwMs[Math.floor(nwMs.length / 2)]!, 0), scrape_bytes: nwBytes, note: 'sequential scrapes of GET /metrics/devices by curl' });
emit({ figure: 'netwatch_server_cpu_us_per_device', value: round(nwCpuPerDeviceUs, 1), note: 'process.cpuUsage of the server process during the scrapes (all its threads)' });
await srv.stop();

// (b) snmp_exporter scraping each agent directly.
const dir = mkdtempSync(join(tmpdir(), 'nw-snmp-exporter-'));
const lookups = [
  ['ifName', '1.3.6.1.2.1.31.1.1.1.1'],
  ['ifAlias', '1.3.6.1.2.1.31.1.1.1.18'],
  ['ifDescr', '1.3.6.1.2.1.2.2.1.2'],
] as const;
const ifMetric = (name: string, oid: string, type: string) =>
  [
    `    - name: ${name}`,
    `      oid: ${oid}`,
    `      type: ${type}`,
    '      indexes:',
    '        - labelname: ifIndex',
    '          type: gauge',
    '      lookups:',
    ...lookups.flatMap(([l, o]) => ['        - labels: [ifIndex]', `          labelname: ${l}`, `          oid: ${o}`, '          type: DisplayString']),
  ].join('\n');
const moduleFile = join(dir, 'snmp.yml');
writeFileSync(
  moduleFile,
  [
    'if_mib:',
    '  walk:',
    '    - 1.3.6.1.2.1.2',
    '    - 1.3.6.1.2.1.31.1.1',
    '  get:',
    '    - 1.3.6.1.2.1.1.3.0',
    '  version: 2',
    '  max_repetitions: 25',
    '  retries: 1',
    '  timeout: 5s',
    '  auth:',
    '    community: public',
    '  metrics:',
    '    - name: sysUpTime',
    '      oid: 1.3.6.1.2.1.1.3',
    '      type: gauge',
    ifMetric('ifHCInOctets', '1.3.6.1.2.1.31.1.1.1.6', 'counter'),
    ifMetric('ifHCOutOctets', '1.3.6.1.2.1.31.1.1.1.10', 'counter'),
    ifMetric('ifInOctets', '1.3.6.1.2.1.2.2.1.10', 'counter'),
    ifMetric('ifOutOctets', '1.3.6.1.2.1.2.2.1.16', 'counter'),
    ifMetric('ifOperStatus', '1.3.6.1.2.1.2.2.1.8', 'gauge'),
    ifMetric('ifAdminStatus', '1.3.6.1.2.1.2.2.1.7', 'gauge'),
    ifMetric('ifHighSpeed', '1.3.6.1.2.1.31.1.1.1.15', 'gauge'),
    ifMetric('ifSpeed', '1.3.6.1.2.1.2.2.1.5', 'gauge'),
    ifMetric('ifType', '1.3.6.1.2.1.2.2.1.3', 'gauge'),
    '',
  ].join('\n'),
);
const exPort = await freeTcpPort();
let exOut = '';
const exporter = spawn(EXPORTER, [`--config.file=${moduleFile}`, `--web.listen-address=127.0.0.1:${exPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
exporter.stdout!.on('data', (d) => (exOut += d));
exporter.stderr!.on('data', (d) => (exOut += d));
for (let i = 0; ; i++) {
  if (exporter.exitCode !== null) throw new Error(`snmp_exporter exited: ${exOut.slice(-2000)}`);
  if (await fetch(`http://127.0.0.1:${exPort}/metrics`).then((r) => r.ok, () => false)) break;
  if (i > 100) throw new Error(`snmp_exporter not ready: ${exOut.slice(-2000)}`);
  await sleep(100);
}
const snmpScrape = async (address: string) => {
  const r = await fetch(`http://127.0.0.1:${exPort}/snmp?target=${address}:${agentPort}&module=if_mib`);
  const text = await r.text();
  if (r.status !== 200) throw new Error(`snmp_exporter answered ${r.status}: ${text.slice(0, 300)}`);
  return text;
};
{
  const text = await snmpScrape(addresses[0]!);
  const series = text.split('\n').filter((l) => l.startsWith('ifHCInOctets{')).length;
  emit({ figure: 'snmp_exporter_ifHCInOctets_series_per_device', value: series, expected: PORTS, sample: text.split('\n').find((l) => l.startsWith('ifHCInOctets{')) });
}
const exCpu0 = cpuMsOf(exporter.pid!);
const hostCpu0 = cpuMsOf(host.pid!);
const exT0 = performance.now();
let exScrapes = 0;
let exFailures = 0;
let cursor = 0;
await Promise.all(
  Array.from({ length: SNMP_SCRAPERS }, async () => {
    while (performance.now() - exT0 < SCRAPE_SECONDS * 1000) {
      const a = addresses[cursor++ % addresses.length]!;
      try {
        await snmpScrape(a);
        exScrapes++;
      } catch {
        exFailures++;
      }
    }
  }),
);
const exElapsed = (performance.now() - exT0) / 1000;
const exCpu = cpuMsOf(exporter.pid!) - exCpu0;
const hostCpu = cpuMsOf(host.pid!) - hostCpu0;
exporter.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });
const exDevicesPerSec = exScrapes / exElapsed;
const exCpuPerDeviceUs = (exCpu * 1000) / exScrapes;
emit({ figure: 'snmp_exporter_devices_per_s', value: round(exDevicesPerSec, 1), scrapes: exScrapes, failures: exFailures, scrapers: SNMP_SCRAPERS, seconds: round(exElapsed), note: '/snmp?target=agent&module=if_mib, one device per scrape' });
emit({ figure: 'snmp_exporter_cpu_us_per_device', value: round(exCpuPerDeviceUs, 0), note: 'snmp_exporter process, /proc/<pid>/stat' });
emit({ figure: 'simulated_agents_cpu_us_per_device_walked', value: round((hostCpu * 1000) / exScrapes, 0), note: 'the agents host process (net-snmp createAgent in Node) answering the walks; a real device pays this on its own CPU' });
emit({ figure: 'ratio_devices_per_s_netwatch_over_snmp_exporter', value: round(nwDevicesPerSec / exDevicesPerSec, 1) });
emit({ figure: 'ratio_cpu_per_device_snmp_exporter_over_netwatch', value: round(exCpuPerDeviceUs / nwCpuPerDeviceUs, 1) });

host.stdin!.end();
await new Promise((r) => host.once('exit', r));
process.exit(0);
