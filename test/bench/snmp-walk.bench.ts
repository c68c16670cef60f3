/**
 * Big-device walk: our SnmpClient vs `snmpbulkwalk -Cr50` against the same
 * agent in the same run: Debian `snmpsimd` serving the bundled
 * cisco_16_switch recording (~54k OIDs), or snmpd when snmpsim is missing.
 * Figures (JSON lines): full walk of .1.3.6.1, and ifTable+ifXTable.
 * Median of alternating runs; target ratio (ours ÷ reference) ≤ 1.2.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync, chownSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort, startSnmpd } from '../helpers/snmpd.js';
import { SnmpClient } from '../../server/collectors/snmp/snmp.client.js';
import { walkParallel } from '../../server/collectors/snmp/snmp.parallel-walk.js';

const SIM_DATA = '/usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Agent {
  kind: string;
  port: number;
  community: string;
  stop(): Promise<void>;
}

const sh = (cmd: string, args: string[], timeout = 120_000) =>
  new Promise<{ ok: boolean; stdout: string }>((resolve) => execFile(cmd, args, { timeout, maxBuffer: 256 * 1024 * 1024 }, (err, stdout) => resolve({ ok: !err, stdout })));

async function startSnmpsim(): Promise<Agent> {
  const dir = mkdtempSync(join(tmpdir(), 'nw-snmpsim-'));
  const data = join(dir, 'data');
  const cache = join(dir, 'cache');
  mkdirSync(data);
  mkdirSync(cache);
  writeFileSync(join(data, 'cisco_16_switch.snmprec'), gunzipSync(readFileSync(SIM_DATA)));
  chmodSync(dir, 0o755);
  chownSync(cache, 65534, 65534);
  const port = await freeUdpPort();
  const child: ChildProcess = spawn(
    'snmpsimd',
    [`--data-dir=${data}`, `--cache-dir=${cache}`, `--agent-udpv4-endpoint=127.0.0.1:${port}`, '--process-user=nobody', '--process-group=nogroup', '--logging-method=null'],
    { stdio: 'ignore' },
  );
  const stop = async () => {
    if (child.exitCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const r = await sh('snmpget', ['-v2c', '-c', 'cisco_16_switch', '-t', '1', '-r', '0', `127.0.0.1:${port}`, '.1.3.6.1.2.1.1.1.0']);
    if (r.ok) return { kind: 'snmpsim cisco_16_switch', port, community: 'cisco_16_switch', stop };
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error('snmpsimd did not start');
}

async function startAgent(): Promise<Agent> {
  if (existsSync('/usr/bin/snmpsimd') && existsSync(SIM_DATA)) return startSnmpsim();
  const a = await startSnmpd();
  return { kind: 'snmpd (snmpsim not installed)', port: a.port, community: a.community, stop: a.stop };
}

async function refWalk(agent: Agent, oid: string): Promise<{ ms: number; count: number }> {
  const t0 = performance.now();
  const r = await sh('snmpbulkwalk', ['-v2c', '-c', agent.community, '-Cr50', '-On', '-t', '5', '-r', '1', `127.0.0.1:${agent.port}`, oid], 600_000);
  const ms = performance.now() - t0;
  if (!r.ok) throw new Error(`snmpbulkwalk ${oid} failed`);
  return { ms, count: r.stdout.split('\n').filter((l) => l.startsWith('.')).length };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function compare(name: string, agent: Agent, ours: () => Promise<number>, ref: () => Promise<{ ms: number; count: number }>): Promise<void> {
  const o: number[] = [];
  const r: number[] = [];
  let oursCount = 0;
  let refCount = 0;
  for (let run = 0; run < RUNS; run++) {
    for (const who of run % 2 === 0 ? ['ref', 'ours'] : ['ours', 'ref']) {
      if (who === 'ours') {
        const t0 = performance.now();
        oursCount = await ours();
        o.push(performance.now() - t0);
      } else {
        const x = await ref();
        r.push(x.ms);
        refCount = x.count;
      }
    }
  }
  const om = median(o);
  const rm = median(r);
  console.log(JSON.stringify({ bench: name, agent: agent.kind, runs: RUNS, varbinds_ours: oursCount, varbinds_ref: refCount, ours_ms: Math.round(om), snmpbulkwalk_ms: Math.round(rm), ratio: Math.round((om / rm) * 100) / 100, target_ratio: 1.2 }));
}

const agent = await startAgent();
try {
  const target = { address: '127.0.0.1', snmp: { version: '2c' as const, port: agent.port, community: agent.community, timeoutMs: 5000, retries: 1 } };
  const full = new SnmpClient({ maxRepetitions: 50, bulkBudget: 50, socketsPerFamily: 1 });
  await compare('snmp-walk-full', agent, async () => (await (await full.open(target)).walk('1.3.6.1')).length, () => refWalk(agent, '.1.3.6.1'));
  // Same walk with 4 GETBULK streams in flight (work stealing).
  await compare('snmp-walk-full-parallel4', agent, async () => (await walkParallel(await full.open(target), '1.3.6.1', 4)).length, () => refWalk(agent, '.1.3.6.1'));
  const tables = new SnmpClient({ maxRepetitions: 50, bulkBudget: 100, socketsPerFamily: 1 });
  await compare(
    'snmp-walk-iftables',
    agent,
    async () => {
      const cols = await (await tables.open(target)).walkColumns(['1.3.6.1.2.1.2.2', '1.3.6.1.2.1.31.1.1']);
      return [...cols.values()].reduce((n, v) => n + v.length, 0);
    },
    async () => {
      const a = await refWalk(agent, '.1.3.6.1.2.1.2.2');
      const b = await refWalk(agent, '.1.3.6.1.2.1.31.1.1');
      return { ms: a.ms + b.ms, count: a.count + b.count };
    },
  );
  full.close();
  tables.close();
} finally {
  await agent.stop();
}
