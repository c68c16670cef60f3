/**
 * The two set-ups the scale bench compares, as real processes from dist/ (`npm run build` first):
 *   - `all`: one process, no NATS (today's default);
 *   - `scale`: nats-server (JetStream, store on disk) + one `central` + two `collector`s (site-a,
 *     site-b), each its own process.
 * Both answer the same questions: which UDP syslog ports to send to, how many events the store has
 * taken (`events.stored` at /api/v1/status), whether anything is still queued, and a cookie for a
 * socket.io client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type NatsServerHandle } from '../../helpers/nats-server.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { login } from '../../helpers/server.js';

export const PASSWORD = 'scale-bench-Password-1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Side {
  name: 'all' | 'scale';
  /** The console (the `all` process, or the central). */
  url: string;
  /** Syslog UDP ports to send to: the `all` process's (twice), or collector site-a's and site-b's. */
  ports: number[];
  cookie: string;
  counters(): Promise<Record<string, number>>;
  /** The path of the console's SQLite database. */
  dbPath(): Promise<string>;
  stop(): Promise<void>;
}

export interface ScaleSide extends Side {
  /** SIGTERM the central and wait for its clean shutdown (the outage). */
  stopCentral(): Promise<void>;
  /** Start the central again on the same data dir; resolves once its console listens. */
  startCentral(): Promise<void>;
}

async function status(url: string, token: string): Promise<{ counters: Record<string, number>; database: { path: string } }> {
  const r = await fetch(`${url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } });
  if (r.status !== 200) throw new Error(`GET /status: ${r.status} ${(await r.text()).slice(0, 300)}`);
  return (await r.json()) as { counters: Record<string, number>; database: { path: string } };
}

async function syslogPort(url: string): Promise<number> {
  return ((await (await fetch(`${url}/api/v1/health`)).json()) as { ports: { syslog: number } }).ports.syslog;
}

/** The OID dictionary compiles in the background after start: wait so it does not take the CPU from the ladder. */
async function mibsIdle(url: string, token: string): Promise<void> {
  for (let t = Date.now(); Date.now() - t < 120_000; await sleep(250)) {
    const r = await fetch(`${url}/api/v1/mibs`, { headers: { authorization: `Bearer ${token}` } });
    if (r.status === 200 && !((await r.json()) as { loading: boolean }).loading) return;
  }
}

const LISTEN = { NMS_SYSLOG_HOST: '127.0.0.1', NMS_TRAP_HOST: '127.0.0.1' };

export async function startAll(): Promise<Side> {
  const dir = mkdtempSync(join(tmpdir(), 'nw-scale-all-'));
  const srv = await startServerProcess(dir, { ...LISTEN, NMS_ADMIN_PASSWORD: PASSWORD }, 120_000, 'dist');
  const { token, cookie } = await login(srv.url, 'admin', PASSWORD);
  await mibsIdle(srv.url, token);
  const port = await syslogPort(srv.url);
  return {
    name: 'all',
    url: srv.url,
    ports: [port, port],
    cookie,
    counters: async () => (await status(srv.url, token)).counters,
    dbPath: async () => (await status(srv.url, token)).database.path,
    async stop() {
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startScale(): Promise<ScaleSide> {
  const dirs = ['central', 'site-a', 'site-b'].map((n) => mkdtempSync(join(tmpdir(), `nw-scale-${n}-`)));
  let nats: NatsServerHandle | undefined;
  let central: ServerProcess | undefined;
  const collectors: ServerProcess[] = [];
  const stopAll = async () => {
    for (const c of collectors) await c.stop();
    await central?.stop();
    await nats?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    nats = await startNatsServer();
    const natsUrl = nats.url;
    const centralEnv = { ...LISTEN, NMS_ROLE: 'central', NMS_NATS_URL: natsUrl, NMS_ADMIN_PASSWORD: PASSWORD };
    central = await startServerProcess(dirs[0]!, centralEnv, 120_000, 'dist');
    for (const [i, site] of (['site-a', 'site-b'] as const).entries()) {
      collectors.push(await startServerProcess(dirs[i + 1]!, { ...LISTEN, NMS_ROLE: 'collector', NMS_SITE: site, NMS_NATS_URL: natsUrl }, 120_000, 'dist'));
    }
    let { token, cookie } = await login(central.url, 'admin', PASSWORD);
    await mibsIdle(central.url, token);
    const ports = await Promise.all(collectors.map((c) => syslogPort(c.url)));
    const side: ScaleSide = {
      name: 'scale',
      get url() {
        return central!.url;
      },
      ports,
      get cookie() {
        return cookie;
      },
      counters: async () => (await status(central!.url, token)).counters,
      dbPath: async () => (await status(central!.url, token)).database.path,
      stop: stopAll,
      async stopCentral() {
        await central!.stop();
      },
      async startCentral() {
        central = await startServerProcess(dirs[0]!, centralEnv, 120_000, 'dist');
        ({ token, cookie } = await login(central.url, 'admin', PASSWORD));
      },
    };
    return side;
  } catch (e) {
    await stopAll();
    throw e;
  }
}
