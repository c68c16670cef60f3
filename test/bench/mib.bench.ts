/**
 * MIB compiler and OID dictionary over the whole IETF + IANA set (plus the
 * shipped base and net-snmp's own MIBs): cold compile, warm start from the
 * index, resolve p99 and search p99. One JSON line per figure.
 * Needs `bash .ci/install-mibs.sh` first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMibs } from '../../server/mib/mib.loader.js';
import { OidDictionary } from '../../server/mib/oid-dictionary.js';
import { MIBS_DIR } from '../../server/paths.js';

// Child mode: one warm start in a fresh process (as a server restart does), printed as JSON.
if (process.argv[2] === '--warm-child') {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = loadMibs({ projectDir: MIBS_DIR, uploadDir: process.argv[4]!, indexPath: process.argv[3]! });
  const d = new OidDictionary(r.modules, r.infos);
  const u = process.cpuUsage(c0);
  console.log(JSON.stringify({ ms: performance.now() - t0, cpu: Math.round((u.user + u.system) / 1000), filesCompiled: r.result.filesCompiled, nodes: d.size }));
  process.exit(0);
}

if (!existsSync('/usr/share/snmp/mibs/ietf')) {
  console.error('mib bench: /usr/share/snmp/mibs/ietf is missing; run "bash .ci/install-mibs.sh"');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'netwatch-mib-bench-'));
const opts = { projectDir: MIBS_DIR, uploadDir: join(dir, 'uploads'), indexPath: join(dir, 'mib-index.json') };
const out = (figure: string, value: number, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ bench: 'mib', figure, value: Math.round(value * 1000) / 1000, ...extra }));
const p = (xs: number[], q: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;

try {
  // Wall time, plus this thread's CPU time (less sensitive to other load on a shared machine).
  const cpuMs = (start: NodeJS.CpuUsage) => {
    const u = process.cpuUsage(start);
    return Math.round((u.user + u.system) / 1000);
  };
  let c = process.cpuUsage();
  let t = performance.now();
  const cold = loadMibs(opts);
  const dict = new OidDictionary(cold.modules, cold.infos);
  const coldMs = performance.now() - t;
  out('cold_compile_ms', coldMs, {
    target: 10_000,
    cpu_ms: cpuMs(c),
    load_avg_1m: os.loadavg()[0],
    files: cold.result.filesSeen,
    modules: cold.result.modulesLoaded,
    failed: cold.result.modulesFailed,
    nodes: cold.result.nodes,
    index_bytes: statSync(opts.indexPath).size,
  });

  // Reference: net-snmp's C parser loading the same set (snmptranslate -m ALL), median of 3.
  const refRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    const s = performance.now();
    const r = spawnSync('snmptranslate', ['-M', '/usr/share/snmp/mibs:/usr/share/snmp/mibs/ietf:/usr/share/snmp/mibs/iana', '-m', 'ALL', '-On', 'SNMPv2-MIB::sysName.0'], { stdio: 'ignore' });
    if (r.status === 0) refRuns.push(performance.now() - s);
  }
  if (refRuns.length) {
    const ref = p(refRuns, 0.5);
    out('reference_snmptranslate_load_all_ms', ref, { note: 'net-snmp C parser, parse only, no index; a process start included', ratio_cold_to_ref: Math.round((coldMs / ref) * 100) / 100 });
  }

  // Warm start: each run in a fresh process, as after a server restart (load + dictionary, timed inside).
  const warmRuns: number[] = [];
  const warmCpu: number[] = [];
  for (let i = 0; i < 5; i++) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--warm-child', opts.indexPath, opts.uploadDir], { encoding: 'utf8' });
    const r = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { ms: number; cpu: number; filesCompiled: number };
    if (r.filesCompiled !== 0) throw new Error(`warm start compiled ${r.filesCompiled} files`);
    warmRuns.push(r.ms);
    warmCpu.push(r.cpu);
  }
  out('warm_start_ms_median', p(warmRuns, 0.5), { target: 1_000, runs: warmRuns.map((x) => Math.round(x)), cpu_ms: warmCpu, load_avg_1m: os.loadavg()[0] });

  // Resolve: numeric OIDs of every known node with an instance suffix, shuffled deterministically.
  const oids = cold.modules.flatMap((m) => m.nodes.map((n) => `${n.oid}.${(n.oid.length * 7) % 50}`));
  const lat: number[] = [];
  let sink = 0;
  for (let i = 0; i < 100_000; i++) {
    const oid = oids[(i * 7919) % oids.length]!;
    const s = performance.now();
    sink += dict.resolve(oid).instance.length;
    lat.push(performance.now() - s);
  }
  out('resolve_p99_ms', p(lat, 0.99), { target: 1, p50_ms: Math.round(p(lat, 0.5) * 10_000) / 10_000, lookups: lat.length, nodes: dict.size, sink: sink > 0 });

  t = performance.now();
  dict.prepareSearch();
  out('search_index_build_ms', performance.now() - t, { note: 'built in the background after each load' });
  const queries = ['ifInOctets', 'ifin', 'octets', 'sysName', 'lldpRem', 'bgpPeerState', 'temperature', 'interface errors', 'ospf neighbor state', 'x', 'entPhysical', 'power supply', 'hrStorage', 'dot1q', 'ipAddress', 'route', 'mac address', 'fan', 'cpu', 'trap'];
  const slat: number[] = [];
  const scpu: number[] = [];
  for (let r = 0; r < 10; r++) {
    for (const q of queries) {
      const cu = process.cpuUsage();
      const s = performance.now();
      sink += dict.search(q, 50).length;
      slat.push(performance.now() - s);
      const u = process.cpuUsage(cu);
      scpu.push((u.user + u.system) / 1000);
    }
  }
  out('search_p99_ms', p(slat, 0.99), { target: 50, p50_ms: Math.round(p(slat, 0.5) * 100) / 100, cpu_p99_ms: Math.round(p(scpu, 0.99) * 100) / 100, queries: slat.length, load_avg_1m: os.loadavg()[0] });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
