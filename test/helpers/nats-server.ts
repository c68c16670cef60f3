import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Starts Debian's real `nats-server` with JetStream on a free loopback TCP
 * port, its store in a temporary dir, and stops it again.
 *
 *   const nats = await startNatsServer();
 *   ... connect to nats.url ...
 *   await nats.stop({ keepStore: true });          // the server goes away, the store stays
 *   const again = await startNatsServer({ port: nats.port, storeDir: nats.storeDir });
 *   await again.stop();                             // kills it, removes the store
 */
export interface NatsServerOptions {
  /** Port to listen on (default: a free one). */
  port?: number;
  /** JetStream store dir to use (default: a new temp dir). */
  storeDir?: string;
}

export interface NatsServerHandle {
  url: string;
  port: number;
  storeDir: string;
  process: ChildProcess;
  /** Everything nats-server wrote, for failing-test diagnostics. */
  output(): string;
  /** Stops the server; removes its store unless `keepStore`. */
  stop(opts?: { keepStore?: boolean }): Promise<void>;
}

export const NATS_SERVER_BIN = '/usr/sbin/nats-server';
export const natsServerAvailable = () => existsSync(NATS_SERVER_BIN);

/** A TCP port free right now on 127.0.0.1. */
export async function freeTcpPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((res, rej) => {
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => res());
  });
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  if (!natsServerAvailable()) throw new Error(`${NATS_SERVER_BIN} is missing: apt-get install -y --no-install-recommends nats-server`);
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), 'nw-nats-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < (opts.port ? 20 : 5); attempt++) {
    const port = opts.port ?? (await freeTcpPort());
    let out = '';
    const child = spawn(NATS_SERVER_BIN, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let onOutput: () => void = () => undefined;
    child.stdout!.on('data', (d) => ((out += d), onOutput()));
    child.stderr!.on('data', (d) => ((out += d), onOutput()));
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const exited = new Promise<void>((r) => child.once('exit', () => (process.removeListener('exit', killOnExit), r())));
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 15_000);
      onOutput = () => {
        if (out.includes('Server is ready')) (clearTimeout(timer), resolve(true));
      };
      void exited.then(() => (clearTimeout(timer), resolve(false)));
    });
    if (ready) {
      const stop = async (s: { keepStore?: boolean } = {}) => {
        if (child.exitCode === null && child.signalCode === null) {
          const t = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.kill('SIGTERM');
          await exited;
          clearTimeout(t);
        }
        if (!s.keepStore) rmSync(storeDir, { recursive: true, force: true });
      };
      return { url: `nats://127.0.0.1:${port}`, port, storeDir, process: child, output: () => out, stop };
    }
    lastError = new Error(`nats-server did not become ready on 127.0.0.1:${port}: ${out}`);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    // A port given by the caller may still be held by the previous server for a moment.
    if (opts.port) await new Promise((r) => setTimeout(r, 250));
  }
  if (!opts.storeDir) rmSync(storeDir, { recursive: true, force: true });
  throw lastError;
}
