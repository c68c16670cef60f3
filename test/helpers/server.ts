import type { StoredEvent } from '../../server/contracts/events.js';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNetwatch, type Netwatch, type StartOptions } from '../../server/app.js';
import { loadConfig } from '../../server/config/load-config.js';
import { createLogger } from '../../server/log/logger.js';
import { testStoreEnv } from './test-store.js';

export interface TestServer {
  url: string;
  adminPassword: string;
  dataDir: string;
  nms: Netwatch;
  stop(): Promise<void>;
}

/**
 * The real server, in-process, on a free loopback port with a temp data dir.
 * Listeners use port 0 (free ports); the built console is served from dist/client.
 * NW_TEST_STORE=postgres: its store is a fresh PostgreSQL database (test-store.ts).
 */
export async function startTestServer(opts: { adminPassword?: string; env?: Record<string, string>; coldMibs?: boolean; dataDir?: string; start?: StartOptions } = {}): Promise<TestServer> {
  // `dataDir`: start again on the data of an earlier server (stopped with `nms.stop()`, which keeps it).
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'netwatch-test-'));
  // Start warm from the index test/global-setup.ts compiled once for the run.
  const warmIndex = process.env.NETWATCH_TEST_MIB_INDEX;
  if (warmIndex && existsSync(warmIndex) && !opts.coldMibs && !existsSync(join(dataDir, 'mib-index.json'))) copyFileSync(warmIndex, join(dataDir, 'mib-index.json'));
  const adminPassword = opts.adminPassword ?? 'admin-test-password';
  const storeEnv = await testStoreEnv(dataDir, opts.env);
  const config = loadConfig([], {
    NMS_DATA_DIR: dataDir,
    NMS_HTTP_PORT: '0',
    NMS_HTTP_HOST: '127.0.0.1',
    NMS_SYSLOG_PORT: '0',
    NMS_TRAP_PORT: '0',
    NMS_SYSLOG_TLS_PORT: '0',
    NMS_ADMIN_PASSWORD: adminPassword,
    NMS_LOG_LEVEL: process.env.NMS_TEST_LOG_LEVEL ?? 'silent',
    NMS_LOGIN_RATE_LIMIT: '1000',
    NMS_POLL_WORKERS: '1',
    // No background polling in tests (only loopback peers, only when a test asks): poll-now still works.
    NMS_POLLER: 'false',
    ...storeEnv,
    ...opts.env,
  });
  const nms = await startNetwatch(config, createLogger({ level: config.logLevel, format: 'json' }), opts.start);
  if (nms.role === 'collector') {
    await nms.stop();
    throw new Error('startTestServer starts a node with a console (role all or central), not a collector');
  }
  const url = `http://127.0.0.1:${nms.httpPort}`;
  return {
    url,
    adminPassword,
    dataDir,
    nms,
    async stop() {
      await nms.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Logs in and returns the bearer token and the Set-Cookie header. */
export async function login(url: string, username: string, password: string): Promise<{ token: string; cookie: string }> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { token: string };
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { token: body.token, cookie };
}

/** A small JSON client bound to one bearer token. */
export function apiClient(url: string, token?: string) {
  return async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }> {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text };
  };
}

/** Every stored event of `type`, paged through GET /events by cursor (newest first). */
export async function eventsOfType(call: ReturnType<typeof apiClient>, type: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let cursor: number | null = null;
  do {
    const r = await call('GET', `/events?type=${encodeURIComponent(type)}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    if (r.status !== 200) throw new Error(`GET /events answered ${r.status}: ${r.text}`);
    out.push(...(r.body.items as StoredEvent[]));
    cursor = r.body.nextCursor;
  } while (cursor);
  return out;
}
