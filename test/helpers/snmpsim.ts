import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort } from './snmpd.js';

/**
 * Starts Debian's real `snmpsimd` on a free loopback UDP port, serving
 * `.snmprec` recordings that the test writes. Each recording is one
 * simulated device; its community is the recording's name.
 *
 *   const sim = await startSnmpsim({ cisco: [ snmprec('1.3.6.1.2.1.1.2.0', 'oid', '1.3.6.1.4.1.9.1.1'), ... ] });
 *   ... poll 127.0.0.1:sim.port with community 'cisco' ...
 *   await sim.stop();
 *
 * snmprec lines are `OID|TAG|VALUE`; tags: 2 Integer32, 4 OctetString,
 * 4x OctetString in hex, 5 Null, 6 OID, 64 IpAddress, 65 Counter32,
 * 66 Gauge32, 67 TimeTicks, 70 Counter64. Lines are sorted by OID here.
 */
export const SNMPSIMD_BIN = '/usr/bin/snmpsimd';
export const snmpsimAvailable = () => existsSync(SNMPSIMD_BIN);

export type SnmprecTag = 'int' | 'str' | 'hex' | 'null' | 'oid' | 'ip' | 'counter32' | 'gauge32' | 'ticks' | 'counter64';
const TAG: Record<SnmprecTag, string> = {
  int: '2',
  str: '4',
  hex: '4x',
  null: '5',
  oid: '6',
  ip: '64',
  counter32: '65',
  gauge32: '66',
  ticks: '67',
  counter64: '70',
};

export interface SnmprecLine {
  oid: string;
  line: string;
}

/** One snmprec record. `oid` without a leading dot. */
export function snmprec(oid: string, tag: SnmprecTag, value: string | number | bigint): SnmprecLine {
  const o = oid.replace(/^\./, '');
  if (!/^\d+(\.\d+)+$/.test(o)) throw new Error(`snmprec: bad OID ${oid}`);
  const v = String(value);
  if (/[\r\n]/.test(v)) throw new Error('snmprec: value with a line break');
  return { oid: o, line: `${o}|${TAG[tag]}|${v}` };
}

/** The system group every simulated device needs (sysDescr, sysObjectID, sysUpTime, sysName). */
export function systemGroup(opts: { descr: string; objectId: string; name: string; upTicks?: number }): SnmprecLine[] {
  return [
    snmprec('1.3.6.1.2.1.1.1.0', 'str', opts.descr),
    snmprec('1.3.6.1.2.1.1.2.0', 'oid', opts.objectId.replace(/^\./, '')),
    snmprec('1.3.6.1.2.1.1.3.0', 'ticks', opts.upTicks ?? 123_456),
    snmprec('1.3.6.1.2.1.1.4.0', 'str', 'noc@example.net'),
    snmprec('1.3.6.1.2.1.1.5.0', 'str', opts.name),
    snmprec('1.3.6.1.2.1.1.6.0', 'str', 'lab'),
  ];
}

const cmpOid = (a: string, b: string): number => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
};

/** Text of a `.snmprec` file from records (sorted by OID, duplicates refused). */
export function snmprecText(lines: SnmprecLine[]): string {
  const sorted = [...lines].sort((a, b) => cmpOid(a.oid, b.oid));
  for (let i = 1; i < sorted.length; i++) if (sorted[i].oid === sorted[i - 1].oid) throw new Error(`snmprec: duplicate OID ${sorted[i].oid}`);
  return sorted.map((l) => l.line).join('\n') + '\n';
}

export interface SnmpsimHandle {
  address: string;
  port: number;
  dataDir: string;
  /** Replaces one device's recording (snmpsimd rereads changed files). */
  write(community: string, lines: SnmprecLine[]): void;
  stop(): Promise<void>;
}

const sh = (cmd: string, args: string[], timeout = 10_000) =>
  new Promise<boolean>((resolve) => execFile(cmd, args, { timeout }, (err) => resolve(!err)));

/** Starts snmpsimd with one recording per community. Throws if it does not answer within 60 s. */
export async function startSnmpsim(devices: Record<string, SnmprecLine[]>, opts: { address?: string } = {}): Promise<SnmpsimHandle> {
  const address = opts.address ?? '127.0.0.1';
  const names = Object.keys(devices);
  if (names.length === 0) throw new Error('startSnmpsim: no devices');
  for (const n of names) if (!/^[A-Za-z0-9_-]+$/.test(n)) throw new Error(`startSnmpsim: bad community ${n}`);
  const dir = mkdtempSync(join(tmpdir(), 'nw-snmpsim-'));
  const data = join(dir, 'data');
  const cache = join(dir, 'cache');
  mkdirSync(data);
  mkdirSync(cache);
  chmodSync(dir, 0o755);
  chmodSync(data, 0o755);
  if (process.getuid?.() === 0) chownSync(cache, 65534, 65534);
  const write = (community: string, lines: SnmprecLine[]) => {
    const f = join(data, `${community}.snmprec`);
    writeFileSync(f, snmprecText(lines));
    chmodSync(f, 0o644);
  };
  for (const n of names) write(n, devices[n]);
  const port = await freeUdpPort(address);
  const args = [`--data-dir=${data}`, `--cache-dir=${cache}`, `--agent-udpv4-endpoint=${address}:${port}`, '--logging-method=null'];
  if (process.getuid?.() === 0) args.push('--process-user=nobody', '--process-group=nogroup');
  const child: ChildProcess = spawn(SNMPSIMD_BIN, args, { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await sh('snmpget', ['-v2c', '-c', names[0], '-t', '1', '-r', '0', `${address}:${port}`, '.1.3.6.1.2.1.1.1.0'])) {
      return { address, port, dataDir: data, write, stop };
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  await stop();
  throw new Error('snmpsimd did not start');
}
