import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../server/paths.js';
import { newSecretKey } from '../../../server/store/secret-box.js';
import { formatKey, readKeyFile } from '../../../server/store/secret-key-file.js';
import { mode } from '../store/store-helpers.js';

// The built server as `npm start` runs it (npm test builds first).
const MAIN = join(PROJECT_ROOT, 'dist', 'server', 'main.js');
const procs: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  procs.splice(0).forEach((p) => p.exitCode === null && p.kill('SIGKILL'));
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function start(env: Record<string, string>) {
  const p = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', NMS_LOG_FORMAT: 'json', NMS_HTTP_PORT: '0', NMS_HTTP_HOST: '127.0.0.1', NMS_SYSLOG_PORT: '0', NMS_TRAP_PORT: '0', NMS_SYSLOG_TLS_PORT: '0', NMS_ADMIN_PASSWORD: 'admin-password-1', NMS_POLLER: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(p);
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  p.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  const ready = async () => {
    const t0 = Date.now();
    while (!/console at http/.test(out)) {
      if (p.exitCode !== null || Date.now() - t0 > 30_000) throw new Error(`server did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { p, exited, ready, output: () => out };
}

/** Adds a device with a community through the API, then stops the server. */
async function seed(data: string, env: Record<string, string> = {}): Promise<void> {
  const s = start({ NMS_DATA_DIR: data, ...env });
  await s.ready();
  const port = /console at http:\/\/[^:]+:(\d+)/.exec(s.output())![1];
  const base = `http://127.0.0.1:${port}/api/v1`;
  const login = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }) });
  const { token } = (await login.json()) as { token: string };
  const res = await fetch(`${base}/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: 'r1', address: '127.0.0.1', snmp: { version: '2c', community: 's3cret-community' } }),
  });
  expect(res.status).toBe(201);
  s.p.kill('SIGTERM');
  expect(await s.exited).toBe(0);
}

const rawCommunity = (data: string) => {
  const db = new Database(join(data, 'netwatch.db'), { readonly: true });
  try {
    return (db.prepare('SELECT community FROM device_snmp').get() as { community: string }).community;
  } finally {
    db.close();
  }
};

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'nw-keystart-'));
  dirs.push(d);
  return d;
};

describe('secret key at start-up (built server)', { timeout: 90_000 }, () => {
  it('creates the key file 0600 on first start, and refuses to start with a missing or foreign key, plainly and without touching the data', async () => {
    const data = join(tempDir(), 'data');
    await seed(data);
    const keyFile = join(data, 'secret.key');
    expect(mode(keyFile)).toBe('0600');
    expect(mode(data)).toBe('0700');
    const key = readFileSync(keyFile, 'utf8');
    const stored = rawCommunity(data);
    expect(stored.startsWith(`enc:v1:${readKeyFile(keyFile)!.kid}:`)).toBe(true);

    // Missing: exit 2 with one plain line, no new key written.
    rmSync(keyFile);
    for (let attempt = 0; attempt < 2; attempt++) {
      const s = start({ NMS_DATA_DIR: data });
      expect(await s.exited).toBe(2);
      expect(s.output()).toMatch(/netwatch: cannot start: the database's secrets are encrypted with key [0-9a-f]{16}, but the key file .*secret\.key does not exist: restore it from your backup/);
      expect(() => readFileSync(keyFile)).toThrow(/ENOENT/);
    }
    // Foreign: the same, naming both key ids.
    const foreign = newSecretKey();
    writeFileSync(keyFile, formatKey(foreign), { mode: 0o600 });
    const s = start({ NMS_DATA_DIR: data });
    expect(await s.exited).toBe(2);
    expect(s.output()).toContain(`holds key ${foreign.kid}: put back the key file that belongs to this database`);
    expect(rawCommunity(data)).toBe(stored);

    // The right key back: it starts.
    writeFileSync(keyFile, key);
    const ok = start({ NMS_DATA_DIR: data });
    await ok.ready();
    ok.p.kill('SIGTERM');
    expect(await ok.exited).toBe(0);
  });

  it('keeps the key where NMS_SECRET_KEY_FILE says, creating it there (0600) on first start', async () => {
    const root = tempDir();
    const keyFile = join(root, 'keys', 'netwatch.key');
    await seed(join(root, 'data'), { NMS_SECRET_KEY_FILE: keyFile });
    expect(mode(keyFile)).toBe('0600');
    expect(rawCommunity(join(root, 'data')).startsWith(`enc:v1:${readKeyFile(keyFile)!.kid}:`)).toBe(true);
    const s = start({ NMS_DATA_DIR: join(root, 'data') }); // without it: the default file does not exist
    expect(await s.exited).toBe(2);
  });
});
