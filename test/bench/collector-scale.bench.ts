/**
 * Issue 15 bench: poll capacity with two collector processes vs one (target ≥ 1.8× devices/min).
 *
 * Real processes, from dist/ (`npm run build` first): Debian's `nats-server -js`, one `central`
 * (NMS_ROLE=central, SQLite), and either ONE collector of site `bench` (side `one`) or TWO collectors of
 * that same site (side `two`: the centre shares a site's devices among its live collectors, each device
 * to one of them, server/remote/site-assignment.ts `pollerOf`), or, with BENCH_SIDES including
 * `two-sites`, two collectors of two sites with half the devices each (what an operator could do
 * without that sharing). The simulated devices are net-snmp agents (`snmp-fleet-host.ts`, system group
 * + BENCH_PORTS HC interfaces) in BENCH_HOSTS processes of their own, started once and shared by the sides.
 *
 * Ladder: the devices are created at the central's API with a poll interval of BENCH_INTERVAL_S (10 s)
 * in steps (BENCH_LADDER, devices/min = devices × 60 / interval); each rung waits until every device
 * has been polled once (and one more interval), then watches a window of BENCH_WINDOW_S (≥ 30 s). What is
 * measured is what the collectors publish to the centre: a core NATS subscription to
 * `netwatch.*.status` sees every poll's status item (device, poll time `update.at`, state, and the
 * publishing process from the `Nats-Msg-Id` `<site>:<boot id>:<seq>`). A rung is *sustained* when
 * ≥ 99 % of the expected polls (devices × window / interval) arrived with the device up, and ≤ 1 %
 * of the devices had a gap between two polls (or to the window's ends) longer than 1.5 intervals:
 * polls complete on time. The side's figure is the highest sustained rung; the ladder of a side stops
 * at its first rung that is not sustained. The ratio is two / one.
 *
 * CPU (per rung, /proc/<pid>/stat and /proc/<pid>/task/<tid>/stat): ms per poll of the agents' processes,
 * each collector (and its main thread alone: the results are processed and published there; SNMP runs
 * in its 2 poll workers), the central and nats-server; the machine's busy share (/proc/stat, all
 * processes, other users of the machine included) and load average. With everything on one 2-core
 * machine the sum of those CPU costs per poll bounds any side: `machine_limit_devices_per_min` =
 * 2 cores / (sum of ms per poll).
 * @timeout-minutes 60
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '../helpers/nats-server.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { login } from '../helpers/server.js';

const bench = 'collector-scale';
const PORTS = Number(process.env.BENCH_PORTS ?? 24);
const INTERVAL_S = Number(process.env.BENCH_INTERVAL_S ?? 10);
const WINDOW_S = Math.max(30, Number(process.env.BENCH_WINDOW_S ?? 30));
const HOSTS = Math.max(1, Number(process.env.BENCH_HOSTS ?? 2));
/** Devices/min per rung (devices = rate × interval / 60). */
const LADDER = (process.env.BENCH_LADDER ?? '600,1200,1800,2400,3000,3600,4800,6000,7200,9000').split(',').map(Number);
const SIDES = (process.env.BENCH_SIDES ?? 'one,two').split(',') as SideName[];
const MAX_DEVICES = Math.max(...LADDER.map((r) => Math.round((r * INTERVAL_S) / 60)));
const PASSWORD = 'collector-scale-bench-Password-1';
const SITE = 'bench';
const OK_SHARE = 0.99;
const LATE_GAP = 1.5;
type SideName = 'one' | 'two' | 'two-sites';

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench, ports: PORTS, interval_s: INTERVAL_S, ...o })}\n`);

/** utime + stime in ms of a process (or one thread: /proc/<pid>/task/<tid>/stat), USER_HZ 100. */
function cpuMs(statPath: string): number {
  try {
    const stat = readFileSync(statPath, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}
const procCpu = (pid: number) => cpuMs(`/proc/${pid}/stat`);
const mainThreadCpu = (pid: number) => cpuMs(`/proc/${pid}/task/${pid}/stat`);
/** Busy and total jiffies of the whole machine. */
function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}
/** Threads of a process by name (the poll workers are Node worker threads). */
const threadCount = (pid: number) => {
  try {
    return readdirSync(`/proc/${pid}/task`).length;
  } catch {
    return 0;
  }
};

emit({ figure: 'machine', cpus: cpus().length, model: cpus()[0]?.model, load_average_1m_at_start: loadavg()[0] });

// The fleet, once, in HOSTS processes (one process answers on one core).
const hosts = await Promise.all(
  Array.from({ length: HOSTS }, async (_, h) => {
    const n = Math.floor(MAX_DEVICES / HOSTS) + (h < MAX_DEVICES % HOSTS ? 1 : 0);
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./snmp-fleet-host.ts', import.meta.url)), String(n), String(PORTS), String(94 + h)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout! });
      rl.once('line', resolve);
      child.once('exit', (c) => reject(new Error(`fleet host exited ${c}`)));
    });
    const { port, addresses } = JSON.parse(line) as { port: number; addresses: string[] };
    return { child, agents: addresses.map((address) => ({ address, port })) };
  }),
);
/** Interleaved across the hosts, so that each rung's devices are spread over every agent process. */
const agents: { address: string; port: number }[] = [];
for (let i = 0; agents.length < MAX_DEVICES; i++) for (const h of hosts) if (h.agents[i]) agents.push(h.agents[i]!);
emit({ figure: 'fleet', devices: agents.length, agent_processes: HOSTS });

interface Report {
  deviceId: number;
  at: number;
  up: boolean;
  boot: string;
}

interface Topology {
  nats: NatsServerHandle;
  central: ServerProcess;
  collectors: { proc: ServerProcess; site: string; dir: string }[];
  dirs: string[];
  token: string;
  spy: NatsConnection;
  reports: Report[];
}

async function api(t: Topology, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${t.central.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function startTopology(side: SideName): Promise<Topology> {
  const nats = await startNatsServer();
  const centralDir = mkdtempSync(join(tmpdir(), 'nw-cs-central-'));
  const central = await startServerProcess(centralDir, { NMS_ROLE: 'central', NMS_NATS_URL: nats.url, NMS_ADMIN_PASSWORD: PASSWORD }, 120_000, 'dist');
  const { token } = await login(central.url, 'admin', PASSWORD);
  const sites = side === 'one' ? [SITE] : side === 'two' ? [SITE, SITE] : [`${SITE}-a`, `${SITE}-b`];
  const collectors: Topology['collectors'] = [];
  const dirs = [centralDir];
  for (const site of sites) {
    const dir = mkdtempSync(join(tmpdir(), 'nw-cs-collector-'));
    dirs.push(dir);
    // The defaults a collector runs with (2 poll workers, 200 polls in flight), not the test helper's 1 worker.
    const proc = await startServerProcess(dir, { NMS_ROLE: 'collector', NMS_NATS_URL: nats.url, NMS_SITE: site, NMS_POLLER: 'true', NMS_POLL_WORKERS: '2' }, 120_000, 'dist');
    collectors.push({ proc, site, dir });
  }
  const t: Topology = { nats, central, collectors, dirs, token, spy: await connect({ servers: nats.url }), reports: [] };
  // Every poll's status item, as the collectors publish it (JetStream stores it; a core subscription sees it too).
  t.spy.subscribe('netwatch.*.status', {
    callback: (_err, m) => {
      const boot = (m.headers?.get('Nats-Msg-Id') ?? '').split(':')[1] ?? '';
      let items: unknown;
      try {
        items = JSON.parse(Buffer.from(m.data).toString('utf8'));
      } catch {
        return;
      }
      if (!Array.isArray(items)) return;
      for (const it of items as { kind?: string; deviceId?: number; update?: { at?: number; snmpState?: string } }[]) {
        if (it.kind === 'snmp' && typeof it.deviceId === 'number' && typeof it.update?.at === 'number') t.reports.push({ deviceId: it.deviceId, at: it.update.at, up: it.update.snmpState === 'up', boot });
      }
    },
  });
  // Each collector registered with its key (the centre seals the site's credentials for it).
  const ids = collectors.map((c) => readFileSync(join(c.dir, 'collector-id'), 'utf8').trim());
  for (let i = 0; ; i++) {
    const r = await api(t, 'GET', '/collectors');
    const known = (r.body as { id: string; publicKey: string | null; state: string }[]).filter((c) => ids.includes(c.id) && c.publicKey && c.state === 'up');
    if (known.length === ids.length) break;
    if (i > 240) throw new Error('collectors did not register');
    await sleep(250);
  }
  // The central compiles its OID dictionary in the background after start: let it finish first.
  for (let i = 0; i < 480; i++) {
    const r = await api(t, 'GET', '/mibs');
    if (r.status === 200 && !(r.body as { loading: boolean }).loading) break;
    await sleep(250);
  }
  return t;
}

async function stopTopology(t: Topology): Promise<void> {
  await t.spy.close();
  for (const c of t.collectors) await c.proc.stop();
  await t.central.stop();
  await t.nats.stop();
  for (const d of t.dirs) rmSync(d, { recursive: true, force: true });
}

async function addDevices(t: Topology, side: SideName, from: number, to: number, ids: number[]): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      while (next < to) {
        const i = next++;
        const a = agents[i]!;
        const site = side === 'two-sites' ? `${SITE}-${i % 2 ? 'b' : 'a'}` : SITE;
        const r = await api(t, 'POST', '/devices', { name: `sim-${i}`, address: a.address, icmpEnabled: false, pollIntervalSec: INTERVAL_S, site, snmp: { version: '2c', port: a.port, community: 'public', timeoutMs: 2000, retries: 1 } });
        if (r.status !== 201) throw new Error(`POST /devices: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        ids.push(r.body.id as number);
      }
    }),
  );
}

interface CpuSnap {
  hosts: number;
  collectors: number[];
  collectorMain: number[];
  central: number;
  centralMain: number;
  nats: number;
  machine: { busy: number; total: number };
  at: number;
}
const snapCpu = (t: Topology): CpuSnap => ({
  hosts: hosts.reduce((n, h) => n + procCpu(h.child.pid!), 0),
  collectors: t.collectors.map((c) => procCpu(c.proc.child.pid!)),
  collectorMain: t.collectors.map((c) => mainThreadCpu(c.proc.child.pid!)),
  central: procCpu(t.central.child.pid!),
  centralMain: mainThreadCpu(t.central.child.pid!),
  nats: procCpu((t.nats.process as ChildProcess).pid!),
  machine: machineJiffies(),
  at: performance.now(),
});

async function rung(t: Topology, side: SideName, rate: number, ids: number[]) {
  const devices = Math.round((rate * INTERVAL_S) / 60);
  const addedAt = Date.now();
  await addDevices(t, side, ids.length, devices, ids);
  // Settle: every device polled once since it was added (assignment reached the collectors), then one more interval.
  const settleLimit = Date.now() + 6 * INTERVAL_S * 1000 + 60_000;
  for (;;) {
    const polled = new Set(t.reports.filter((r) => r.at >= addedAt - INTERVAL_S * 1000).map((r) => r.deviceId));
    if (ids.every((id) => polled.has(id))) break;
    if (Date.now() > settleLimit) break;
    await sleep(500);
  }
  const settleS = (Date.now() - addedAt) / 1000;
  await sleep(INTERVAL_S * 1000);
  // The window.
  t.reports = t.reports.filter((r) => r.at >= Date.now() - 2 * INTERVAL_S * 1000);
  const c0 = snapCpu(t);
  const w0 = Date.now();
  await sleep(WINDOW_S * 1000);
  const w1 = Date.now();
  const c1 = snapCpu(t);
  // Items of polls inside the window that arrive a little later (batches are flushed every 250 ms).
  await sleep(1500);
  const inWindow = t.reports.filter((r) => r.at >= w0 && r.at < w1);
  const upPolls = inWindow.filter((r) => r.up).length;
  const expected = (devices * (w1 - w0)) / (INTERVAL_S * 1000);
  // Per device: its polls' times, gaps between them and to the window's ends.
  const byDevice = new Map<number, number[]>();
  for (const r of inWindow) if (r.up) (byDevice.get(r.deviceId) ?? byDevice.set(r.deviceId, []).get(r.deviceId)!).push(r.at);
  let late = 0;
  let maxGap = 0;
  for (const id of ids) {
    const ts = (byDevice.get(id) ?? []).sort((a, b) => a - b);
    const gaps = ts.length ? [ts[0]! - w0, ...ts.slice(1).map((x, i) => x - ts[i]!), w1 - ts[ts.length - 1]!] : [w1 - w0];
    const g = Math.max(...gaps);
    maxGap = Math.max(maxGap, g);
    if (g > LATE_GAP * INTERVAL_S * 1000) late++;
  }
  const byProcess = new Map<string, number>();
  for (const r of inWindow) byProcess.set(r.boot, (byProcess.get(r.boot) ?? 0) + 1);
  // Devices reported by more than one process in the window (each should be polled by one).
  const reporters = new Map<number, Set<string>>();
  for (const r of inWindow) (reporters.get(r.deviceId) ?? reporters.set(r.deviceId, new Set()).get(r.deviceId)!).add(r.boot);
  const polledTwice = [...reporters.values()].filter((s) => s.size > 1).length;
  const secs = (c1.at - c0.at) / 1000;
  const per = (ms: number) => round(ms / Math.max(1, upPolls), 2);
  const collectorsMs = c1.collectors.map((v, i) => v - c0.collectors[i]!);
  const mainMs = c1.collectorMain.map((v, i) => v - c0.collectorMain[i]!);
  const parts = { agents: c1.hosts - c0.hosts, collectors: collectorsMs.reduce((a, b) => a + b, 0), central: c1.central - c0.central, nats: c1.nats - c0.nats };
  const ourMsPerPoll = (parts.agents + parts.collectors + parts.central + parts.nats) / Math.max(1, upPolls);
  const machineBusy = (c1.machine.busy - c0.machine.busy) / Math.max(1, c1.machine.total - c0.machine.total);
  const sustained = upPolls >= OK_SHARE * expected && late <= 0.01 * devices;
  return {
    devices,
    settle_s: round(settleS),
    window_s: round(secs),
    expected_polls: Math.round(expected),
    polls_up: upPolls,
    polls_down: inWindow.length - upPolls,
    completed_per_min: Math.round((upPolls / secs) * 60),
    late_devices: late,
    max_gap_s: round(maxGap / 1000, 1),
    polls_per_collector: [...byProcess.values()],
    devices_polled_by_two: polledTwice,
    cpu_ms_per_poll: {
      agents: per(parts.agents),
      collectors: per(parts.collectors),
      collector_main_threads: per(mainMs.reduce((a, b) => a + b, 0)),
      central: per(parts.central),
      central_main_thread: per(c1.centralMain - c0.centralMain),
      nats: per(parts.nats),
      total: round(ourMsPerPoll, 2),
    },
    // Share of one core each collector process used, and its main thread alone.
    collector_cores: collectorsMs.map((ms) => round(ms / 1000 / secs, 2)),
    collector_main_thread_cores: mainMs.map((ms) => round(ms / 1000 / secs, 2)),
    agents_cores: round(parts.agents / 1000 / secs, 2),
    // Cores the bench's processes (agents, collectors, central, nats-server) got together; the rest of the busy share was other work on the machine.
    bench_processes_cores: round((parts.agents + parts.collectors + parts.central + parts.nats) / 1000 / secs, 2),
    machine_busy_pct: round(100 * machineBusy, 1),
    load_average_1m: round(loadavg()[0]!, 2),
    machine_limit_devices_per_min: Math.round((cpus().length * 60_000) / ourMsPerPoll),
    sustained,
  };
}

const best = new Map<SideName, number>();
for (const side of SIDES) {
  const t = await startTopology(side);
  emit({ figure: 'topology', side, collectors: t.collectors.map((c) => c.site), collector_threads: t.collectors.map((c) => threadCount(c.proc.child.pid!)) });
  const ids: number[] = [];
  try {
    for (const rate of LADDER) {
      const r = await rung(t, side, rate, ids);
      emit({ figure: 'rung', side, offered_devices_per_min: rate, ...r });
      if (!r.sustained) {
        emit({ figure: 'first_unsustained', side, offered_devices_per_min: rate });
        break;
      }
      best.set(side, rate);
    }
  } finally {
    // What the collectors say about their share (heartbeat counters, every 10 s).
    const cs = await api(t, 'GET', '/collectors').catch(() => ({ status: 0, body: [] }));
    emit({
      figure: 'collectors_at_end', side,
      collectors: (cs.body as { site: string; counters: Record<string, number> }[]).map((c) => ({
        site: c.site, assigned_devices: c.counters['assignment.assigned_devices'], devices_for_other_collectors: c.counters['assignment.devices_for_other_collectors'],
        snmp_polls: c.counters['poller.snmp_polls'], snmp_failures: c.counters['poller.snmp_failures'], skipped_overlaps: c.counters['poller.skipped_overlaps'], max_lag_ms: c.counters['poller.max_lag_ms'],
      })),
    });
    await stopTopology(t);
  }
  emit({ figure: 'max_sustained_devices_per_min', side, value: best.get(side) ?? 0, ladder_ended: best.get(side) === LADDER[LADDER.length - 1] });
  await sleep(3000);
}
const one = best.get('one');
for (const s of ['two', 'two-sites'] as const) {
  const v = best.get(s);
  if (one && v !== undefined) emit({ figure: `ratio_${s.replace('-', '_')}_over_one`, value: round(v / one, 2), target: 1.8 });
}

for (const h of hosts) h.child.stdin!.end();
await Promise.all(hosts.map((h) => new Promise((r) => h.child.once('exit', r))));
process.exit(0);
