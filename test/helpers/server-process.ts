import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testStoreEnv } from './test-store.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote (JSON log lines), for failure messages. */
  output(): string;
  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the clean shutdown. */
  stop(): Promise<number | null>;
}

/**
 * The real server as its own process (`node --import tsx server/main.ts`, the
 * way `npm start` runs it but from sources), on `dataDir` with free ports
 * (HTTP, syslog and trap ports all 0; the URL is read from its start-up log
 * line). Use it where the test must kill the process (SIGKILL) and start it
 * again on the same data. `entry: 'dist'` runs the build instead, as `npm start` does
 * (`node --openssl-legacy-provider --disable-proto=throw dist/server/main.js`; run `npm run build` first).
 * NW_TEST_STORE=postgres: the store is a fresh PostgreSQL database, the same one again on the same `dataDir`.
 */
export async function startServerProcess(dataDir: string, env: Record<string, string> = {}, timeoutMs = 60_000, entry: 'sources' | 'dist' = 'sources'): Promise<ServerProcess> {
  mkdirSync(dataDir, { recursive: true });
  const warmIndex = process.env.NETWATCH_TEST_MIB_INDEX;
  if (warmIndex && existsSync(warmIndex) && !existsSync(join(dataDir, 'mib-index.json'))) copyFileSync(warmIndex, join(dataDir, 'mib-index.json'));
  const storeEnv = await testStoreEnv(dataDir, env);
  const args = entry === 'dist' ? ['--openssl-legacy-provider', '--disable-proto=throw', 'dist/server/main.js'] : ['--openssl-legacy-provider', '--import', 'tsx', 'server/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NMS_DATA_DIR: dataDir,
      NMS_HTTP_PORT: '0',
      NMS_HTTP_HOST: '127.0.0.1',
      NMS_SYSLOG_PORT: '0',
      NMS_SYSLOG_TLS_PORT: '0',
      NMS_TRAP_PORT: '0',
      NMS_LOGIN_RATE_LIMIT: '1000',
      NMS_POLL_WORKERS: '1',
      NMS_POLLER: 'false',
      ...storeEnv,
      ...env,
      // The URL is read from the info line "… console at http://…" (a collector's: "… health at http://…").
      NMS_LOG_LEVEL: 'info',
      NMS_LOG_FORMAT: 'json',
    },
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms:\n${out.slice(-3000)}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /(?:console|health) at (http:\/\/[^"\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${out.slice(-3000)}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
