/**
 * RMON on demand: GET /devices/:id/rmon's read (RmonService: alarmTable + eventTable walked
 * with GETBULK over their columns, parsed, variables named through the loaded MIBs) and the
 * history read (historyControlTable + one entry's etherHistory buckets) vs net-snmp's
 * `snmpbulkwalk -Cr50` walking the same subtrees, against the same Debian snmpsimd in the same run.
 * The probe has ALARMS alarm rows, as many event rows, and one history entry of BUCKETS buckets.
 * Figures: median wall ms of alternating runs, ratio (ours ÷ reference), our process CPU ms per read
 * (all threads: the walk and parse run in the RMON worker thread) and the main thread's busy ms
 * during it (event-loop utilisation: naming the rows, and the bench's own awaiting).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { MibService } from '../../server/mib/mib.service.js';
import { MIBS_DIR } from '../../server/paths.js';
import { RmonService } from '../../server/rmon/rmon.service.js';
import type { DeviceRecord } from '../../server/store/device.repository.js';
import { snmprec, startSnmpsim, systemGroup, type SnmprecLine } from '../helpers/snmpsim.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ALARMS = Number(process.env.RMON_ALARMS ?? 500);
const BUCKETS = Number(process.env.RMON_BUCKETS ?? 200);
const R = '1.3.6.1.2.1.16';

function recording(): SnmprecLine[] {
  const lines = [...systemGroup({ descr: 'RMON bench probe', objectId: '1.3.6.1.4.1.99999.16', name: 'bench-probe', upTicks: 10_000_000 })];
  for (let i = 1; i <= ALARMS; i++) {
    const a = (c: number) => `${R}.3.1.1.${c}.${i}`;
    lines.push(snmprec(a(1), 'int', i), snmprec(a(2), 'int', 30), snmprec(a(3), 'oid', `${R}.1.1.1.${(i % 17) + 4}.${(i % 48) + 1}`), snmprec(a(4), 'int', 2), snmprec(a(5), 'int', i * 3),
      snmprec(a(6), 'int', 3), snmprec(a(7), 'int', 1000), snmprec(a(8), 'int', 100), snmprec(a(9), 'int', i), snmprec(a(10), 'int', i), snmprec(a(11), 'str', 'monitor'), snmprec(a(12), 'int', 1));
    const e = (c: number) => `${R}.9.1.1.${c}.${i}`;
    lines.push(snmprec(e(1), 'int', i), snmprec(e(2), 'str', `Major: threshold ${i} crossed`), snmprec(e(3), 'int', 4), snmprec(e(4), 'str', 'public'), snmprec(e(5), 'ticks', i * 100), snmprec(e(6), 'str', 'monitor'), snmprec(e(7), 'int', 1));
  }
  const h = (c: number) => `${R}.2.1.1.${c}.1`;
  lines.push(snmprec(h(1), 'int', 1), snmprec(h(2), 'oid', '1.3.6.1.2.1.2.2.1.1.1'), snmprec(h(3), 'int', BUCKETS), snmprec(h(4), 'int', BUCKETS), snmprec(h(5), 'int', 30), snmprec(h(6), 'str', 'monitor'), snmprec(h(7), 'int', 1));
  for (let s = 1; s <= BUCKETS; s++) {
    const x = (c: number) => `${R}.2.2.1.${c}.1.${s}`;
    lines.push(snmprec(x(1), 'int', 1), snmprec(x(2), 'int', s), snmprec(x(3), 'ticks', 10_000_000 - (BUCKETS - s + 1) * 3000));
    for (let c = 4; c <= 14; c++) lines.push(snmprec(x(c), 'counter32', s * c));
    lines.push(snmprec(x(15), 'int', s % 10_000));
  }
  return lines;
}

const sh = (cmd: string, args: string[]) =>
  new Promise<{ ok: boolean; stdout: string }>((resolve) => execFile(cmd, args, { timeout: 300_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout) => resolve({ ok: !err, stdout })));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function refWalk(port: number, oids: string[]): Promise<{ ms: number; count: number }> {
  const t0 = performance.now();
  let count = 0;
  for (const oid of oids) {
    const r = await sh('snmpbulkwalk', ['-v2c', '-c', 'bench', '-Cr50', '-On', '-t', '5', '-r', '1', `127.0.0.1:${port}`, oid]);
    if (!r.ok) throw new Error(`snmpbulkwalk ${oid} failed`);
    count += r.stdout.split('\n').filter((l) => l.startsWith('.')).length;
  }
  return { ms: performance.now() - t0, count };
}

const sim = await startSnmpsim({ bench: recording() });
const mibDir = mkdtempSync(join(tmpdir(), 'nw-rmon-bench-'));
const mibs = new MibService({ dataDir: mibDir, projectDir: MIBS_DIR, worker: false });
await mibs.load();
const device = {
  id: 1, name: 'bench-probe', address: '127.0.0.1',
  snmp: { enabled: true, version: '2c', port: sim.port, community: 'bench', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 5000, retries: 1 },
} as unknown as DeviceRecord;
const rmon = new RmonService({ dictionary: () => mibs.dictionary, device: () => device, assertAllowed: () => undefined, log: pino({ level: 'silent' }) });

async function compare(name: string, ours: () => Promise<number>, ref: () => Promise<{ ms: number; count: number }>): Promise<void> {
  const o: number[] = [];
  const r: number[] = [];
  const cpu: number[] = [];
  const main: number[] = [];
  let rows = 0;
  let refCount = 0;
  await ours(); // warm: session, JIT
  for (let run = 0; run < RUNS; run++) {
    for (const who of run % 2 === 0 ? ['ref', 'ours'] : ['ours', 'ref']) {
      if (who === 'ours') {
        const c0 = process.cpuUsage();
        const e0 = performance.eventLoopUtilization();
        const t0 = performance.now();
        rows = await ours();
        o.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
        main.push(performance.eventLoopUtilization(e0).active);
      } else {
        const x = await ref();
        r.push(x.ms);
        refCount = x.count;
      }
    }
  }
  const om = median(o);
  const rm = median(r);
  console.log(JSON.stringify({ bench: name, runs: RUNS, rows_ours: rows, varbinds_ref: refCount, ours_ms: Math.round(om), snmpbulkwalk_ms: Math.round(rm), ratio: Math.round((om / rm) * 100) / 100, ours_cpu_ms: Math.round(median(cpu) * 10) / 10, ours_main_thread_ms: Math.round(median(main) * 10) / 10 }));
}

try {
  await compare(
    'rmon-read-tables',
    async () => {
      const t = await rmon.readTables(device);
      if (t.alarms.length !== ALARMS || t.events.length !== ALARMS || !t.alarms[0]!.variableName) throw new Error('incomplete read');
      return t.alarms.length + t.events.length;
    },
    () => refWalk(sim.port, [`.${R}.3.1`, `.${R}.9.1`]),
  );
  await compare(
    'rmon-read-history',
    async () => {
      const h = await rmon.readHistory(device, 1);
      if (h.samples.length !== BUCKETS) throw new Error(`history: ${h.samples.length} samples`);
      return h.samples.length;
    },
    // The same subtrees: the control table, that entry's buckets, sysUpTime.
    () => refWalk(sim.port, [`.${R}.2.1`, `.${R}.2.2.1`, '.1.3.6.1.2.1.1.3']),
  );
} finally {
  rmon.close();
  await mibs.close();
  await sim.stop();
  rmSync(mibDir, { recursive: true, force: true });
}
