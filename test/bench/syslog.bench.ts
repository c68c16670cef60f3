/**
 * Syslog intake: the highest paced UDP rate (RFC 5424, ~200 B) at which every
 * message sent is
 *   - STORED by the real server (a row in `events`, counted from the server's
 *     own `events.stored` announcements: listener -> bus -> rule engine -> writer),
 *   - parsed by the syslog listener alone (no store), and
 *   - written to a file by rsyslog (imudp -> omfile, Debian's `rsyslog`),
 * on the same machine in the same run.
 *
 *   npx tsx test/bench/syslog.bench.ts      (or: npm run bench -- syslog)
 *
 * Paced sender processes (lib/paced-udp-sender.cjs: millisecond bursts, no spinning)
 * send for 1.5 s per step; a step passes when
 * nothing was lost and the senders kept at least 97% of the pace (two
 * attempts, the machine is shared) and is credited with
 * the rate the sender really achieved (at most the target). One JSON line per
 * figure on stdout, ladder steps on stderr. Bounded: each ladder stops at its
 * first lossy step, and no new step starts after 140 s (`stoppedBy` says
 * which; a reference stopped by time is a lower bound). Without rsyslogd the reference
 * is null.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { createSyslogListener } from '../../server/collectors/syslog/syslog.listener.js';
import { readKernelUdpStats } from '../../server/collectors/udp/kernel-udp-stats.js';
import { startTestServer } from '../helpers/server.js';
import { fileReference, freePort } from './lib/file-reference.js';
import { runPacedSenders, writePacketFile } from './lib/paced-udp-sender.js';

// 110,000 between 100,000 and 125,000: around the half of rsyslog's figure, a 25% step was too coarse.
const RATES = [10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 80_000, 100_000, 110_000, 125_000, 150_000, 200_000, 250_000, 300_000, 400_000];
const DURATION_MS = 1500;
const ATTEMPTS = 2;
const SENDERS = 2;
/** Whole-run budget: ladders that would start after it are skipped (reported as such). */
const BUDGET_MS = 140_000;
const T0 = Date.now();

function message(i: number): Buffer {
  // Timestamps differ per message (ms precision), as in a real flood.
  const ts = `2024-06-15T11:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z`;
  // Informational and matched by no default rule: this measures intake, not alarm raising.
  const body = `<134>1 ${ts} edge-router-${i % 64}.example.net bench 4242 SEQ [meta@32473 seq="${i}" site="dc1"] %SEC-6-IPACCESSLOGP: list 101 permitted tcp 10.1.${i % 250}.7(51514) -> 10.2.2.2(443), 1 packet`;
  return Buffer.from(body);
}

/** Written once per run; the paced senders replay it round-robin. */
const PACKETS = join(mkdtempSync(join(tmpdir(), 'nw-syslogbench-')), 'packets.bin');
writePacketFile(PACKETS, Array.from({ length: 1024 }, (_, i) => message(i)));

/**
 * The senders run at nice -10 when allowed (same for every receiver): the load
 * must not slow down because the receiver under test takes the CPU (it did: our
 * server's threads held the senders to ~85,000/s at a 125,000 target, which the
 * ladder then credited as lossless at 85,000). Each receiver otherwise runs
 * with its own defaults: rsyslog at nice 0, our UDP receive threads at their
 * default nice -20 (syslogReceivePriority). Those outrank the senders, but only
 * copy what arrives; were the senders slowed anyway, the step is credited with
 * the rate they achieved, never the target.
 */
const SENDER_PRIORITY = -10;
const runSenders = (port: number, rate: number) => runPacedSenders(PACKETS, port, rate, DURATION_MS, SENDERS, SENDER_PRIORITY);

async function settle(count: () => number, expected: number, busy: () => boolean): Promise<number> {
  let last = -1;
  let stableSince = Date.now();
  const t0 = Date.now();
  for (;;) {
    const n = count();
    if (n >= expected) return n;
    if (n !== last || busy()) {
      last = n;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > 1000) return n;
    if (Date.now() - t0 > 30_000) return n;
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Receiver {
  port: number;
  count(): number;
  /** Something received but not yet parsed/stored. */
  busy(): boolean;
  stop(): Promise<void>;
}

/** The real server (as tests start it): counts our bench messages as they are stored. */
async function server(): Promise<Receiver> {
  const srv = await startTestServer();
  // The OID dictionary compiles in the background after start: let it finish so it does not steal the CPU.
  await srv.nms.mibs.idle();
  let stored = 0;
  srv.nms.bus.subscribe('events.stored', (batch) => {
    for (const e of batch) if (e.type === 'SEQ') stored++;
  });
  const port = srv.nms.listeners().find((l) => l.name === 'syslog-udp')!.boundPort!;
  const busy = () => {
    const m = srv.nms.metrics.snapshot();
    return (m['syslog.queue_depth'] ?? 0) > 0 || (m['events.backlog'] ?? 0) > 0;
  };
  return { port, count: () => stored, busy, stop: () => srv.stop() };
}

async function ours(): Promise<Receiver> {
  let n = 0;
  // As the server runs it: UDP drained by a receive thread.
  const l = createSyslogListener({ udpPort: 0, tcpPort: null, host: '127.0.0.1', host6: null, receiveThread: true, logger: pino({ level: 'silent' }) }, (evs) => {
    for (const e of evs) if (!e.params.parseError) n++;
  });
  const st = await l.start();
  return { port: st.find((s) => s.name === 'syslog-udp')!.boundPort!, count: () => n, busy: () => l.counters().queue_depth! > 0, stop: () => l.stop() };
}

async function rsyslog(): Promise<Receiver | null> {
  if (!existsSync('/usr/sbin/rsyslogd')) return null;
  const dir = mkdtempSync(join(tmpdir(), 'nw-rsyslog-'));
  const port = await freePort();
  const out = join(dir, 'out.log');
  writeFileSync(join(dir, 'rsyslog.conf'), [
    `global(workDirectory="${dir}" maxMessageSize="64k")`,
    'module(load="imudp" threads="1")',
    `input(type="imudp" address="127.0.0.1" port="${port}" rcvbufSize="16m")`,
    'template(name="short" type="string" string="%msgid%\\n")',
    `*.* action(type="omfile" file="${out}" template="short")`,
  ].join('\n'));
  const child: ChildProcess = spawn('/usr/sbin/rsyslogd', ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslog.pid')], { stdio: 'ignore' });
  return fileReference({ child, dir, out, port, marker: 0x0a, probe: Buffer.from('<13>1 - - probe - PROBE - ready') });
}

type Stop = 'loss' | 'sender fell behind' | 'time budget' | 'ladder end' | 'not installed';

/**
 * A step counts only when the senders kept the pace: at least this share of
 * the target rate. Our receive threads outrank the senders (nice -20 vs -10),
 * and a receiver that starves its own load generator spreads the step over
 * more time and then "passes" a rate it never faced (one run passed the
 * 200,000 step at 184,640 achieved that way). On a real network the senders
 * are elsewhere and do not slow down.
 */
const MIN_PACE = 0.97;

async function ladder(name: string, make: () => Promise<Receiver | null>): Promise<{ best: number | null; stoppedBy: Stop; steps: unknown[] }> {
  if (Date.now() - T0 > BUDGET_MS) return { best: null, stoppedBy: 'time budget', steps: [] };
  const r = await make();
  if (!r) return { best: null, stoppedBy: 'not installed', steps: [] };
  let stoppedBy: Stop = 'ladder end';
  let best = 0;
  const steps: unknown[] = [];
  try {
    for (const rate of RATES) {
      let ok = false;
      let failed: Stop = 'loss';
      for (let a = 0; a < ATTEMPTS && !ok; a++) {
        const before = r.count();
        const k0 = readKernelUdpStats().udp4RcvbufErrors;
        const { sent, elapsedMs } = await runSenders(r.port, rate);
        const got = await settle(() => r.count() - before, sent, () => r.busy());
        const achieved = Math.round((sent / elapsedMs) * 1000);
        // Lossless at (nearly) the target pace passes, credited with what the senders achieved.
        const lossless = got === sent;
        const paced = achieved >= MIN_PACE * rate;
        ok = lossless && paced;
        if (ok) best = Math.max(best, Math.min(rate, achieved));
        else failed = lossless ? 'sender fell behind' : 'loss';
        steps.push({ receiver: name, rate, attempt: a + 1, sent, received: got, achievedRate: achieved, paced, kernelDrops: readKernelUdpStats().udp4RcvbufErrors - k0 });
      }
      if (!ok) {
        stoppedBy = failed;
        break;
      }
      if (Date.now() - T0 > BUDGET_MS) {
        stoppedBy = 'time budget';
        break;
      }
    }
  } finally {
    await r.stop();
  }
  return { best, stoppedBy, steps };
}

async function main(): Promise<void> {
  // The two figures the targets are about first; the listener-only figure gets what time is left.
  const stored = await ladder('netwatch-server', server);
  const ref = await ladder('rsyslog', rsyslog);
  const parsed = await ladder('netwatch-listener', ours);
  for (const s of [...stored.steps, ...parsed.steps, ...ref.steps]) process.stderr.write(`# ${JSON.stringify(s)}\n`);
  const common = { referenceName: 'rsyslog imudp->omfile', reference: ref.best, target: '>= 50000 and >= 0.5x rsyslog', ladderMax: RATES.at(-1), stepMs: DURATION_MS, loadAvg1m: Math.round(loadavg()[0]! * 100) / 100 };
  const ratio = (v: number | null) => (ref.best && v !== null ? Math.round((v / ref.best) * 100) / 100 : null);
  const line = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
  line({ bench: 'syslog-intake', metric: 'lossless_stored_msg_per_s', what: 'every message stored by the real server (UDP receive thread)', value: stored.best, stoppedBy: stored.stoppedBy, ratio: ratio(stored.best), ...common });
  line({ bench: 'syslog-intake', metric: 'lossless_parsed_msg_per_s', what: 'every message parsed by the listener (receive thread, no store)', value: parsed.best, stoppedBy: parsed.stoppedBy, ratio: ratio(parsed.best), ...common });
  line({ bench: 'syslog-intake', metric: 'rsyslog_lossless_msg_per_s', what: 'every message written to a file by rsyslogd', value: ref.best, stoppedBy: ref.stoppedBy, elapsedSec: Math.round((Date.now() - T0) / 1000) });
}

if (spawnSync('/usr/sbin/rsyslogd', ['-v']).status !== 0) process.stderr.write('# rsyslog not installed: apt-get install -y rsyslog for the reference\n');
try {
  await main();
} finally {
  rmSync(dirname(PACKETS), { recursive: true, force: true });
}
