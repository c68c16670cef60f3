/**
 * Event storm (issue 14): fill the REAL server process with N events through
 * its real syslog and trap listeners, then measure the console's reads while
 * intake continues.
 *
 *   npm run build && npm run bench -- storm          (N = 10,000,000)
 *   STORM_EVENTS=500000 npx tsx test/bench/storm.bench.ts
 *
 * - Server: `node --openssl-legacy-provider --disable-proto=throw dist/server/main.js` (the build),
 *   its own temp data dir (deleted at the end), free ports on 127.0.0.1, default settings.
 * - Traffic (lib/storm-traffic.ts): 50 devices registered through the API on 127.0.1.1–50 and
 *   5 unknown senders on 127.0.2.1–5, each datagram sent from its sender's address; Cisco IOS,
 *   ASA, Junos and Linux lines (RFC 3164 and 5424), 5 % real SNMPv2c traps. One line carries a
 *   planted word, sent once per pass over the pool (the pool is sized for ~100 passes).
 * - Fill: 10 s steps of paced senders, each step waited for until stored; the rate starts at
 *   STORM_FILL_RATE (50,000/s), rises 10 % after a lossless step and falls 20 % after a lossy
 *   one, never again above 95 % of a lossy rate (nor above what the senders achieved): as fast
 *   as the server stores everything. The count is checked in the database (read-only
 *   connection) at the end; messages lost in a step are counted and made up for.
 * - Reads, with intake continuing at STORM_READ_RATE (20,000/s): each figure is up to
 *   STORM_REQUESTS (200) sequential GETs or STORM_FIGURE_SECONDS (60) s, whichever ends first,
 *   each with a client timeout STORM_TIMEOUT_MS (30 s; a timeout counts at that value). Latency
 *   percentiles include every answer (errors and 503s too). A parameter the server answers 400
 *   to (one it does not know yet) makes that figure `unsupported`. /api/v1/health is probed every
 *   10 ms throughout by a separate loop (lib/storm-http.ts).
 * One JSON line per figure on stdout; progress on stderr.
 *
 * @timeout-minutes 240
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { writePacketFile } from './lib/paced-udp-sender.js';
import { HealthProber, HttpClient, quantile } from './lib/storm-http.js';
import { StormIntake } from './lib/storm-intake.js';
import { FILTER_TYPE, FILTER_TYPE_PREFIX, NO_MATCH_WORD, PLANTED_WORD, senders, syslogPool, trapPool } from './lib/storm-traffic.js';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const N = env('STORM_EVENTS', 10_000_000);
const FILL_RATE = env('STORM_FILL_RATE', 50_000);
const READ_RATE = env('STORM_READ_RATE', 20_000);
const REQUESTS = env('STORM_REQUESTS', 200);
const FIGURE_MS = env('STORM_FIGURE_SECONDS', 60) * 1000;
const TIMEOUT_MS = env('STORM_TIMEOUT_MS', 30_000);
const STEP_MS = 10_000;
const PASSWORD = 'storm-bench-Password-1';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const T0 = Date.now();

const say = (m: string) => process.stderr.write(`# storm ${Math.round((Date.now() - T0) / 1000)}s: ${m}\n`);
const line = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'storm', ...o, events: N })}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The newest mtime under a directory (to warn when dist is older than the sources). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) t = Math.max(t, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs);
  return t;
}

let server: ServerProcess | undefined;
let intakeStop: (() => void) | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'nw-storm-'));
const cleanup = async () => {
  intakeStop?.();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
};
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void cleanup().finally(() => process.exit(1)));

async function main(): Promise<void> {
  const built = join(ROOT, 'dist/server/main.js');
  try {
    if (statSync(built).mtimeMs < newest(join(ROOT, 'server'))) say('WARNING: dist/ is older than server/: run npm run build');
  } catch {
    throw new Error('dist/server/main.js is missing: run npm run build first');
  }
  server = await startServerProcess(join(dataDir, 'data'), {
    NMS_ADMIN_PASSWORD: PASSWORD,
    NMS_SYSLOG_HOST: '127.0.0.1',
    NMS_TRAP_HOST: '127.0.0.1',
  }, 120_000, 'dist');
  const url = server.url;
  const login = await new HttpClient(url).request('POST', '/api/v1/auth/login', { username: 'admin', password: PASSWORD });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.body}`);
  const api = new HttpClient(url, { authorization: `Bearer ${(JSON.parse(login.body) as { token: string }).token}` }, TIMEOUT_MS);
  const json = async <T>(path: string): Promise<T> => {
    const r = await api.get(path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body) as T;
  };

  // The OID dictionary compiles in the background after start: let it finish so it does not take the CPU from the fill.
  for (let t = Date.now(); Date.now() - t < 120_000 && (await json<{ loading: boolean }>('/api/v1/mibs')).loading; ) await sleep(250);

  // 50 devices through the API (no polling: only their traffic matters here).
  const all = senders();
  const deviceIds = new Map<string, number>();
  for (const s of all.filter((x) => x.name)) {
    const r = await api.request('POST', '/api/v1/devices', { name: s.name, address: s.address, icmpEnabled: false, snmp: { enabled: false } });
    if (r.status !== 201) throw new Error(`device ${s.name}: ${r.status} ${r.body}`);
    deviceIds.set(s.name!, (JSON.parse(r.body) as { id: number }).id);
  }
  const health = await json<{ ports: { syslog: number; trap: number } }>('/api/v1/health');

  // Pools sized so the planted line is sent ~100 times in the fill.
  const poolDir = mkdtempSync(join(tmpdir(), 'nw-storm-pool-'));
  const sysPool = syslogPool(Math.max(1000, Math.round((N * 0.95) / 100)), all);
  const trp = trapPool(Math.max(500, Math.round((N * 0.05) / 100)), all.filter((s) => s.name));
  writePacketFile(join(poolDir, 'syslog.bin'), sysPool.packets);
  // The reads' intake sends the same lines but the planted and the critical one (each replaced by the same
  // sender's line one round earlier): their counts stay what the fill made.
  writePacketFile(join(poolDir, 'syslog-reads.bin'), sysPool.packets.map((p, i) => (i === sysPool.plantedAt || i === sysPool.criticalAt ? sysPool.packets[i - sysPool.sources.length]! : p)));
  writePacketFile(join(poolDir, 'traps.bin'), trp.packets);
  const intake = new StormIntake(
    { file: join(poolDir, 'syslog.bin'), size: sysPool.packets.length, sources: sysPool.sources, port: health.ports.syslog },
    { file: join(poolDir, 'traps.bin'), size: trp.packets.length, sources: trp.sources, port: health.ports.trap },
  );
  const counters = async () => (await json<{ counters: Record<string, number>; database: { path: string; sizeBytes: number } }>('/api/v1/status'));
  const stored = async () => (await counters()).counters['events.stored'] ?? 0;
  /** Waits until `target` events are stored, or nothing has moved for 2 s (then what was lost is lost). */
  const settle = async (target: number): Promise<number> => {
    let last = -1;
    let still = Date.now();
    for (;;) {
      const c = (await counters()).counters;
      const n = c['events.stored'] ?? 0;
      const busy = (c['syslog.queue_depth'] ?? 0) + (c['trap.queue_depth'] ?? 0) + (c['events.backlog'] ?? 0) > 0;
      if (n >= target) return n;
      if (n !== last || busy) [last, still] = [n, Date.now()];
      else if (Date.now() - still > 2000) return n;
      await sleep(200);
    }
  };

  const prober = new HealthProber(url, 10, TIMEOUT_MS);
  prober.label = 'fill';
  prober.start();

  // ---- Fill ----
  const base = await stored();
  const fillStart = Date.now();
  let rate = FILL_RATE;
  /** The rate never rises again to where a step lost messages or the senders fell behind. */
  let ceiling = 200_000;
  const kernelAtFill = kernelDrops(await counters());
  const steps: { rate: number; sent: number; stored: number; achieved: number }[] = [];
  let lost = 0;
  for (let done = 0; done < N; ) {
    const ms = Math.min(STEP_MS, Math.ceil(((N - done) / rate) * 1000));
    const run = intake.run(rate, ms);
    intakeStop = run.stop;
    const sent = await run.done;
    const before = base + done;
    const now = (await settle(before + sent.sent)) - before;
    const achieved = Math.round((sent.sent / sent.elapsedMs) * 1000);
    steps.push({ rate: Math.round(rate), sent: sent.sent, stored: now, achieved });
    done += now;
    lost += Math.max(0, sent.sent - now);
    say(`fill ${done.toLocaleString('en')} / ${N.toLocaleString('en')} at ${Math.round(rate)}/s (achieved ${achieved}/s), step lost ${sent.sent - now}`);
    if (now < sent.sent) [ceiling, rate] = [Math.min(ceiling, rate * 0.95), rate * 0.8];
    else if (achieved < 0.97 * rate) ceiling = Math.min(ceiling, achieved);
    else rate = Math.min(rate * 1.1, ceiling);
  }
  const fillEnd = Date.now();
  prober.label = 'idle';
  const fillSec = (fillEnd - fillStart) / 1000;
  const status = await counters();
  const dbPath = status.database.path;
  const fileBytes = (suffix: string) => { try { return statSync(dbPath + suffix).size; } catch { return 0; } };

  // The count, from the database itself (read-only connection beside the server).
  const ro = new Database(dbPath, { readonly: true, fileMustExist: true });
  const bySource = Object.fromEntries(ro.prepare<[], { source: string; n: number }>('SELECT source, count(*) AS n FROM events GROUP BY source').all().map((r) => [r.source, r.n]));
  const maxId = (ro.prepare('SELECT max(id) AS m FROM events').get() as { m: number }).m;
  const pages = { page_size: ro.pragma('page_size', { simple: true }), page_count: ro.pragma('page_count', { simple: true }), freelist_count: ro.pragma('freelist_count', { simple: true }) };
  ro.close();
  const inDb = (bySource.syslog ?? 0) + (bySource.trap ?? 0);
  const db = fileBytes('');
  const wal = fileBytes('-wal');
  line({ figure: 'fill_seconds', value: Math.round(fillSec), rateMsgPerS: Math.round((N / fillSec)), startRate: FILL_RATE, endRate: Math.round(rate), sentTotal: intake.sent, storedCounted: inDb, lostInFill: lost, kernelDropsHostWide: kernelDrops(status) - kernelAtFill, counters: pick(status.counters, /^(syslog|trap)\.(received|dropped|parse_errors)$|^events\.(stored|dropped|write_errors)$/), steps: steps.length, target: 'report' });
  line({ figure: 'fill_rate_msg_per_s', value: Math.round(N / fillSec), what: 'events stored / wall time of the fill, waits between steps included; no loss in a step is the pace rule', lossyFillSteps: steps.filter((s) => s.stored < s.sent).length, target: 'report' });
  line({ figure: 'stored_events_in_db', value: inDb, bySource, target: `>= ${N}`, met: inDb >= N });
  const mean = (ps: Buffer[]) => Math.round(ps.reduce((a, p) => a + p.length, 0) / ps.length);
  line({ figure: 'bytes_per_event', value: Math.round((db + wal) / Math.max(1, inDb)), dbBytes: db, walBytes: wal, ...pages, meanSyslogBytes: mean(sysPool.packets), meanTrapBytes: mean(trp.packets), target: 'report (today ~440 per 200-byte syslog message)' });
  line({ figure: 'database_bytes', value: db + wal, target: 'report' });
  const fillHealth = prober.stats('fill');
  line({ figure: 'health_p99_ms_during_fill', value: fillHealth.p99, ...fillHealth, target: '< 50', met: fillHealth.p99 !== null && fillHealth.p99 < 50 });

  // ---- Reads with intake continuing ----
  const readIntake = new StormIntake(
    { file: join(poolDir, 'syslog-reads.bin'), size: sysPool.packets.length, sources: sysPool.sources, port: health.ports.syslog },
    { file: join(poolDir, 'traps.bin'), size: trp.packets.length, sources: trp.sources, port: health.ports.trap },
  );
  const kernelBefore = kernelDrops(await counters());
  const readRun = readIntake.run(READ_RATE, 24 * 3_600_000);
  intakeStop = readRun.stop;
  const readStart = Date.now();
  const mid = Math.round((fillStart + fillEnd) / 2);
  const minute = `from=${mid - 30_000}&to=${mid + 30_000}`;
  const dev = deviceIds.get('core-sw07')!;
  const figures: { name: string; path: string; target: number; cursorOf?: boolean }[] = [
    { name: 'dashboard', path: '/api/v1/dashboard', target: 150 },
    { name: 'events_latest', path: '/api/v1/events', target: 100 },
    { name: 'search_no_match', path: `/api/v1/events?q=${NO_MATCH_WORD}`, target: 300 },
    { name: 'search_100_matches', path: `/api/v1/events?q=${PLANTED_WORD}`, target: 300 },
    { name: 'filter_source_trap', path: '/api/v1/events?source=trap', target: 100 },
    { name: 'filter_severity_critical', path: '/api/v1/events?severity=critical', target: 100 },
    { name: 'filter_severity_warning', path: '/api/v1/events?severity=warning', target: 100 },
    { name: 'filter_device', path: `/api/v1/events?device=${dev}`, target: 100 },
    { name: 'filter_type', path: `/api/v1/events?type=${encodeURIComponent(FILTER_TYPE)}`, target: 100 },
    { name: 'filter_type_prefix', path: `/api/v1/events?type=${encodeURIComponent(FILTER_TYPE_PREFIX)}`, target: 100 },
    { name: 'filter_time_1min', path: `/api/v1/events?${minute}`, target: 100 },
    { name: 'filter_device_severity', path: `/api/v1/events?device=${dev}&severity=warning`, target: 100 },
    { name: 'filter_source_severity', path: '/api/v1/events?source=trap&severity=warning', target: 100 },
    { name: 'filter_device_time_1min', path: `/api/v1/events?device=${dev}&${minute}`, target: 100 },
    { name: 'page2_latest', path: '/api/v1/events', target: 100, cursorOf: true },
    { name: 'page2_device', path: `/api/v1/events?device=${dev}`, target: 100, cursorOf: true },
    { name: 'page2_severity_warning', path: '/api/v1/events?severity=warning', target: 100, cursorOf: true },
  ];
  for (const f of figures) {
    prober.label = f.name;
    let path = f.path;
    if (f.cursorOf) {
      const first = await api.get(path);
      const cursor = first.status === 200 ? (JSON.parse(first.body) as { nextCursor: number | null }).nextCursor : null;
      if (cursor === null) {
        line({ figure: `${f.name}_p99_ms`, value: 'no second page', firstStatus: first.status, path });
        continue;
      }
      path += `${path.includes('?') ? '&' : '?'}cursor=${cursor}`;
    }
    const ms: number[] = [];
    const statuses = new Map<string, number>();
    let firstItems: number | null = null;
    let unsupported = '';
    const t = Date.now();
    while (ms.length < REQUESTS && (ms.length === 0 || Date.now() - t < FIGURE_MS)) {
      const r = await api.get(path);
      if (ms.length === 0 && r.status === 400) {
        unsupported = r.body.slice(0, 200);
        break;
      }
      if (ms.length === 0 && r.status === 200) firstItems = (JSON.parse(r.body) as { items?: unknown[] }).items?.length ?? null;
      ms.push(r.ms);
      statuses.set(String(r.status), (statuses.get(String(r.status)) ?? 0) + 1);
    }
    const h = prober.stats(f.name);
    if (unsupported) {
      line({ figure: `${f.name}_p99_ms`, value: 'unsupported', path, answer: unsupported, target: `< ${f.target}` });
      continue;
    }
    const p99 = quantile(ms, 0.99);
    const allOk = statuses.size === 1 && statuses.has('200');
    line({
      figure: `${f.name}_p99_ms`, value: p99, p50: quantile(ms, 0.5), max: quantile(ms, 1), samples: ms.length, seconds: Math.round((Date.now() - t) / 1000),
      statuses: Object.fromEntries(statuses), firstPageItems: firstItems, path, target: `< ${f.target}`, met: allOk && p99 !== null && p99 < f.target,
      healthP99Ms: h.p99, healthP99FromDueMs: h.p99FromDue, healthMaxMs: h.max,
    });
    say(`${f.name}: p50 ${quantile(ms, 0.5)} p99 ${p99} ms over ${ms.length}; health p99 ${h.p99}`);
  }
  prober.label = 'idle';
  readRun.stop();
  const readSent = await readRun.done;
  const readSec = (Date.now() - readStart) / 1000;
  await settle(Number.MAX_SAFE_INTEGER);
  await prober.stop();
  const reads = figures.map((f) => f.name);
  const during = prober.stats(reads);
  const perFigure = reads.map((r) => prober.stats(r)).filter((x) => x.samples > 0);
  const worst = Math.max(...perFigure.map((x) => x.p99 ?? 0));
  line({
    figure: 'health_p99_ms_during_reads', value: during.p99, ...during, worstFigureP99: worst, perFigureP99: Object.fromEntries(reads.map((r) => [r, prober.stats(r).p99])),
    target: '< 50', met: during.p99 !== null && worst < 50,
  });

  const ro2 = new Database(dbPath, { readonly: true, fileMustExist: true });
  const newRows = (ro2.prepare("SELECT count(*) AS n FROM events WHERE id > ? AND source IN ('syslog', 'trap')").get(maxId) as { n: number }).n;
  ro2.close();
  const end = await counters();
  line({
    figure: 'intake_lost_during_reads', value: readSent.sent - newRows, sent: readSent.sent, stored: newRows, rateMsgPerS: Math.round(readSent.sent / readSec), seconds: Math.round(readSec), target: '0', met: readSent.sent === newRows,
    kernelDropsHostWide: kernelDrops(end) - kernelBefore, counters: pick(end.counters, /^(syslog|trap)\.dropped$|^events\.(dropped|write_errors)$/),
  });
  line({ figure: 'database_bytes_end', value: fileBytes('') + fileBytes('-wal'), dbBytes: fileBytes(''), walBytes: fileBytes('-wal'), target: 'report', loadAvg1m: Math.round(loadavg()[0]! * 100) / 100, elapsedSec: Math.round((Date.now() - T0) / 1000) });
  line({ figure: 'server_warnings_and_errors', value: serverLog(server!.output()), target: 'none expected' });
  rmSync(poolDir, { recursive: true, force: true });
}

/** The server's warn/error log lines (JSON), counted by message, with the first error text of each. */
function serverLog(out: string): Record<string, { level: number; count: number; err?: string }> {
  const seen: Record<string, { level: number; count: number; err?: string }> = Object.create(null);
  for (const l of out.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      const o = JSON.parse(l) as { level?: number; msg?: string; err?: { message?: string } };
      if ((o.level ?? 0) < 40) continue;
      const k = o.msg ?? '?';
      seen[k] ??= { level: o.level!, count: 0, ...(o.err?.message ? { err: o.err.message.slice(0, 200) } : {}) };
      seen[k].count++;
    } catch {
      // not a log line
    }
  }
  return seen;
}

/** UDP receive-buffer drops in this network namespace (every socket of the host, not only ours). */
function kernelDrops(s: { counters: Record<string, number> }): number {
  return s.counters['syslog.kernel_rcvbuf_errors'] ?? 0;
}

function pick(o: Record<string, number>, re: RegExp): Record<string, number> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => re.test(k)));
}

try {
  await main();
} catch (err) {
  process.stdout.write(`${JSON.stringify({ bench: 'storm', error: String((err as Error).stack ?? err), serverOutput: server?.output().slice(-2000) })}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
