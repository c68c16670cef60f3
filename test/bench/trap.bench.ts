/**
 * Traps fully STORED by the real server: the highest paced SNMPv2c trap rate at
 * which every trap sent ends up as a row in the server's `events` table (counted
 * from the server's own `events.stored` announcements), vs Debian's snmptrapd
 * logging to a file, same machine, same run.
 *
 *   npx tsx test/bench/trap.bench.ts
 *
 * (trap-intake.bench.ts measures the receiver alone; this one goes through the
 * whole intake: receiver -> bus -> rule engine -> batched SQLite writer.)
 *
 * Traps: an enterprise-specific v2c trap with 3 varbinds (~110 B), encoded by
 * net-snmp's own session code, request ids varied; no rule raises alarms on it,
 * so the figure is intake, not alarm work. A plain-JS child process (lib/paced-udp-sender.cjs) sends
 * the pre-encoded datagrams paced in millisecond bursts for DURATION_MS per step; a
 * step passes when nothing was lost (two attempts: the machine is shared) and is
 * credited with the rate the sender really achieved (at most the target).
 * One JSON line per figure on stdout; step details on stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snmp from 'net-snmp';
import { readKernelUdpStats } from '../../server/collectors/udp/kernel-udp-stats.js';
import { startTestServer } from '../helpers/server.js';
import { fileReference, freePort } from './lib/file-reference.js';
import { runPacedSender, writePacketFile } from './lib/paced-udp-sender.js';

const TRAP_OID = '1.3.6.1.4.1.8072.2.3.0.1';
const OURS = [5_000, 10_000, 15_000, 20_000, 25_000, 30_000, 40_000, 50_000, 60_000, 80_000, 100_000];
const REFERENCE = [500, 1_000, 2_000, 3_000, 4_000, 6_000, 8_000, 10_000, 15_000, 20_000, 25_000, 30_000, 40_000];
const DURATION_MS = 1500;
const ATTEMPTS = 2;

function encodeTraps(n: number): Buffer[] {
  const out: Buffer[] = [];
  const fake = {
    on() {}, bind() {}, unref() {}, close() {}, address: () => ({ port: 0 }),
    send(buf: Buffer, off: number, len: number, _p: number, _a: string, cb?: (e: null, n: number) => void) {
      out.push(Buffer.from(buf.subarray(off, off + len)));
      cb?.(null, len);
    },
  };
  const s = snmp.createSession('127.0.0.1', 'public', { version: snmp.Version2c, dgramModule: { createSocket: () => fake } }) as unknown as {
    trap(oid: string, vbs: snmp.Varbind[], cb: () => void): void;
  };
  for (let i = 0; i < n; i++) {
    s.trap(TRAP_OID, [
      { oid: `1.3.6.1.2.1.2.2.1.1.${i + 1}`, type: snmp.ObjectType.Integer, value: i + 1 },
      { oid: '1.3.6.1.4.1.8072.2.3.2.1', type: snmp.ObjectType.OctetString, value: `bench trap ${i}` },
      { oid: '1.3.6.1.4.1.8072.2.3.2.2', type: snmp.ObjectType.Counter32, value: i },
    ], () => undefined);
  }
  return out;
}

const runSender = (file: string, port: number, rate: number) => runPacedSender(file, port, rate, DURATION_MS);

/**
 * Waits until `count` reaches `expected`, or stops moving for 1.5 s while the
 * target has nothing in flight (a loaded machine can stall the writer for a while;
 * late rows must not be credited to the next step). At most 60 s.
 */
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
    } else if (Date.now() - stableSince > 1500 || Date.now() - t0 > 60_000) return n;
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Target {
  port: number;
  count(): number;
  /** Something received but not yet stored/logged. */
  busy(): boolean;
  stop(): Promise<void>;
}

async function server(): Promise<Target> {
  const srv = await startTestServer();
  let stored = 0;
  srv.nms.bus.subscribe('events.stored', (batch) => {
    for (const e of batch) if (e.type === TRAP_OID) stored++;
  });
  const port = srv.nms.listeners().find((l) => l.name === 'trap-udp')!.boundPort!;
  const busy = () => {
    const m = srv.nms.metrics.snapshot();
    return (m['trap.queue_depth'] ?? 0) > 0 || (m['events.backlog'] ?? 0) > 0;
  };
  return { port, count: () => stored, busy, stop: () => srv.stop() };
}

/** snmptrapd as PEERS.md runs it, own temp dir, one '@' per trap in its log file (-F), no MIBs. */
async function snmptrapd(probePacket: Buffer): Promise<Target | null> {
  if (!existsSync('/usr/sbin/snmptrapd')) return null;
  const dir = mkdtempSync(join(tmpdir(), 'nw-snmptrapd-'));
  const port = await freePort();
  const out = join(dir, 'out.log');
  writeFileSync(join(dir, 'snmptrapd.conf'), 'authCommunity log,execute,net public\n');
  const child: ChildProcess = spawn('/usr/sbin/snmptrapd', ['-f', '-C', '-c', join(dir, 'snmptrapd.conf'), '-Lf', out, '-n', '-F', '@\\n', '-M', '/dev/null', '-m', '', `udp:127.0.0.1:${port}`],
    { stdio: 'ignore', env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'persist') } });
  return fileReference({ child, dir, out, port, marker: 0x40, probe: probePacket });
}

async function ladder(name: string, rates: number[], file: string, make: () => Promise<Target | null>, deadline: number) {
  const t = await make();
  if (!t) return { best: null as number | null, steps: [] as unknown[] };
  let best = 0;
  const steps: unknown[] = [];
  try {
    for (const rate of rates) {
      let ok = false;
      for (let a = 0; a < ATTEMPTS && !ok && Date.now() < deadline; a++) {
        const before = t.count();
        const k0 = readKernelUdpStats().udp4RcvbufErrors;
        const { sent, elapsedMs } = await runSender(file, t.port, rate);
        const got = await settle(() => t.count() - before, sent, () => t.busy());
        const achieved = Math.round((sent / elapsedMs) * 1000);
        ok = got === sent;
        if (ok) best = Math.max(best, Math.min(rate, achieved));
        steps.push({ target: name, rate, attempt: a + 1, sent, stored: got, achievedRate: achieved, kernelDrops: readKernelUdpStats().udp4RcvbufErrors - k0 });
      }
      if (!ok) break;
    }
  } finally {
    await t.stop();
  }
  return { best, steps };
}

const t0 = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'nw-trapbench-'));
try {
  const packets = encodeTraps(1024);
  const file = join(dir, 'packets.bin');
  writePacketFile(file, packets);
  // Each ladder gets at most ~75 s so the whole bench stays under 3 minutes.
  const our = await ladder('netwatch-server', OURS, file, server, Date.now() + 75_000);
  const ref = await ladder('snmptrapd', REFERENCE, file, () => snmptrapd(packets[0]!), Date.now() + 75_000);
  for (const s of [...our.steps, ...ref.steps]) process.stderr.write(`# ${JSON.stringify(s)}\n`);
  const ratio = ref.best ? Math.round((our.best! / ref.best) * 100) / 100 : null;
  const common = { durationMs: DURATION_MS, loadAvg1m: Math.round(loadavg()[0]! * 100) / 100, elapsedSec: Math.round((Date.now() - t0) / 1000) };
  process.stdout.write(JSON.stringify({ bench: 'trap', metric: 'server_lossless_stored_traps_per_s', value: our.best, ladderMax: OURS.at(-1), target: '>= 20000', ...common }) + '\n');
  process.stdout.write(JSON.stringify({ bench: 'trap', metric: 'snmptrapd_lossless_logged_traps_per_s', value: ref.best, ladderMax: REFERENCE.at(-1), ...common }) + '\n');
  process.stdout.write(JSON.stringify({ bench: 'trap', metric: 'server_vs_snmptrapd_ratio', value: ratio, target: '>= 2' }) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
