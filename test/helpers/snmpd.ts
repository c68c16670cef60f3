import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dgram from 'node:dgram';

/**
 * Starts Debian's real `snmpd` on a free loopback UDP port with its own
 * temporary config and persistent dir, and stops it again.
 *
 *   const agent = await startSnmpd();            // v2c `public` + v3 authPriv SHA/AES user
 *   ... poll 127.0.0.1:agent.port ...
 *   await agent.stop();                           // kills the daemon, removes the temp dir
 */
export interface SnmpdOptions {
  community?: string;
  v3User?: string;
  authProtocol?: 'MD5' | 'SHA' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';
  authPass?: string;
  privProtocol?: 'DES' | 'AES';
  privPass?: string;
  sysName?: string;
  sysContact?: string;
  sysLocation?: string;
  /** Extra lines appended to snmpd.conf. */
  extraConfig?: string[];
  /** Loopback address to bind (default 127.0.0.1). */
  address?: string;
}

export interface SnmpdHandle {
  address: string;
  port: number;
  community: string;
  v3: { username: string; authProtocol: string; authKey: string; privProtocol: string; privKey: string };
  sysName: string;
  dir: string;
  process: ChildProcess;
  /** Everything snmpd wrote (its -Lo log), for failing-test diagnostics. */
  output(): string;
  stop(): Promise<void>;
}

export const SNMPD_BIN = '/usr/sbin/snmpd';
export const snmpdAvailable = () => existsSync(SNMPD_BIN);

/** A UDP port free right now on the given address. */
export async function freeUdpPort(address = '127.0.0.1'): Promise<number> {
  const s = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((res, rej) => {
    s.once('error', rej);
    s.bind(0, address, () => res());
  });
  const port = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

function snmpgetReady(address: string, port: number, community: string): Promise<boolean> {
  return new Promise((resolve) => {
    const peer = address.includes(':') ? `udp6:[${address}]:${port}` : `${address}:${port}`;
    execFile('snmpget', ['-v2c', '-c', community, '-t', '0.3', '-r', '0', peer, '1.3.6.1.2.1.1.3.0'], (err) => resolve(!err));
  });
}

export async function startSnmpd(opts: SnmpdOptions = {}): Promise<SnmpdHandle> {
  const address = opts.address ?? '127.0.0.1';
  const community = opts.community ?? 'public';
  const user = opts.v3User ?? 'nwuser';
  const authProtocol = opts.authProtocol ?? 'SHA';
  const authPass = opts.authPass ?? 'authpass123';
  const privProtocol = opts.privProtocol ?? 'AES';
  const privPass = opts.privPass ?? 'privpass123';
  const sysName = opts.sysName ?? 'nw-test-agent';
  const dir = mkdtempSync(join(tmpdir(), 'nw-snmpd-'));
  const persist = join(dir, 'persist');
  mkdirSync(persist);
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeUdpPort(address);
    const conf = [
      address.includes(':') ? `agentaddress udp6:[${address}]:${port}` : `agentaddress udp:${address}:${port}`,
      address.includes(':') ? `rocommunity6 ${community} ${address}` : `rocommunity ${community} ${address}`,
      `createUser ${user} ${authProtocol} "${authPass}" ${privProtocol} "${privPass}"`,
      `rouser ${user} priv`,
      `sysName ${sysName}`,
      `sysContact ${opts.sysContact ?? 'noc@example.net'}`,
      `sysLocation ${opts.sysLocation ?? 'Lab rack 1'}`,
      'sysServices 72',
      ...(opts.extraConfig ?? []),
    ].join('\n');
    const confPath = join(dir, 'snmpd.conf');
    writeFileSync(confPath, conf + '\n');
    let out = '';
    const child = spawn(SNMPD_BIN, ['-f', '-Lo', '-C', '-c', confPath], {
      env: { ...process.env, SNMP_PERSISTENT_DIR: persist, MIBS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    let exited = false;
    // If the test process ends without stop() (crash, uncaught error), take snmpd with it.
    const killOnExit = () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', killOnExit);
    child.once('exit', () => {
      exited = true;
      process.removeListener('exit', killOnExit);
    });
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline) {
      if (await snmpgetReady(address, port, community)) {
        const stop = async () => {
          if (child.exitCode === null && child.signalCode === null) {
            const gone = new Promise<void>((r) => child.once('exit', () => r()));
            child.kill('SIGTERM');
            const t = setTimeout(() => child.kill('SIGKILL'), 3000);
            await gone;
            clearTimeout(t);
          }
          rmSync(dir, { recursive: true, force: true });
        };
        return {
          address,
          port,
          community,
          v3: { username: user, authProtocol, authKey: authPass, privProtocol, privKey: privPass },
          sysName,
          dir,
          process: child,
          output: () => out,
          stop,
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    lastError = new Error(`snmpd did not become ready on ${address}:${port}: ${out}`);
    if (!exited) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
