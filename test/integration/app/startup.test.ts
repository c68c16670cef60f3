import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../server/paths.js';

// Runs the built server exactly as `npm start` does (npm test builds first).
const MAIN = join(PROJECT_ROOT, 'dist', 'server', 'main.js');
const procs: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  procs.splice(0).forEach((p) => p.exitCode === null && p.kill('SIGKILL'));
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function run(env: Record<string, string>, args: string[] = []) {
  const p = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', NMS_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(p);
  let out = '';
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d) => {
    out += d;
    stdout += d;
  });
  p.stderr!.on('data', (d) => {
    out += d;
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  const waitFor = async (re: RegExp, ms = 20_000) => {
    const t0 = Date.now();
    while (!re.test(out)) {
      if (p.exitCode !== null || Date.now() - t0 > ms) throw new Error(`did not see ${re} in output:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return out;
  };
  return { p, exited, waitFor, output: () => out, stdout: () => stdout, stderr: () => stderr };
}

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'nw-start-'));
  dirs.push(d);
  return d;
};

describe('server start-up', () => {
  it('is built (npm test runs the build first)', () => {
    expect(existsSync(MAIN)).toBe(true);
  });

  it('creates the data dir and a WAL database, shows a generated admin password once on stderr but never in the JSON log, and stops cleanly on SIGTERM', async () => {
    const data = join(tempDir(), 'nested', 'data');
    const s = run({ NMS_DATA_DIR: data, NMS_HTTP_PORT: '0', NMS_HTTP_HOST: '127.0.0.1', NMS_SYSLOG_PORT: '0', NMS_TRAP_PORT: '0', NMS_SYSLOG_TLS_PORT: '0' });
    const out = await s.waitFor(/console at http:\/\/[^:]+:(\d+)/);
    const port = /console at http:\/\/[^:]+:(\d+)/.exec(out)![1];
    const password = /generated password\s+(\S+)/.exec(s.stderr())![1]!;
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    // The JSON log (stdout) says where to look, and never holds the password.
    expect(s.stdout()).toMatch(/"msg":"first start: created user \\"admin\\" with a generated password, shown once on stderr/);
    expect(s.stdout()).not.toContain(password);
    for (const line of s.stdout().trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    const health = (await (await fetch(`http://127.0.0.1:${port}/api/v1/health`)).json()) as { status: string; ports: { http: number } };
    expect(health).toMatchObject({ status: 'ok', ports: { http: Number(port) } });
    s.p.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.output()).toMatch(/"msg":"stopped"/);
    const db = new Database(join(data, 'netwatch.db'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect((db.pragma('user_version', { simple: true }) as number) > 0).toBe(true);
    db.close();

    // Second start: the admin exists, no password is printed again.
    const again = run({ NMS_DATA_DIR: data, NMS_HTTP_PORT: '0', NMS_HTTP_HOST: '127.0.0.1', NMS_SYSLOG_PORT: '0', NMS_TRAP_PORT: '0', NMS_SYSLOG_TLS_PORT: '0' });
    const out2 = await again.waitFor(/console at/);
    expect(out2).not.toMatch(/generated password/);
    expect(again.stderr()).toBe('');
    again.p.kill('SIGINT');
    expect(await again.exited).toBe(0);
  });

  it('uses NMS_ADMIN_PASSWORD for the first admin', async () => {
    const s = run({ NMS_DATA_DIR: tempDir(), NMS_HTTP_PORT: '0', NMS_HTTP_HOST: '127.0.0.1', NMS_ADMIN_PASSWORD: 'from-the-env-123', NMS_SYSLOG_PORT: '0', NMS_TRAP_PORT: '0', NMS_SYSLOG_TLS_PORT: '0' });
    const out = await s.waitFor(/console at http:\/\/[^:]+:(\d+)/);
    expect(out).not.toContain('from-the-env-123');
    const port = /console at http:\/\/[^:]+:(\d+)/.exec(out)![1];
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'from-the-env-123' }),
    });
    expect(login.status).toBe(200);
    s.p.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('refuses a common NMS_ADMIN_PASSWORD at start-up, naming the key', async () => {
    const s = run({ NMS_DATA_DIR: tempDir(), NMS_HTTP_PORT: '0', NMS_ADMIN_PASSWORD: 'password123' });
    expect(await s.exited).toBe(2);
    expect(s.stderr()).toMatch(/adminPassword \(NMS_ADMIN_PASSWORD.*most common passwords/);
  });

  it('refuses to start on an invalid setting and names the key', async () => {
    const s = run({ NMS_DATA_DIR: tempDir(), NMS_HTTP_PORT: 'not-a-port' });
    expect(await s.exited).toBe(2);
    expect(s.output()).toMatch(/httpPort \(NMS_HTTP_PORT/);
  });
});
