/**
 * Issue 16 bench: poll capacity with ALL standard collection templates applied
 * (templates/ and templates/vendors/), beside today's poll without templates,
 * and Debian's prometheus-snmp-exporter (0.21) scraping the same simulated fleet
 * for the same tables, on the same machine in the same run.
 *
 * Fleet (template-fleet-host.ts, BENCH_HOSTS processes, default 2): BENCH_DEVICES net-snmp
 * agents on 127.89+h.x.y, each a Catalyst-like switch with BENCH_PORTS HC interfaces,
 * BENCH_SENSORS ENTITY-SENSOR rows named by entPhysicalName, BENCH_RMON RMON
 * etherStats probes, cpmCPUTotalTable and two ENVMON temperatures.
 *
 * Closed loop first: each side with BENCH_CONCURRENCY (64) polls always in flight
 * for BENCH_CLOSED_S seconds: complete polls per minute and CPU ms per poll.
 *
 * Ladder: for each offered rate (devices per minute, BENCH_LADDER), each side is
 * driven open-loop for BENCH_STEP_S seconds: a poll (or scrape) starts every
 * 60/rate s, round-robin over the fleet, whatever is still running (at most
 * BENCH_MAX_INFLIGHT at once as a safety net; one that cannot start is lost).
 * A poll counts only when it completes within BENCH_DEADLINE_MS (10 s, the
 * default Prometheus scrape timeout) and is complete: system + every interface + (with templates) every
 * template value the fleet has; for snmp_exporter every expected series. A side
 * "loses data" at a rung where fewer than 99 % of the offered polls complete;
 * the ladder goes on until both sides have lost data (a side that lost is not run
 * again). Figures: highest lossless rate per side, CPU ms per poll of the poller
 * (Netwatch: this process, main thread + 2 poll workers; snmp_exporter: its
 * process), and of the agents' processes, per rung. The agents (net-snmp's
 * JavaScript agent) cost more CPU per poll than either poller and share the two
 * cores, so the lossless rates are a floor set by the whole machine; CPU per poll
 * (and the rate it implies for a poller with the two cores to itself) is the
 * figure that belongs to the poller alone.
 *
 * Sides: `netwatch` (today's poll, no templates), `netwatch-templates` (same
 * poll with the templates request, values computed on the main thread as the
 * server does), `snmp-exporter` (module with the interface tables and the
 * template tables, test/bench/lib/exporter-module.ts).
 * @timeout-minutes 30
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PollWorkerPool } from '../../server/poller/worker-pool.js';
import { freeTcpPort } from '../helpers/nats-server.js';
import { exporterModule } from './lib/exporter-module.js';
import { templatePolling } from './lib/netwatch-templates.js';

const bench = 'poll-capacity-templates';
const DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const PORTS = Number(process.env.BENCH_PORTS ?? 24);
const SENSORS = Number(process.env.BENCH_SENSORS ?? 8);
const RMON = Number(process.env.BENCH_RMON ?? 8);
const STEP_S = Number(process.env.BENCH_STEP_S ?? 15);
const MAX_INFLIGHT = Number(process.env.BENCH_MAX_INFLIGHT ?? 2048);
/** A poll that completes later than this after its slot is lost (Prometheus' default scrape timeout and interval). */
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_MS ?? 10_000);
const LADDER = (process.env.BENCH_LADDER ?? '1000,1500,2000,3000,4000,6000,9000,12000,18000,24000,36000,48000').split(',').map(Number);
const SIDES = (process.env.BENCH_SIDES ?? 'netwatch,netwatch-templates,snmp-exporter').split(',');
const EXPORTER = '/usr/bin/prometheus-snmp-exporter';
const TIMEOUT_MS = 5000;
const LOSS_LIMIT = 0.01;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const CLOSED_S = Number(process.env.BENCH_CLOSED_S ?? 15);

const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench, devices: DEVICES, ports: PORTS, sensors: SENSORS, rmon_probes: RMON, ...o })}\n`);
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** utime + stime of a process in ms (/proc/<pid>/stat, USER_HZ 100). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

emit({ figure: 'load_average_1m_at_start', value: loadavg()[0] });

// The fleet, in BENCH_HOSTS processes of their own (one process runs its agents on one core).
const HOSTS = Math.max(1, Number(process.env.BENCH_HOSTS ?? 2));
const hosts = await Promise.all(
  Array.from({ length: HOSTS }, async (_, h) => {
    const n = Math.floor(DEVICES / HOSTS) + (h < DEVICES % HOSTS ? 1 : 0);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./template-fleet-host.ts', import.meta.url)), String(n), String(PORTS), String(SENSORS), String(RMON), String(89 + h)],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const line = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout! });
      rl.once('line', resolve);
      child.once('exit', (c) => reject(new Error(`fleet host exited ${c}`)));
    });
    const { port, addresses } = JSON.parse(line) as { port: number; addresses: string[] };
    return { child, agents: addresses.map((address) => ({ address, port })) };
  }),
);
/** Devices interleaved across the hosts, so consecutive polls go to different processes. */
const agents: { address: string; port: number }[] = [];
for (let i = 0; agents.length < DEVICES; i++) for (const h of hosts) if (h.agents[i]) agents.push(h.agents[i]!);
const hostsCpuMs = () => hosts.reduce((n, h) => n + cpuMsOf(h.child.pid!), 0);

type Outcome = 'ok' | 'incomplete' | 'failed';
interface Side {
  name: string;
  /** One poll of one device; resolves with how complete it was. */
  poll(agent: { address: string; port: number }): Promise<Outcome>;
  /** CPU ms of the poller so far. */
  cpuMs(): number;
  close(): Promise<void>;
  lostAt?: number;
  best?: number;
}

// Netwatch: the poll worker pool (2 threads) as the server runs it.
const pool = new PollWorkerPool({ workers: 2 });
const target = (a: { address: string; port: number }) => ({ address: a.address, snmp: { version: '2c' as const, port: a.port, community: 'public', timeoutMs: TIMEOUT_MS, retries: 1 } });
const skip = ['host', 'lldp', 'cdp', 'ucd'] as const;
const plainComplete = (r: Awaited<ReturnType<PollWorkerPool['poll']>>) => r.ok && r.interfaces?.length === PORTS && Object.keys(r.errors).length === 0;
const sides: Side[] = [];
if (SIDES.includes('netwatch')) {
  sides.push({
    name: 'netwatch',
    poll: async (a) => {
      const r = await pool.poll(target(a), { skip: [...skip] });
      return plainComplete(r) ? 'ok' : r.ok ? 'incomplete' : 'failed';
    },
    cpuMs: ownCpuMs,
    close: async () => {},
  });
}
if (SIDES.includes('netwatch-templates')) {
  const tp = await templatePolling({ devices: DEVICES, sensors: SENSORS, rmonRows: RMON });
  emit({ figure: 'templates_loaded', value: tp.templateIds.length, ids: tp.templateIds, expected_applied: tp.expectedApplied });
  const index = new Map(agents.map((a, i) => [a, i]));
  sides.push({
    name: 'netwatch-templates',
    poll: async (a) => {
      const { outcome, result } = await tp.run(index.get(a)!, (templates) => pool.poll(target(a), { skip: [...skip], templates }));
      return outcome === 'ok' && result && plainComplete(result) ? 'ok' : outcome === 'failed' ? 'failed' : 'incomplete';
    },
    cpuMs: ownCpuMs,
    close: async () => {
      emit({ figure: 'template_engine_stats', ...tp.stats() });
    },
  });
}

// snmp_exporter with the same tables.
let exporterDir: string | null = null;
if (SIDES.includes('snmp-exporter')) {
  exporterDir = mkdtempSync(join(tmpdir(), 'nw-snmp-exporter-'));
  const moduleFile = join(exporterDir, 'snmp.yml');
  writeFileSync(moduleFile, exporterModule('std', true, { timeoutS: TIMEOUT_MS / 1000, retries: 1, maxRepetitions: Number(process.env.BENCH_EXPORTER_REPETITIONS ?? 25) }));
  const exPort = await freeTcpPort();
  let exOut = '';
  const exporter = spawn(EXPORTER, [`--config.file=${moduleFile}`, `--web.listen-address=127.0.0.1:${exPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  exporter.stdout!.on('data', (d) => (exOut = (exOut + d).slice(-4000)));
  exporter.stderr!.on('data', (d) => (exOut = (exOut + d).slice(-4000)));
  for (let i = 0; ; i++) {
    if (exporter.exitCode !== null) throw new Error(`snmp_exporter exited: ${exOut}`);
    if (await fetch(`http://127.0.0.1:${exPort}/metrics`).then((r) => r.ok, () => false)) break;
    if (i > 100) throw new Error(`snmp_exporter not ready: ${exOut}`);
    await sleep(100);
  }
  const count = (text: string, metric: string) => {
    let n = 0;
    let at = 0;
    const needle = `\n${metric}{`;
    while ((at = text.indexOf(needle, at)) >= 0) {
      n++;
      at += needle.length;
    }
    return n;
  };
  const expected: [string, number][] = [
    ['ifHCInOctets', PORTS],
    ['ifOperStatus', PORTS],
    ['entPhySensorValue', SENSORS],
    ['etherStatsOctets', RMON],
    ['cpmCPUTotal5minRev', 1],
    ['ciscoEnvMonTemperatureStatusValue', 2],
  ];
  const scrape = async (a: { address: string; port: number }): Promise<Outcome> => {
    try {
      const r = await fetch(`http://127.0.0.1:${exPort}/snmp?target=${a.address}:${a.port}&module=std`, { signal: AbortSignal.timeout(3 * TIMEOUT_MS) });
      const text = `\n${await r.text()}`;
      if (r.status !== 200) return 'failed';
      return expected.every(([m, n]) => count(text, m) === n) ? 'ok' : 'incomplete';
    } catch {
      return 'failed';
    }
  };
  {
    const r = await fetch(`http://127.0.0.1:${exPort}/snmp?target=${agents[0]!.address}:${agents[0]!.port}&module=std`);
    const text = `\n${await r.text()}`;
    emit({ figure: 'snmp_exporter_series_per_device', value: text.split('\n').filter((l) => l && !l.startsWith('#')).length, check: Object.fromEntries(expected.map(([m, n]) => [m, `${count(text, m)}/${n}`])) });
  }
  sides.push({
    name: 'snmp-exporter',
    poll: scrape,
    cpuMs: () => cpuMsOf(exporter.pid!),
    close: async () => {
      exporter.kill('SIGTERM');
      await new Promise((r) => exporter.once('exit', r));
    },
  });
}

// Warm-up: one poll of every device by every side (sessions, JIT, template discovery).
for (const s of sides) {
  let next = 0;
  const outcomes = { ok: 0, incomplete: 0, failed: 0 };
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < agents.length) outcomes[await s.poll(agents[next++]!)]++;
    }),
  );
  emit({ figure: 'warmup', side: s.name, ...outcomes });
}

/** Closed loop: CONCURRENCY polls always in flight for CLOSED_S seconds (raw capacity and CPU per poll). */
async function closedLoop(s: Side) {
  const counts = { ok: 0, late: 0, incomplete: 0, failed: 0 };
  let i = 0;
  const cpu0 = s.cpuMs();
  const host0 = hostsCpuMs();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() - t0 < CLOSED_S * 1000) {
        const started = performance.now();
        const o = await s.poll(agents[i++ % agents.length]!).catch((): Outcome => 'failed');
        counts[o === 'ok' && performance.now() - started > DEADLINE_MS ? 'late' : o]++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = s.cpuMs() - cpu0;
  const done = counts.ok + counts.late + counts.incomplete + counts.failed;
  return {
    ...counts,
    seconds: round(elapsed),
    complete_per_min: Math.round((counts.ok / elapsed) * 60),
    poller_cpu_ms_per_poll: round(cpu / Math.max(1, done), 2),
    agents_cpu_ms_per_poll: round((hostsCpuMs() - host0) / Math.max(1, done), 2),
    devices_per_min_if_poller_had_2_cores: done ? Math.round((2 * 60_000) / (cpu / done)) : 0,
  };
}

{
  // This process' own CPU while idle (timers, fleet stdout): shown so the Netwatch figures can be read net of it.
  const c0 = ownCpuMs();
  await sleep(3000);
  emit({ figure: 'bench_process_idle_cpu_ms_per_s', value: round((ownCpuMs() - c0) / 3, 2) });
}
for (const s of sides) {
  emit({ figure: 'closed_loop', side: s.name, concurrency: CONCURRENCY, ...(await closedLoop(s)) });
  await sleep(2000);
}

let cursor = 0;
async function step(s: Side, rate: number) {
  const interval = 60_000 / rate;
  const windowMs = STEP_S * 1000;
  const counts = { offered: 0, ok: 0, late: 0, incomplete: 0, failed: 0, skipped: 0 };
  const latencies: number[] = [];
  const pending = new Set<Promise<void>>();
  let inflight = 0;
  const cpu0 = s.cpuMs();
  const host0 = hostsCpuMs();
  const t0 = performance.now();
  let due = t0;
  while (performance.now() - t0 < windowMs) {
    const now = performance.now();
    while (due <= now && due - t0 < windowMs) {
      counts.offered++;
      due += interval;
      if (inflight >= MAX_INFLIGHT) {
        counts.skipped++;
        continue;
      }
      const agent = agents[cursor++ % agents.length]!;
      inflight++;
      const started = performance.now();
      const p = s
        .poll(agent)
        .catch((): Outcome => 'failed')
        .then((o) => {
          const ms = performance.now() - started;
          counts[o === 'ok' && ms > DEADLINE_MS ? 'late' : o]++;
          latencies.push(ms);
        })
        .finally(() => {
          inflight--;
          pending.delete(p);
        });
      pending.add(p);
    }
    // Sleep until the next slot (no busy loop: the dispatcher's own CPU stays out of the poller's figure).
    await sleep(Math.max(1, Math.min(due, t0 + windowMs) - performance.now()));
  }
  await Promise.all([...pending]);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = s.cpuMs() - cpu0;
  const hostCpu = hostsCpuMs() - host0;
  latencies.sort((a, b) => a - b);
  const lost = counts.offered - counts.ok;
  return {
    ...counts,
    lost_pct: round((100 * lost) / Math.max(1, counts.offered), 2),
    completed_per_min: Math.round((counts.ok / STEP_S) * 60),
    drain_s: round(elapsed - STEP_S, 1),
    poll_ms_p50: round(latencies[Math.floor(latencies.length / 2)] ?? 0, 1),
    poll_ms_p95: round(latencies[Math.floor(latencies.length * 0.95)] ?? 0, 1),
    poller_cpu_ms_per_poll: round(cpu / Math.max(1, counts.ok), 2),
    agents_cpu_ms_per_poll: round(hostCpu / Math.max(1, counts.ok), 2),
    // What the poller's CPU per poll would allow with both cores to itself (agents elsewhere).
    devices_per_min_if_poller_had_2_cores: counts.ok ? Math.round((2 * 60_000) / (cpu / counts.ok)) : 0,
    lossless: lost / Math.max(1, counts.offered) < LOSS_LIMIT,
  };
}

for (const rate of LADDER) {
  const live = sides.filter((s) => s.lostAt === undefined);
  if (live.length === 0) break;
  for (const s of live) {
    const r = await step(s, rate);
    emit({ figure: 'rung', side: s.name, offered_per_min: rate, ...r });
    if (r.lossless) s.best = rate;
    else s.lostAt = rate;
    await sleep(2000);
  }
}

for (const s of sides) {
  emit({ figure: 'max_lossless_devices_per_min', side: s.name, value: s.best ?? 0, lost_at: s.lostAt ?? null, note: s.lostAt === undefined ? 'ladder ended before this side lost data' : undefined });
}
const by = (n: string) => sides.find((s) => s.name === n);
const nt = by('netwatch-templates');
const ex = by('snmp-exporter');
if (nt?.best && ex?.best) emit({ figure: 'ratio_netwatch_templates_over_snmp_exporter', value: round(nt.best / ex.best, 2), target: 2 });

for (const s of sides) await s.close();
await pool.close();
if (exporterDir) rmSync(exporterDir, { recursive: true, force: true });
for (const h of hosts) h.child.stdin!.end();
await Promise.all(hosts.map((h) => new Promise((r) => h.child.once('exit', r))));
process.exit(0);
