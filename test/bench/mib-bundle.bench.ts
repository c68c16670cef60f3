/**
 * @timeout-minutes 40
 * Vendor MIB bundles (issue 16): the whole IETF + IANA set from /usr/share/snmp/mibs packed into one
 * .tar.gz and uploaded as a bundle (unpacked, stored, compiled in the MIB worker) versus the same
 * files uploaded one by one through the existing single-file path (each upload stores the file and
 * recompiles, reusing the index), side by side on fresh data directories. Also: the main thread's
 * event-loop delay during the bundle upload (the work is in the worker). One JSON line per figure.
 * Needs `bash .ci/install-mibs.sh` first.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MibService } from '../../server/mib/mib.service.js';
import { MIBS_DIR } from '../../server/paths.js';

const SRC = ['/usr/share/snmp/mibs/ietf', '/usr/share/snmp/mibs/iana'];
for (const d of SRC) {
  try {
    statSync(d);
  } catch {
    console.error(`mib-bundle bench: ${d} is missing; run "bash .ci/install-mibs.sh"`);
    process.exit(1);
  }
}

const out = (figure: string, value: number, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ bench: 'mib-bundle', figure, value: Math.round(value * 10) / 10, ...extra }));
const cpuMs = (start: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(start);
  return Math.round((u.user + u.system) / 1000);
};

const work = mkdtempSync(join(tmpdir(), 'netwatch-mib-bundle-bench-'));
try {
  // The archive: both folders (symlinks into /var/lib/mibs followed), packed by the real tar.
  const archive = join(work, 'ietf-iana.tar.gz');
  execFileSync('tar', ['-czhf', archive, '-C', '/usr/share/snmp/mibs', 'ietf', 'iana']);
  const data = readFileSync(archive);
  const files = SRC.flatMap((d) => readdirSync(d).sort().map((f) => join(d, f)));

  // A service with only the shipped base modules besides what is uploaded (no system dirs).
  const service = async (name: string) => {
    const s = new MibService({ dataDir: join(work, name), projectDir: MIBS_DIR, systemDirs: [] });
    await s.load();
    return s;
  };

  // 1. One bundle.
  const bundled = await service('bundle');
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let c = process.cpuUsage();
  let t = performance.now();
  const b = await bundled.uploadBundle('ietf-iana.tar.gz', data);
  const bundleMs = performance.now() - t;
  delay.disable();
  out('bundle_upload_ms', bundleMs, {
    archive_bytes: data.length,
    files: b.report.files,
    entries: b.report.entries,
    modules_compiled: b.report.compiled.length,
    modules_failed: b.report.failed.length,
    skipped: b.report.skipped.length,
    nodes: b.result.nodes,
    process_cpu_ms: cpuMs(c),
    load_avg_1m: os.loadavg()[0],
  });
  out('bundle_upload_main_loop_delay_max_ms', delay.max / 1e6, { p99_ms: Math.round(delay.percentile(99) / 1e4) / 100, note: 'unpack + compile run in the MIB worker' });

  // Same bundle again (index warm, same content): what a re-upload costs.
  t = performance.now();
  await bundled.uploadBundle('ietf-iana.tar.gz', data);
  out('bundle_reupload_ms', performance.now() - t, { note: 'same archive again: files replaced, modules reused from the index' });
  await bundled.close();

  // 2. Reference: the same files one by one through the existing single-file upload.
  const single = await service('single');
  c = process.cpuUsage();
  t = performance.now();
  let refused = 0;
  for (const f of files) {
    const name = f.split('/').pop()!;
    try {
      await single.upload(name, readFileSync(f, 'latin1'));
    } catch {
      refused++; // a file that does not parse is refused by the single-file path
    }
  }
  const oneByOneMs = performance.now() - t;
  const singleModules = single.dictionary.modules().filter((m) => m.status !== 'error').length;
  out('one_by_one_upload_ms', oneByOneMs, {
    files: files.length,
    refused,
    modules_loaded: singleModules,
    nodes: single.lastResult?.nodes,
    process_cpu_ms: cpuMs(c),
    ratio_to_bundle: Math.round((oneByOneMs / bundleMs) * 10) / 10,
    load_avg_1m: os.loadavg()[0],
  });
  await single.close();
} finally {
  rmSync(work, { recursive: true, force: true });
}
