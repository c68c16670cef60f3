/**
 * Resident memory of the server as the container image runs it (`node --openssl-legacy-provider
 * --disable-proto=throw dist/server/main.js`): role `all` (poller on, no devices) idle after the
 * start-up work (migrations, MIB index), then under paced syslog floods (RFC 5424, ~200 B,
 * every message stored); then role `collector` (site bench, a real nats-server with JetStream)
 * the same way, its events published to NATS (no central consumes them: they wait in the stream).
 * The figures size the Kubernetes manifests' memory requests and limits
 * (deploy/kubernetes/base/netwatch.yaml, overlays/scaled/collector-site-a.yaml). Needs `npm run build`.
 *
 *   npx tsx test/bench/memory.bench.ts      (or: npm run bench -- memory)
 *
 * RSS is read from /proc/<pid>/status every 200 ms (VmRSS; the peak also from VmHWM), worker
 * threads included (they are threads of the same process). CPU from /proc/<pid>/stat (utime+stime).
 * No reference: there is no other program doing the same work to compare with.
 * One JSON line per figure on stdout.
 * @timeout-minutes 8
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../helpers/nats-server.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { runPacedSenders, writePacketFile } from './lib/paced-udp-sender.js';

const IDLE_MS = 45_000;
const STEPS = [
  { rate: 10_000, ms: 20_000 },
  { rate: 40_000, ms: 20_000 },
];

function status(pid: number): { rssMiB: number; hwmMiB: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14, 15) in clock ticks of 100 Hz
}

function message(i: number): Buffer {
  const ts = `2024-06-15T11:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z`;
  return Buffer.from(`<134>1 ${ts} edge-router-${i % 64}.example.net bench 4242 SEQ [meta@32473 seq="${i}" site="dc1"] %SEC-6-IPACCESSLOGP: list 101 permitted tcp 10.1.${i % 250}.7(51514) -> 10.2.2.2(443), 1 packet`);
}

const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'memory', ...o })}\n`);
const round = (n: number) => Math.round(n * 10) / 10;

const dir = mkdtempSync(join(tmpdir(), 'nw-membench-'));
const packets = join(dir, 'packets.bin');
writePacketFile(packets, Array.from({ length: 1024 }, (_, i) => message(i)));
async function measure(role: string, server: ServerProcess, idleMs: number): Promise<void> {
  const pid = server.child.pid!;
  const health = (await (await fetch(`${server.url}/api/v1/health`)).json()) as { ports: { syslog: number } };
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, status(pid).rssMiB)), 200);
  try {
    const t0 = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, idleMs));
    const idle = status(pid);
    emit({ role, figure: 'rss_idle_mib', value: round(idle.rssMiB), startPeakMiB: round(idle.hwmMiB), afterMs: idleMs, cpuSecondsIdle: round(cpuSeconds(pid) - t0) });
    for (const step of STEPS) {
      peak = 0;
      const c0 = cpuSeconds(pid);
      const sent = await runPacedSenders(packets, health.ports.syslog, step.rate, step.ms, 2);
      await new Promise((r) => setTimeout(r, 5000)); // the queue drains and the writer catches up
      const after = status(pid);
      emit({
        role,
        figure: 'rss_syslog_peak_mib',
        rate: step.rate,
        achievedRate: Math.round(sent.sent / (sent.elapsedMs / 1000)),
        seconds: step.ms / 1000,
        value: round(peak),
        afterMiB: round(after.rssMiB),
        processPeakMiB: round(after.hwmMiB),
        cpuCores: round((cpuSeconds(pid) - c0) / ((step.ms + 5000) / 1000)),
      });
    }
  } finally {
    clearInterval(sampler);
  }
}

try {
  const all = await startServerProcess(join(dir, 'all'), { NMS_POLLER: 'true', NMS_POLL_WORKERS: '2', NMS_ADMIN_PASSWORD: 'bench-Password-4711' }, 120_000, 'dist');
  try {
    await measure('all', all, IDLE_MS);
  } finally {
    await all.stop();
  }
  const nats = await startNatsServer();
  try {
    const collector = await startServerProcess(join(dir, 'collector'), { NMS_ROLE: 'collector', NMS_SITE: 'bench', NMS_NATS_URL: nats.url, NMS_POLLER: 'true' }, 120_000, 'dist');
    try {
      await measure('collector', collector, 20_000);
    } finally {
      await collector.stop();
    }
  } finally {
    await nats.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
