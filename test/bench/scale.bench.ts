/**
 * Scale out (issue 15): syslog events STORED at the centre through collector -> NATS JetStream ->
 * central, beside the single-process `all` path, on the same machine with the same senders.
 *
 *   npm run build && npm run bench -- scale
 *   SCALE_STEP_SECONDS=5 SCALE_OUTAGE_SECONDS=10 npx tsx test/bench/scale.bench.ts    (a short run)
 *   NW_TEST_STORE=postgres SCALE_OUTAGE_SECONDS=0 npx tsx test/bench/scale.bench.ts  (both sides on PostgreSQL)
 *
 * - Set-ups (lib/scale-topology.ts), real processes from dist/, one after the other (never both
 *   at once): `all` (one process, no NATS); `scale` (nats-server -js, one central, collectors
 *   site-a and site-b).
 * - Senders: two paced sender processes (lib/paced-udp-sender.cjs) at half the step's rate each;
 *   on `scale` one per collector, on `all` both to its one port. RFC 5424 lines of ~200 B matched by
 *   no default rule (this measures the path, not alarm raising).
 * - Ladder (SCALE_RATES, total msg/s), SCALE_STEP_SECONDS (30) per step. After a step the bench waits
 *   for the store (`events.stored` at the console's /api/v1/status). A step is SUSTAINED when every
 *   message sent was stored, the senders kept >= 97 % of the pace, and the backlog (JetStream, queues)
 *   was stored within max(5 s, 10 % of the step) of the senders stopping: a path that stores
 *   everything only by queueing it does not sustain that rate. The ladder goes on until a step
 *   loses messages (stored < sent), the senders fall behind, or a backlog takes over 60 s to drain.
 *   Reported per side: the highest sustained rate, the highest rate stored in full (however late),
 *   and what stopped the ladder; and the ratio scale / all.
 * - Latency: at SCALE_LATENCY_RATE (1,000/s) for SCALE_LATENCY_SECONDS (10), datagram sent ->
 *   `events.new` at a socket.io client of the console, spread over both ports; p50/p99/max per side,
 *   waiting while probes keep arriving (up to 3 min); p99 is null if some never came.
 * - Outage (scale only): the central is stopped (SIGTERM), SCALE_OUTAGE_RATE (10,000/s) goes into
 *   collector site-a for SCALE_OUTAGE_SECONDS (60), each line unique; the central is started again.
 *   Reported: messages lost (sent - distinct lines of the run in the central's database, read-only,
 *   once all are in or nothing has moved for 30 s), duplicates, and the catch-up time from the
 *   central's start (spawn) to the last of them stored.
 * Poll capacity with two collectors (issue 15's third figure) is not here: collectors do not poll yet.
 * One JSON line per figure on stdout; steps and progress on stderr.
 *
 * @timeout-minutes 90
 */
import Database from 'better-sqlite3';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { testPostgres } from '../helpers/store-engines.js';
import { TEST_STORE } from '../helpers/test-store.js';
import { readKernelUdpStats } from '../../server/collectors/udp/kernel-udp-stats.js';
import { startPacedSender, writePacketFile, type SendResult } from './lib/paced-udp-sender.js';
import { startAll, startScale, type ScaleSide, type Side } from './lib/scale-topology.js';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const STEP_MS = env('SCALE_STEP_SECONDS', 30) * 1000;
const RATES = (process.env.SCALE_RATES ?? '500,1000,2000,5000,10000,20000,30000,40000,50000,60000,80000,100000,125000,150000').split(',').map(Number);
const LATENCY_RATE = env('SCALE_LATENCY_RATE', 1000);
const LATENCY_MS = env('SCALE_LATENCY_SECONDS', 10) * 1000;
const OUTAGE_RATE = env('SCALE_OUTAGE_RATE', 10_000);
const OUTAGE_MS = env('SCALE_OUTAGE_SECONDS', 60) * 1000;
/** A step is sustained only if what was queued is stored this soon after the senders stop. */
const DRAIN_MS = Math.max(5000, STEP_MS / 10);
/** Past this, the ladder stops: the path is far behind, and waiting longer only costs time. */
const BACKLOG_MAX_MS = 60_000;
const MIN_PACE = 0.97;
const SENDER_PRIORITY = -10;
const T0 = Date.now();
const MACHINE = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, note: 'every process (senders, nats-server, central, collectors) on the same 2-core machine; the targets are for real hardware' };

const say = (m: string) => process.stderr.write(`# scale ${Math.round((Date.now() - T0) / 1000)}s: ${m}\n`);
const line = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'scale', ...o })}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => Math.round(loadavg()[0]! * 100) / 100;

function message(tag: string, i: number): Buffer {
  const ts = `2026-12-07T03:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z`;
  return Buffer.from(`<134>1 ${ts} edge-router-${i % 64}.example.net bench 4242 ${tag} [meta@32473 seq="${i}" site="dc1"] %SEC-6-IPACCESSLOGP: list 101 permitted tcp 10.1.${i % 250}.7(51514) -> 10.2.2.2(443), 1 packet ${tag.toLowerCase()}-${i}`);
}

const work = mkdtempSync(join(tmpdir(), 'nw-scalebench-'));
const LADDER_FILE = join(work, 'ladder.bin');
writePacketFile(LADDER_FILE, Array.from({ length: 1024 }, (_, i) => message('SCALE', i)));

/** Two paced senders, `rate` in total, one per port. */
async function send(ports: number[], rate: number, ms: number, file = LADDER_FILE): Promise<SendResult> {
  const rs = await Promise.all(ports.map((p, k) => startPacedSender(file, p, rate / ports.length, ms, { priority: SENDER_PRIORITY, offset: k * 512 }).done));
  return { sent: rs.reduce((a, r) => a + r.sent, 0), elapsedMs: Math.max(...rs.map((r) => r.elapsedMs)) };
}

const storedOf = (c: Record<string, number>) => c['events.stored'] ?? 0;
const busyOf = (c: Record<string, number>) => (c['events.backlog'] ?? 0) + (c['syslog.queue_depth'] ?? 0) + (c['nats_consumer.lag'] ?? 0) + (c['nats_consumer.pending'] ?? 0) > 0;

/**
 * Waits until `target` more than `base` are stored, or nothing has moved for `quietMs` with nothing
 * queued at the console, or `maxMs` passed. Returns what was stored and when the last one was.
 */
async function settle(side: Side, base: number, target: number, quietMs: number, maxMs: number): Promise<{ got: number; doneAt: number; moving: boolean }> {
  const t0 = Date.now();
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    let c: Record<string, number>;
    try {
      c = await side.counters();
    } catch {
      c = {};
    }
    const got = storedOf(c) - base;
    if (got !== last) [last, movedAt] = [got, Date.now()];
    if (got >= target) return { got, doneAt: Date.now(), moving: false };
    if (!busyOf(c) && Date.now() - movedAt > quietMs) return { got, doneAt: movedAt, moving: false };
    if (Date.now() - t0 > maxMs) return { got, doneAt: movedAt, moving: Date.now() - movedAt < quietMs };
    await sleep(100);
  }
}

type Stop = 'loss' | 'sender fell behind' | 'backlog' | 'ladder end';

async function ladder(side: Side): Promise<{ sustained: number; storedInFull: number; stoppedBy: Stop; steps: Record<string, unknown>[] }> {
  let sustained = 0;
  let storedInFull = 0;
  let stoppedBy: Stop = 'ladder end';
  const steps: Record<string, unknown>[] = [];
  for (const rate of RATES) {
    const c0 = await side.counters();
    const base = storedOf(c0);
    const k0 = readKernelUdpStats().udp4RcvbufErrors;
    const { sent, elapsedMs } = await send(side.ports, rate, STEP_MS);
    const end = Date.now();
    const { got, doneAt, moving } = await settle(side, base, sent, 3000, BACKLOG_MAX_MS);
    // Batches the central took from JetStream in the step (none on `all`): events per batch shows the path's granularity.
    const batches = ((await side.counters())['nats_consumer.received'] ?? 0) - (c0['nats_consumer.received'] ?? 0);
    const achieved = Math.round((sent / elapsedMs) * 1000);
    const drainMs = got >= sent ? Math.max(0, doneAt - end) : null;
    const paced = achieved >= MIN_PACE * rate;
    const step = { side: side.name, rate, sent, stored: got, lost: moving ? null : sent - got, notYetStored: moving ? sent - got : 0, achievedRate: achieved, paced, drainMs, stillStoringAfterMs: moving ? BACKLOG_MAX_MS : null, natsBatches: batches || null, kernelDrops: readKernelUdpStats().udp4RcvbufErrors - k0, loadAvg1m: load() };
    steps.push(step);
    say(JSON.stringify(step));
    if (got < sent) {
      // Still storing when the wait ended: behind, not (yet) lossy; the next phase waits for the rest.
      stoppedBy = moving ? 'backlog' : 'loss';
      break;
    }
    if (!paced) {
      stoppedBy = 'sender fell behind';
      break;
    }
    storedInFull = Math.min(rate, achieved);
    if (drainMs! <= DRAIN_MS) sustained = Math.min(rate, achieved);
    if (drainMs! > BACKLOG_MAX_MS / 2) {
      stoppedBy = 'backlog';
      break;
    }
  }
  return { sustained, storedInFull, stoppedBy, steps };
}

/** Datagram sent -> `events.new` at a socket.io client of the console. */
async function latency(side: Side): Promise<Record<string, unknown>> {
  const socket = io(side.url, { transports: ['websocket'], extraHeaders: { cookie: side.cookie } });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const sentAt = new Map<number, number>();
  const lat: number[] = [];
  socket.on('events.new', (batch: { message: string }[]) => {
    const now = performance.now();
    for (const e of batch) {
      const m = /latency-probe (\d+)/.exec(e.message);
      const t = m ? sentAt.get(Number(m[1])) : undefined;
      if (t !== undefined) lat.push(now - t);
    }
  });
  const sock = dgram.createSocket('udp4');
  const total = Math.round((LATENCY_RATE * LATENCY_MS) / 1000);
  const t0 = performance.now();
  for (let i = 0; i < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * LATENCY_RATE) / 1000));
    for (; i < due; i++) {
      sentAt.set(i, performance.now());
      sock.send(`<134>1 ${new Date().toISOString()} bench app - PROBE - latency-probe ${i}`, side.ports[i % side.ports.length]!, '127.0.0.1');
    }
    await sleep(1);
  }
  // Probes stuck behind a backlog still count: wait while they keep coming (up to 3 minutes).
  for (let n = -1, since = Date.now(), t = Date.now(); lat.length < total && Date.now() - since < 10_000 && Date.now() - t < 180_000; await sleep(100)) {
    if (lat.length !== n) [n, since] = [lat.length, Date.now()];
  }
  socket.close();
  sock.close();
  const s = lat.sort((a, b) => a - b);
  const pct = (q: number) => Math.round((s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? NaN) * 10) / 10;
  // Percentiles over the probes received; with some missing, p99 is null (p99OfReceived says what came).
  return { p99: s.length === total ? pct(0.99) : null, p99OfReceived: pct(0.99), p50: pct(0.5), max: pct(1), received: s.length, sent: total };
}

/** The centre away for OUTAGE_MS while collector site-a takes OUTAGE_RATE. */
async function outage(side: ScaleSide): Promise<Record<string, unknown>> {
  const total = Math.round((OUTAGE_RATE * OUTAGE_MS) / 1000);
  const file = join(work, 'outage.bin');
  writePacketFile(file, Array.from({ length: total }, (_, i) => message('OUTAGE', i)));
  const dbPath = await side.dbPath();
  await side.stopCentral();
  say(`central stopped; ${OUTAGE_RATE}/s into site-a for ${OUTAGE_MS / 1000} s`);
  const k0 = readKernelUdpStats().udp4RcvbufErrors;
  const { sent, elapsedMs } = await send([side.ports[0]!], OUTAGE_RATE, OUTAGE_MS, file);
  const kernelDrops = readKernelUdpStats().udp4RcvbufErrors - k0;
  await sleep(1000);
  const t0 = Date.now();
  await side.startCentral();
  const consoleUpMs = Date.now() - t0;
  say(`central up again after ${consoleUpMs} ms; waiting for ${sent} events`);
  // Counted in the central's database (read-only, WAL: committed rows only), by this run's type.
  const ro = new Database(dbPath, { readonly: true, fileMustExist: true });
  const count = ro.prepare<[], { n: number; d: number }>("SELECT count(*) AS n, count(DISTINCT message) AS d FROM events WHERE type = 'OUTAGE'");
  let rows = count.get()!;
  let doneAt = Date.now();
  for (let last = -1; rows.n < sent && Date.now() - doneAt < 30_000 && Date.now() - t0 < 900_000; rows = count.get()!) {
    if (rows.n !== last) [last, doneAt] = [rows.n, Date.now()];
    await sleep(250);
  }
  if (rows.n >= sent) doneAt = Date.now();
  rows = count.get()!;
  ro.close();
  const got = rows.n;
  rmSync(file, { force: true });
  return {
    // Not all in when the wait ended while rows were still coming: not lost, not yet stored (the catch-up outlasted the wait).
    sent, achievedRate: Math.round((sent / elapsedMs) * 1000), rows: rows.n, distinct: rows.d, duplicates: rows.n - rows.d,
    lost: rows.d >= sent || Date.now() - doneAt >= 30_000 ? sent - rows.d : null, notYetStored: rows.d < sent && Date.now() - doneAt < 30_000 ? sent - rows.d : 0,
    catchUpMs: got >= sent ? doneAt - t0 : null, consoleUpMs, kernelDrops,
  };
}

async function main(): Promise<void> {
  const common = { stepSeconds: STEP_MS / 1000, drainLimitMs: DRAIN_MS, ladder: RATES, senders: 2, store: TEST_STORE, machine: MACHINE };
  say('all: starting one process');
  const all = await startAll();
  let a: Awaited<ReturnType<typeof ladder>>;
  let aLat: Record<string, unknown>;
  try {
    a = await ladder(all);
    await settle(all, 0, Infinity, 2000, 60_000);
    aLat = await latency(all);
  } finally {
    await all.stop();
  }
  say('scale: starting nats-server, central, collectors site-a and site-b');
  const scale = await startScale();
  try {
    const s = await ladder(scale);
    await settle(scale, 0, Infinity, 2000, 600_000);
    const sLat = await latency(scale);
    await settle(scale, 0, Infinity, 2000, 600_000);
    // SCALE_OUTAGE_SECONDS=0 leaves the outage out (it counts the lines in the central's SQLite file).
    const o = OUTAGE_MS > 0 ? await outage(scale) : null;
    const what = { all: 'one process (`all`, no NATS), both senders to its syslog port', scale: 'two collectors (one sender each) -> nats-server JetStream -> one central' };
    line({ metric: 'sustained_stored_msg_per_s', side: 'all', what: what.all, value: a.sustained, storedInFull: a.storedInFull, stoppedBy: a.stoppedBy, ...common, loadAvg1m: load() });
    line({ metric: 'sustained_stored_msg_per_s', side: 'scale', what: what.scale, value: s.sustained, storedInFull: s.storedInFull, stoppedBy: s.stoppedBy, target: '>= 50000 (real hardware, PostgreSQL)', ...common, loadAvg1m: load() });
    line({ metric: 'scale_vs_all_ratio', value: a.sustained ? Math.round((s.sustained / a.sustained) * 100) / 100 : null, scale: s.sustained, all: a.sustained, machine: MACHINE });
    line({ metric: 'syslog_to_socket_p99_ms', side: 'all', rate: LATENCY_RATE, seconds: LATENCY_MS / 1000, value: aLat.p99, ...aLat });
    line({ metric: 'syslog_to_socket_p99_ms', side: 'scale', rate: LATENCY_RATE, seconds: LATENCY_MS / 1000, value: sLat.p99, ...sLat, target: '< 500' });
    if (o) line({ metric: 'centre_outage_lost', value: o.lost, rate: OUTAGE_RATE, outageSeconds: OUTAGE_MS / 1000, ...o, target: '0 lost', machine: MACHINE });
    for (const st of [...a.steps, ...s.steps]) process.stderr.write(`# ${JSON.stringify(st)}\n`);
    say(`done in ${Math.round((Date.now() - T0) / 1000)} s`);
  } finally {
    await scale.stop();
  }
}

for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => (rmSync(work, { recursive: true, force: true }), process.exit(1)));
try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
  // NW_TEST_STORE=postgres: the run's PostgreSQL (vitest stops it after a test file; here nobody else does).
  if (TEST_STORE === 'postgres') await (await testPostgres()).stop();
}
