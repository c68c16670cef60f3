/**
 * Poll cycle capacity of the whole server: the real Netwatch (scheduler, 2 poll
 * workers, rates, interface rows, samples in SQLite, events) polling simulated
 * 24-port HC agents hosted in another process, while a client measures API
 * latency (GET /api/v1/devices and /health every 100 ms). Every device is due
 * every INTERVAL seconds; the figure is how many polls complete per 60 s, and
 * the API p99 while it happens (target: 5,000 devices, API < 100 ms).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DeviceRepository } from '../../server/store/device.repository.js';
import { login, startTestServer } from '../helpers/server.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const INTERVAL_S = Number(process.env.BENCH_INTERVAL_S ?? 10);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 30_000);

const host = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./snmp-fleet-host.ts', import.meta.url)), String(DEVICES)], { stdio: ['pipe', 'pipe', 'inherit'] });
const first = await new Promise<string>((resolve, reject) => {
  const rl = createInterface({ input: host.stdout! });
  rl.once('line', resolve);
  host.once('exit', (c) => reject(new Error(`fleet host exited ${c}`)));
});
const { port, addresses } = JSON.parse(first) as { port: number; addresses: string[] };

const srv = await startTestServer({ env: { NMS_POLLER: 'true', NMS_POLL_WORKERS: '2', NMS_POLL_CONCURRENCY: '128', NMS_LOG_LEVEL: 'silent' } });
const devices = new DeviceRepository(srv.nms.db, srv.nms.secrets);
srv.nms.db.transaction(() => {
  addresses.forEach((address, i) =>
    devices.create({
      name: `sim-${i}`, address, group: null, location: null, tags: [], pollIntervalSec: INTERVAL_S, icmpEnabled: false,
      snmp: { enabled: true, version: '2c', port, community: 'public', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 5000, retries: 1 },
    }),
  );
})();
// The poller learns about devices from the bus; the bench inserted them directly, so announce them.
for (const d of devices.list()) srv.nms.bus.publish('device.created', { ...d, snmp: { ...d.snmp, communitySet: true, authKeySet: false, privKeySet: false } } as never);

const counter = () => srv.nms.metrics.snapshot();
const { token } = await login(srv.url, 'admin', srv.adminPassword);
// Warm-up: one interval.
await new Promise((r) => setTimeout(r, INTERVAL_S * 1000 + 2000));
const before = counter();
const latencies: number[] = [];
let stop = false;
const prober = (async () => {
  while (!stop) {
    for (const path of ['/devices', '/health']) {
      const t = performance.now();
      const r = await fetch(`${srv.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
      await r.arrayBuffer();
      latencies.push(performance.now() - t);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
})();
const t0 = performance.now();
await new Promise((r) => setTimeout(r, WINDOW_MS));
const elapsed = (performance.now() - t0) / 1000;
stop = true;
await prober;
const after = counter();
const polls = (after['poller.snmp_polls'] ?? 0) - (before['poller.snmp_polls'] ?? 0);
const failures = (after['poller.snmp_failures'] ?? 0) - (before['poller.snmp_failures'] ?? 0);
latencies.sort((a, b) => a - b);
const p = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))]! * 10) / 10;
console.log(
  JSON.stringify({
    bench: 'poll-server-capacity', metric: 'devices_per_60s', value: Math.round((polls / elapsed) * 60), target: 5000,
    simulated_devices: DEVICES, interval_s: INTERVAL_S, polls_ok: polls - failures, polls_failed: failures,
    max_scheduler_lag_ms: after['poller.max_lag_ms'], skipped_overlaps: after['poller.skipped_overlaps'] - (before['poller.skipped_overlaps'] ?? 0),
    note: 'agents, poller, SQLite and API share the 2 cores',
  }),
);
console.log(JSON.stringify({ bench: 'poll-server-capacity', metric: 'api_latency_ms', p50: p(0.5), p99: p(0.99), max: p(1), samples: latencies.length, target: 'p99 < 100' }));
await srv.stop();
host.stdin!.end();
await new Promise((r) => host.once('exit', r));
