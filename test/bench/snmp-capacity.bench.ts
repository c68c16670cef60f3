/**
 * Poll cycle capacity: simulated devices (system group + 24-port ifXTable
 * with HC counters, net-snmp agents in a separate process) polled by the
 * PollScheduler + PollWorkerPool (2 worker threads) as fast as they go for
 * a fixed window; reports polls/s and the implied devices per 60 s interval
 * (target 5,000). Both sides share this 2-core machine, so the figure is a
 * lower bound for a poller with the CPU to itself.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PollWorkerPool } from '../../server/poller/worker-pool.js';
import { PollScheduler } from '../../server/poller/scheduler.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);

const host = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./snmp-fleet-host.ts', import.meta.url)), String(DEVICES)], { stdio: ['pipe', 'pipe', 'inherit'] });
const first = await new Promise<string>((resolve, reject) => {
  const rl = createInterface({ input: host.stdout! });
  rl.once('line', resolve);
  host.once('exit', (c) => reject(new Error(`fleet host exited ${c}`)));
});
const { port, addresses } = JSON.parse(first) as { port: number; addresses: string[] };

const pool = new PollWorkerPool({ workers: 2 });
let ok = 0;
let failed = 0;
const durations: number[] = [];
// Interval short enough that every device is always due: measures raw capacity.
const sched = new PollScheduler<string>({
  concurrency: CONCURRENCY,
  run: async (_key, address) => {
    const r = await pool.poll({ address, snmp: { version: '2c', port, community: 'public', timeoutMs: 5000, retries: 1 } }, { skip: ['host', 'lldp', 'cdp', 'ucd'] });
    if (r.ok && r.interfaces?.length === 24 && Object.keys(r.errors).length === 0) ok++;
    else failed++;
    durations.push(r.durationMs);
  },
});
addresses.forEach((a, i) => sched.upsert(i, 1000, a));
// Warm-up: one pass over every device (sessions, JIT), then measure.
const warm = Date.now();
sched.start();
while (ok + failed < DEVICES && Date.now() - warm < 120_000) await new Promise((r) => setTimeout(r, 200));
const okBefore = ok;
const failedBefore = failed;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, WINDOW_MS));
const cpu = process.cpuUsage(cpu0);
const elapsed = (performance.now() - t0) / 1000;
const polls = ok - okBefore;
sched.stop();
while (pool.inflight() > 0) await new Promise((r) => setTimeout(r, 100));
await pool.close();
host.stdin!.end();
await new Promise((r) => host.once('exit', r));
const sorted = durations.slice(-polls).sort((a, b) => a - b);
console.log(
  JSON.stringify({
    bench: 'snmp-poll-capacity',
    simulated_devices: DEVICES,
    ports_per_device: 24,
    workers: 2,
    concurrency: CONCURRENCY,
    window_s: Math.round(elapsed),
    polls_ok: polls,
    polls_failed: failed - failedBefore,
    polls_per_s: Math.round(polls / elapsed),
    devices_per_60s: Math.round((polls / elapsed) * 60),
    poll_ms_p50: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
    poll_ms_p95: Math.round(sorted[Math.floor(sorted.length * 0.95)] ?? 0),
    // CPU of the poller process (main + workers) per poll, and what two idle cores would allow.
    poller_cpu_ms_per_poll: Math.round(((cpu.user + cpu.system) / 1000 / Math.max(1, polls)) * 100) / 100,
    devices_per_60s_if_poller_had_2_cores: Math.round((2 * 60_000) / (((cpu.user + cpu.system) / 1000) / Math.max(1, polls))),
    target_devices_per_60s: 5000,
    note: 'agents and poller share the 2 cores',
  }),
);
