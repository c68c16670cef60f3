import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../../helpers/postgres.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { apiClient, login } from '../../helpers/server.js';
import { testPostgres } from '../../helpers/store-engines.js';

/**
 * The whole server on PostgreSQL (NMS_DATABASE_URL), as `npm start` runs it (its own process):
 * an EMPTY database migrated by the server itself, then a device, a rule, a syslog line that
 * raises an alarm, read back through the API; then a second server on the same database (and the
 * same key file) finds all of it, the first server's session token included.
 * The URL carries a password (the test PostgreSQL trusts loopback, so any password is accepted):
 * it must appear in no log line, no API answer and no start-up error.
 */
const PASSWORD = 'Pg-Secret-7f3a9c';
const ADMIN = 'admin-pg-password-1';

const procs: ServerProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const p of procs) await p.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'nw-pgstore-'));
  dirs.push(d);
  return d;
};

/** The test database's URL with a user password in it. */
const withPassword = (url: string) => url.replace('postgres://netwatch@', `postgres://netwatch:${PASSWORD}@`);

async function start(dataDir: string, url: string): Promise<ServerProcess> {
  const p = await startServerProcess(dataDir, { NMS_DATABASE_URL: url, NMS_ADMIN_PASSWORD: ADMIN, NMS_SYSLOG_HOST: '127.0.0.1', NMS_TRAP_HOST: '127.0.0.1' });
  procs.push(p);
  return p;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The server's error log lines (what a failing call shows): message and error text only. */
function errors(p: ServerProcess): string {
  return p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{') && /"level":(50|60)/.test(l))
    .map((l) => {
      const j = JSON.parse(l) as { msg?: string; err?: { message?: string; stack?: string } };
      return `${j.msg}: ${j.err?.message ?? ''} ${j.err?.stack?.split('\n')[1]?.trim() ?? ''}`;
    })
    .slice(-5)
    .join('\n');
}

/** Fails with the answer and the server's error log when `res` has not `status` (the log arrives over a pipe: wait a moment for it). */
async function expectStatus(p: ServerProcess, res: { status: number; text: string }, status: number): Promise<void> {
  if (res.status === status) return;
  await new Promise((r) => setTimeout(r, 500));
  expect(res.status, `${res.text}\n${errors(p)}`).toBe(status);
}

async function sendSyslog(port: number, line: string): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => s.send(Buffer.from(line), port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  s.close();
}

describe.skipIf(!postgresAvailable())('the server on PostgreSQL', { timeout: 180_000 }, () => {
  let url: string;
  let dataDir: string;
  let first: ServerProcess;
  let token: string;
  const ids: { device?: number; rule?: number; alarm?: number; event?: number } = {};

  beforeAll(async () => {
    url = withPassword(await (await testPostgres()).newDatabase());
    dataDir = tempDir();
    first = await start(dataDir, url);
    token = (await login(first.url, 'admin', ADMIN)).token;
  }, 120_000);

  it('migrates the empty database itself and keeps nothing in a SQLite file', async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const versions = (await c.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);
      expect(versions[0]).toBe(1);
      expect(versions.length).toBeGreaterThanOrEqual(2);
      expect((await c.query<{ n: string }>("SELECT count(*) AS n FROM users WHERE username = 'admin'")).rows[0]!.n).toBe('1');
    } finally {
      await c.end();
    }
    expect(existsSync(join(dataDir, 'netwatch.db'))).toBe(false);
    expect(existsSync(join(dataDir, 'secret.key'))).toBe(true);
  });

  it('says where the store is in GET /status without the password', async () => {
    const res = await apiClient(first.url, token)('GET', '/status');
    expect(res.status).toBe(200);
    expect(res.body.database.path).toBe(url.replace(PASSWORD, '***'));
    expect(res.body.database.sizeBytes).toBeGreaterThan(0);
    expect(res.body.database.schemaVersion).toBeGreaterThanOrEqual(2);
    expect(res.text).not.toContain(PASSWORD);
  });

  it('creates a device and a rule and turns a syslog line into an event read back through GET /events', async () => {
    const call = apiClient(first.url, token);
    const dev = await call('POST', '/devices', { name: 'pg-edge', address: '127.0.0.1' });
    await expectStatus(first, dev, 201);
    ids.device = dev.body.id;
    const rule = await call('POST', '/rules', {
      name: 'pg fan',
      body: { kind: 'event', match: { message: 'fan (?<fan>\\d+) failed' }, actions: { severity: 'critical', title: '{device.name}: fan {fan} failed', disposition: 'alarm', reductionKey: 'fan:{deviceOrSource}:{fan}' } },
    });
    await expectStatus(first, rule, 201);
    ids.rule = rule.body.id;

    const health = await call('GET', '/health');
    const port = health.body.ports.syslog as number;
    expect(port).toBeGreaterThan(0);
    await sendSyslog(port, '<11>Dec  7 14:00:00 pg-edge envmon[42]: fan 3 failed');

    const event = await until('the event in GET /events', async () => {
      const r = await call('GET', '/events?limit=50');
      await expectStatus(first, r, 200);
      return (r.body.items as Array<{ id: number; message: string; deviceId: number | null; severity: string }>).find((e) => e.message.includes('fan 3 failed'));
    });
    expect(event).toMatchObject({ deviceId: ids.device, severity: 'critical' });
    ids.event = event.id;
    const one = await call('GET', `/events/${event.id}`);
    await expectStatus(first, one, 200);
    expect(one.body.message).toContain('fan 3 failed');
  });

  it('raises the rule\'s alarm for that line and lists it in GET /alarms', async () => {
    const call = apiClient(first.url, token);
    const alarm = await until('the alarm in GET /alarms', async () => {
      const r = await call('GET', '/alarms');
      await expectStatus(first, r, 200);
      return (r.body.items as Array<{ id: number; reductionKey: string; title: string; severity: string; state: string }>).find((a) => a.reductionKey === `fan:${ids.device}:3`);
    }, 15_000);
    expect(alarm).toMatchObject({ title: 'pg-edge: fan 3 failed', severity: 'critical', state: 'active' });
    ids.alarm = alarm.id;
  });

  let second: ServerProcess;
  it('a second server on the same database takes the first server\'s session and finds the device, the rule and the event; new event ids go on from there', async () => {
    expect(await first.stop()).toBe(0);
    second = await start(dataDir, url);
    const call = apiClient(second.url, token);
    const me = await call('GET', '/auth/me');
    await expectStatus(second, me, 200);
    expect(me.body.user.username).toBe('admin');

    const devices = await call('GET', '/devices');
    await expectStatus(second, devices, 200);
    expect((devices.body.items as Array<{ id: number; name: string }>).find((d) => d.id === ids.device)?.name).toBe('pg-edge');
    const rules = await call('GET', '/rules');
    await expectStatus(second, rules, 200);
    expect((rules.body.items as Array<{ id: number; name: string }>).find((r) => r.id === ids.rule)?.name).toBe('pg fan');
    const event = await call('GET', `/events/${ids.event}`);
    await expectStatus(second, event, 200);
    expect(event.body.message).toContain('fan 3 failed');

    // A new event on the second server gets a higher id than the first server's (ids continue, no collision).
    await sendSyslog((await call('GET', '/health')).body.ports.syslog as number, '<11>Dec  7 14:01:00 pg-edge envmon[42]: fan 4 failed');
    const next = await until('the second event', async () =>
      ((await call('GET', '/events?limit=50')).body.items as Array<{ id: number; message: string }>).find((e) => e.message.includes('fan 4 failed')),
    );
    expect(next.id).toBeGreaterThan(ids.event!);
  });

  it('the second server lists the first server\'s alarm', async () => {
    const alarms = await apiClient(second.url, token)('GET', '/alarms');
    await expectStatus(second, alarms, 200);
    expect((alarms.body.items as Array<{ id: number; reductionKey: string; state: string }>).find((a) => a.reductionKey === `fan:${ids.device}:3`)).toMatchObject({ id: ids.alarm, state: 'active' });
  });

  it('never writes the password into a log line', () => {
    for (const p of [first, second]) expect(p.output()).not.toContain(PASSWORD);
    expect(second.output()).toContain(url.replace(PASSWORD, '***'));
  });
});

describe.skipIf(!postgresAvailable())('a PostgreSQL store that cannot be opened', { timeout: 120_000 }, () => {
  it('stops start-up with a plain message that names the database without its password', async () => {
    const pgs = await testPostgres();
    // The test PostgreSQL's port with a database that does not exist.
    const bad = `postgres://netwatch:${PASSWORD}@127.0.0.1:${pgs.port}/no_such_database`;
    const err = await startServerProcess(tempDir(), { NMS_DATABASE_URL: bad, NMS_ADMIN_PASSWORD: ADMIN }, 30_000).then(
      (p) => {
        procs.push(p);
        return null;
      },
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/server exited \(2\)/);
    expect(err?.message).toContain(`netwatch: cannot start: PostgreSQL store at postgres://netwatch:***@127.0.0.1:${pgs.port}/no_such_database`);
    expect(err?.message).toMatch(/does not exist/);
    expect(err?.message).not.toContain(PASSWORD);
  });

  it('refuses a URL of another scheme as a configuration error, without echoing it', async () => {
    const err = await startServerProcess(tempDir(), { NMS_DATABASE_URL: `mysql://netwatch:${PASSWORD}@127.0.0.1/netwatch` }, 30_000).then(
      (p) => {
        procs.push(p);
        return null;
      },
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/server exited \(2\)/);
    expect(err?.message).toMatch(/databaseUrl \(NMS_DATABASE_URL \/ --database-url\): must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(err?.message).not.toContain(PASSWORD);
  });
});
