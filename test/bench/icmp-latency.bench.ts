/**
 * @timeout-minutes 20
 * ICMP cycle cost with the latency distribution (issue 16): N loopback addresses pinged with
 * 20 probes per host (the new `icmpProbes` default) vs 3 (the old count), by IcmpPinger.pingMany
 * (one fping whose packet gap shrinks so a round of all hosts fits the 200 ms per-host period) and, as the reference, plain `fping -C <n> -q -i 1 -p 200 -t 1000`
 * (one process over the whole list: what the pinger ran before) on the same targets in the same run,
 * median of 3 alternating runs. Also: main-thread CPU per cycle (parsing, summarising) and the cost
 * of storing the cycles (LatencyRepository.write) beside the ICMP samples written for them.
 * One JSON line per figure set. BENCH_ICMP_HOSTS=1000,2500 picks N.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IcmpPinger } from '../../server/collectors/icmp/icmp.pinger.js';
import { rttPercentiles } from '../../server/collectors/icmp/latency.js';
import { MIGRATIONS_DIR } from '../../server/paths.js';
import { openDatabase } from '../../server/store/database.js';
import { LatencyRepository } from '../../server/store/latency.repository.js';
import { migrate, readMigrations } from '../../server/store/migrate.js';
import { SampleRepository, type SampleInput } from '../../server/store/sample.repository.js';

const sizes = (process.env.BENCH_ICMP_HOSTS ?? '1000,2500').split(',').map(Number).filter((n) => n > 0 && n <= 60_000);
const RUNS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const addrsOf = (n: number) => Array.from({ length: n }, (_, i) => `127.${1 + Math.floor(i / 62_500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`);

function plainFping(addrs: string[], count: number): Promise<{ ms: number; lost: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('/usr/bin/fping', ['-C', String(count), '-q', '-i', '1', '-p', '200', '-t', '1000'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', () => resolve({ ms: performance.now() - t0, lost: (err.match(/ -( |$)/gm) ?? []).length }));
    p.stdin.end(addrs.join('\n') + '\n');
  });
}

/** CPU ms of this process's finished children (fping), from /proc/self/stat cutime + cstime. */
function childCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').slice(readFileSync('/proc/self/stat', 'utf8').lastIndexOf(')') + 2).split(' ');
  // After the command: field 3 is state; cutime and cstime are fields 16 and 17 (1-based), i.e. 13 and 14 here.
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
}

const pinger = new IcmpPinger();
for (const n of sizes) {
  const addrs = addrsOf(n);
  for (const count of [3, 20]) {
    const ours: number[] = [];
    const cpu: number[] = [];
    const ref: number[] = [];
    const oursChild: number[] = [];
    const refChild: number[] = [];
    let oursLost = 0;
    let refLost = 0;
    for (let run = 0; run < RUNS; run++) {
      const order = run % 2 === 0 ? ['ours', 'ref'] : ['ref', 'ours'];
      for (const who of order) {
        if (who === 'ref') {
          const k0 = childCpuMs();
          const r = await plainFping(addrs, count);
          refChild.push(childCpuMs() - k0);
          ref.push(r.ms);
          refLost += r.lost;
        } else {
          const c0 = process.cpuUsage();
          const k0 = childCpuMs();
          const t0 = performance.now();
          const res = await pinger.pingMany(addrs, { count, periodMs: 200, timeoutMs: 1000, intervalMs: 1 });
          ours.push(performance.now() - t0);
          oursChild.push(childCpuMs() - k0);
          const c = process.cpuUsage(c0);
          cpu.push((c.user + c.system) / 1000);
          oursLost += res.reduce((s, r) => s + (r.sent - r.received), 0);
        }
      }
    }
    const o = median(ours);
    const r = median(ref);
    console.log(JSON.stringify({
      bench: 'icmp-latency', hosts: n, probes: count, ours_ms: Math.round(o), fping_single_process_ms: Math.round(r), ratio: Math.round((o / r) * 100) / 100,
      ours_main_thread_cpu_ms: Math.round(median(cpu)), ours_fping_cpu_ms: Math.round(median(oursChild)), fping_single_process_cpu_ms: Math.round(median(refChild)), lost_probes_ours: oursLost, lost_probes_fping: refLost, runs: RUNS,
    }));
  }

  // Storing one cycle of every host: the distributions (20 probes each) vs the ICMP samples of the same cycles.
  const dir = mkdtempSync(join(tmpdir(), 'nw-bench-lat-'));
  const db = openDatabase(join(dir, 'netwatch.db'));
  migrate(db, readMigrations(MIGRATIONS_DIR));
  const insert = db.prepare("INSERT INTO devices (id, name, address, created_at, updated_at) VALUES (?, ?, '127.0.0.1', 0, 0)");
  db.transaction(() => addrs.forEach((_, i) => insert.run(i + 1, `d${i + 1}`)))();
  const latency = new LatencyRepository(db);
  const samples = new SampleRepository(db);
  const rtts = Array.from({ length: 20 }, (_, i) => (i === 7 ? null : 0.05 + i * 0.001));
  const store: number[] = [];
  const sampleStore: number[] = [];
  for (let run = 0; run < 5; run++) {
    const ts = 1_800_000_000 + run * 60;
    const t0 = performance.now();
    latency.write(addrs.map((_, i) => ({ deviceId: i + 1, ts, sent: 20, received: 19, rtts })));
    store.push(performance.now() - t0);
    const p = rttPercentiles(rtts);
    const batch: SampleInput[] = [];
    for (let i = 1; i <= n; i++) {
      for (const [metric, value] of [['icmpLoss', 5], ['icmpRtt', 0.06], ['icmpJitter', 0.001], ['icmp.loss_pct', 5], ['icmp.rtt_p50', p.p50!], ['icmp.rtt_p90', p.p90!], ['icmp.rtt_p95', p.p95!]] as const) {
        batch.push({ deviceId: i, metric, instance: '', ts, value });
      }
    }
    const t1 = performance.now();
    samples.write(batch);
    sampleStore.push(performance.now() - t1);
  }
  const bytes = (db.prepare('SELECT sum(pgsize) AS b FROM dbstat WHERE name = ?').get('latency_raw') as { b: number } | undefined)?.b ?? null;
  console.log(JSON.stringify({
    bench: 'icmp-latency-store', hosts: n, probes: 20, write_cycles_ms: Math.round(median(store) * 10) / 10, write_icmp_samples_ms: Math.round(median(sampleStore) * 10) / 10,
    samples_per_cycle: 7, latency_raw_bytes_per_cycle: bytes ? Math.round(bytes / (n * 5)) : null,
  }));
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
