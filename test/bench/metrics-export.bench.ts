/**
 * GET /metrics/devices at fleet size: the latest-values cache filled with N devices × 48 interfaces
 * (synthetic poll results through the real cache API: snmpMetricsOf -> DeviceMetricsCache.snmp/icmp),
 * then scraped over HTTP by curl (another process, like Prometheus): wall time, bytes, series, and the
 * main thread's event-loop delay (perf_hooks monitorEventLoopDelay, 1 ms resolution) while it runs.
 * Each is scraped three times as Prometheus does (Accept-Encoding: gzip: the DEFLATE pieces made at poll
 * time) and three times without gzip (the text made at scrape time); the cache feed per poll includes
 * making the pieces, and the memory the compressed blocks take is reported.
 * Targets (issue 18): scrape < 1 s, main-thread stall < 50 ms. BENCH_REFERENCE=0 skips prom-client.
 * Reference side by side, same process: prom-client's `registry.metrics()` over the same families,
 * label names and series count (gauges), its wall time and the stall it causes.
 * Each size runs in its own child process (BENCH_SIZES, default "1000,5000"); one JSON line per figure.
 * @timeout-minutes 30
 */
import { execFile, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import express from 'express';
import { Gauge, Registry } from 'prom-client';
import { serveDeviceMetrics } from '../../server/api/device-metrics.routes.js';
import type { InterfaceSample, PollResult } from '../../server/contracts/poll.js';
import { createLogger } from '../../server/log/logger.js';
import { deviceExposition } from '../../server/metrics/device-exposition.js';
import { DeviceMetricsCache, type DeviceLabels } from '../../server/metrics/device-metrics-cache.js';
import { snmpMetricsOf } from '../../server/poller/snmp-metrics.js';

const IFACES = 48;
const bench = 'metrics-export';
const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench, ...o })}\n`);
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

const size = process.argv[2];
if (size === undefined) {
  // Parent: one child per size, so a size's heap and an out-of-memory reference stay apart.
  const sizes = (process.env.BENCH_SIZES ?? '1000,5000').split(',').map(Number);
  let failed = 0;
  for (const n of sizes) {
    const r = spawnSync(process.execPath, ['--max-old-space-size=8192', '--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), String(n)], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) {
      failed++;
      emit({ devices: n, error: `size run exited with ${r.status ?? r.signal}` });
    }
  }
  process.exit(failed ? 1 : 0);
}

const DEVICES = Number(size);
emit({ devices: DEVICES, figure: 'load_average_1m_at_start', value: (await import('node:os')).loadavg()[0] });
const labels = new Map<number, DeviceLabels>();
for (let d = 1; d <= DEVICES; d++) labels.set(d, { name: `sw-${String(d).padStart(5, '0')}.dc${d % 7}.example.net`, address: `10.${(d >> 16) & 255}.${(d >> 8) & 255}.${d & 255}`, site: '', group: `rack-${d % 40}` });

function pollOf(d: number, cycle: number): PollResult {
  const interfaces: InterfaceSample[] = [];
  for (let i = 1; i <= IFACES; i++) {
    const big = (k: number) => BigInt(d * 1_000_003 + i * 7919 + k) * 1_000_000n + BigInt(cycle) * 123_456_789n;
    interfaces.push({
      ifIndex: 10100 + i, name: `Gi1/0/${i}`, descr: `GigabitEthernet1/0/${i}`, alias: i % 3 ? `to sw-${(d + i) % DEVICES} port ${i}` : '', type: 6, mtu: 1500,
      speedBps: 1_000_000_000, mac: null, adminStatus: 1, operStatus: i % 11 ? 1 : 2, lastChangeCs: 4242 + i, discontinuityCs: null, hc: true,
      counters: {
        inOctets: { value: big(1), bits: 64 }, outOctets: { value: big(2), bits: 64 }, inUcastPkts: { value: big(3), bits: 64 }, outUcastPkts: { value: big(4), bits: 64 },
        inMulticastPkts: { value: big(5), bits: 64 }, outMulticastPkts: { value: big(6), bits: 64 }, inBroadcastPkts: { value: big(7), bits: 64 }, outBroadcastPkts: { value: big(8), bits: 64 },
        inErrors: { value: BigInt(i), bits: 32 }, outErrors: { value: 0n, bits: 32 }, inDiscards: { value: BigInt(d % 5), bits: 32 }, outDiscards: { value: 0n, bits: 32 },
      },
    });
  }
  return {
    address: labels.get(d)!.address, startedAt: Date.now(), durationMs: 80 + (d % 50), ok: true, error: null,
    system: { sysName: null, sysDescr: null, sysObjectID: null, enterprise: null, vendor: null, sysUpTimeCs: 9_000_000 + d, sysContact: null, sysLocation: null },
    interfaces, host: null, ucd: null, neighbours: null, custom: null, errors: {}, requests: 10,
  };
}

// Fill: every device polled twice (the second replaces the first), ICMP once.
const cache = new DeviceMetricsCache({ labelsOf: (id) => labels.get(id), ownSite: 'central' });
// Only the cache's share is timed (snmpMetricsOf + cache.snmp), not making the synthetic results.
let fillMs = 0;
for (let cycle = 0; cycle < 2; cycle++) {
  for (let d = 1; d <= DEVICES; d++) {
    const result = pollOf(d, cycle);
    const t0 = performance.now();
    cache.snmp(d, { snmpState: 'up', at: Date.now(), durationMs: 90, error: null, errorKind: null }, snmpMetricsOf(result));
    fillMs += performance.now() - t0;
  }
}
const tIcmp = performance.now();
for (let d = 1; d <= DEVICES; d++) cache.icmp(d, { icmpState: 'up', at: Date.now(), min: 0.2, avg: 0.4, max: 0.9, jitter: 0.1, lossPct: 0 });
emit({ devices: DEVICES, figure: 'cache_feed_us_per_icmp_update', value: round(((performance.now() - tIcmp) * 1000) / DEVICES, 1) });
emit({ devices: DEVICES, interfaces: DEVICES * IFACES, figure: 'cache_feed_us_per_poll', value: round((fillMs * 1000) / (DEVICES * 2), 1), note: `${DEVICES * 2} polls of ${IFACES} interfaces through snmpMetricsOf + cache.snmp (values and labels; the pieces are made later: piece_making_us_per_device)` });
// The compressed pieces are made after the updates, a slice per event-loop turn (pieces of a device
// updated twice are made once): all of them here, timed, as a whole fleet's poll cycle would.
{
  const t0 = performance.now();
  await cache.settle();
  emit({ devices: DEVICES, figure: 'piece_making_us_per_device', value: round(((performance.now() - t0) * 1000) / DEVICES, 1), note: 'every family of a device of 48 interfaces compressed (after an SNMP poll: all but the 3 ICMP ones)' });
}
// The fill's garbage (10,000s of synthetic poll results) collected before the scrapes are timed.
(globalThis as { gc?: () => void }).gc?.();
{
  const mem = process.memoryUsage();
  const blockBytes = cache.counters().deflate_block_bytes!;
  emit({ devices: DEVICES, figure: 'heap_used_mb_after_fill', value: round(mem.heapUsed / 2 ** 20, 0) });
  emit({ devices: DEVICES, figure: 'array_buffers_mb_after_fill', value: round(mem.arrayBuffers / 2 ** 20, 0), note: 'Buffers outside the heap: the compressed blocks and their slack' });
  emit({ devices: DEVICES, figure: 'compressed_block_bytes_per_device', value: round(blockBytes / DEVICES, 0), total_mb: round(blockBytes / 2 ** 20, 1) });
}

// Series count (not timed): what one scrape holds.
let series = 0;
let lineStart = true;
for (const chunk of deviceExposition(cache.snapshot(), { format: 'text' })) {
  for (let i = 0; i < chunk.length; i++) {
    if (lineStart && chunk[i] !== 35) series++;
    lineStart = chunk[i] === 10;
  }
}
emit({ devices: DEVICES, figure: 'series', value: series });

const app = express();
const log = createLogger({ level: 'silent', format: 'json' });
app.get('/metrics/devices', (req, res) => serveDeviceMetrics(req, res, { cache, log }));
const server = createServer(app);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics/devices`;

const run = promisify(execFile);
// As Prometheus scrapes (Accept-Encoding: gzip; curl keeps the body compressed, so size_download is the
// bytes on the wire) and without gzip (the text made at scrape time, as before the pre-compressed blocks).
for (const mode of ['gzip', 'identity'] as const) {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const cpu0 = process.cpuUsage();
    const headers = mode === 'gzip' ? ['-H', 'Accept-Encoding: gzip', '-H', 'Accept: application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1'] : [];
    const { stdout } = await run('curl', ['-s', ...headers, '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_starttransfer} %{time_total} %{content_type}', url]);
    const cpu = process.cpuUsage(cpu0);
    h.disable();
    const [code, bytes, ttfb, total] = stdout.trim().split(' ');
    if (code !== '200') throw new Error(`scrape answered ${code}`);
    const m = { devices: DEVICES, mode, run: attempt };
    emit({ ...m, series, figure: 'scrape_wall_ms', value: round(Number(total) * 1000, 0), target: '< 1000' });
    emit({ ...m, figure: 'scrape_server_cpu_ms', value: round((cpu.user + cpu.system) / 1000, 0), note: 'this process (all its threads) during the scrape; curl is another process' });
    emit({ ...m, figure: 'scrape_first_byte_ms', value: round(Number(ttfb) * 1000, 1) });
    emit({ ...m, figure: 'scrape_bytes_on_wire', value: Number(bytes) });
    emit({ ...m, figure: 'main_thread_max_delay_ms_during_scrape', value: round(h.max / 1e6, 1), p99: round(h.percentile(99) / 1e6, 1), target: '< 50' });
  }
}
// The gzip body is the identity body (checked once here too, not timed).
{
  const gz = await run('sh', ['-c', `curl -s -H 'Accept-Encoding: gzip' '${url}' | gzip -dc | md5sum; curl -s '${url}' | md5sum`]);
  const [a, b] = gz.stdout.trim().split('\n').map((l) => l.split(' ')[0]);
  emit({ devices: DEVICES, figure: 'gzip_body_decodes_to_identity_body', value: a === b && a !== undefined });
}
if (process.env.BENCH_REFERENCE === '0') {
  await new Promise<void>((r) => server.close(() => r()));
  process.exit(0);
}
await new Promise<void>((r) => server.close(() => r()));

// Reference: prom-client, the same families (one gauge each), label names and series count, built in this process.
const registry = new Registry();
const snapshot = cache.snapshot();
const ifLabelNames = ['device', 'address', 'site', 'group', 'ifIndex', 'ifName', 'ifDescr', 'ifAlias'] as const;
const tRefFill = performance.now();
let refSeries = 0;
const familyNames = ['ifHCInOctets', 'ifHCOutOctets', 'ifHCInUcastPkts', 'ifHCOutUcastPkts', 'ifHCInMulticastPkts', 'ifHCOutMulticastPkts', 'ifHCInBroadcastPkts', 'ifHCOutBroadcastPkts',
  'ifInErrors', 'ifOutErrors', 'ifInDiscards', 'ifOutDiscards', 'ifOperStatus', 'ifAdminStatus', 'ifHighSpeed', 'ifSpeed', 'ifMtu', 'ifType', 'ifLastChange'];
try {
  for (const name of familyNames) {
    const g = new Gauge({ name, help: name, labelNames: ifLabelNames, registers: [registry] });
    for (const e of snapshot) {
      const l = labels.get(e.id)!;
      for (const i of e.snmp?.interfaces ?? []) {
        g.set({ device: l.name, address: l.address, site: 'central', group: l.group ?? '', ifIndex: String(i.ifIndex), ifName: i.name, ifDescr: i.descr ?? '', ifAlias: i.alias ?? '' }, i.ifIndex);
        refSeries++;
      }
    }
  }
  // Our per-device families (sysUpTime, state, ICMP, poll time): one series each per device, same count.
  const perDevice = series - refSeries;
  const g = new Gauge({ name: 'per_device', help: 'per device', labelNames: ['device', 'address', 'site', 'group', 'k'], registers: [registry] });
  for (let k = 0; k < perDevice; k++) {
    const l = labels.get((k % DEVICES) + 1)!;
    g.set({ device: l.name, address: l.address, site: 'central', group: l.group ?? '', k: String(Math.floor(k / DEVICES)) }, k);
    refSeries++;
  }
  emit({ devices: DEVICES, figure: 'reference_prom_client_fill_ms', value: round(performance.now() - tRefFill, 0), series: refSeries });
  for (let attempt = 1; attempt <= 2; attempt++) {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    // Let the monitor's timer start (it misses a stall that begins before its first turn).
    await new Promise((r) => setTimeout(r, 20));
    const t = performance.now();
    const text = await registry.metrics();
    const ms = performance.now() - t;
    // One turn so the histogram sees the stall that metrics() caused.
    await new Promise((r) => setTimeout(r, 5));
    h.disable();
    emit({ devices: DEVICES, series: refSeries, run: attempt, figure: 'reference_prom_client_metrics_ms', value: round(ms, 0) });
    emit({ devices: DEVICES, run: attempt, figure: 'reference_prom_client_bytes', value: Buffer.byteLength(text) });
    emit({ devices: DEVICES, run: attempt, figure: 'reference_prom_client_max_delay_ms', value: round(h.max / 1e6, 1) });
  }
} catch (err) {
  emit({ devices: DEVICES, figure: 'reference_prom_client_metrics_ms', error: String((err as Error).message ?? err).slice(0, 200), series: refSeries });
}
process.exit(0);
