import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PgSingletons, SINGLETON_LOCK_CLASS, jobLockKey } from '../../../server/cluster/singleton.js';
import { PROJECT_ROOT } from '../../../server/paths.js';
import { postgresAvailable, startPostgres, type PostgresHandle } from '../../helpers/postgres.js';

interface Node {
  proc: ChildProcess;
  lines: { ev: string; t: number }[];
}

/** Starts test/fixtures/cluster/singleton-node.ts in its own node process. */
function startNode(url: string, job: string, node: string): Node {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/cluster/singleton-node.ts', url, job, node], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const n: Node = { proc, lines: [] };
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    try {
      n.lines.push(JSON.parse(l) as { ev: string; t: number });
    } catch {
      /* not ours */
    }
  });
  return n;
}
const count = (n: Node, ev: string) => n.lines.filter((l) => l.ev === ev).length;
const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

describe.skipIf(!postgresAvailable())('singleton jobs on PostgreSQL advisory locks', () => {
  let server: PostgresHandle;
  let url: string;
  const procs: ChildProcess[] = [];
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.newDatabase();
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) (p.kill('SIGKILL'), await exited(p));
    await server?.stop();
  });

  it('runs a job on one of two nodes; another node takes it over within 30 s of the holder being killed', async () => {
    const a = startNode(url, 'retention', 'a');
    procs.push(a.proc);
    await vi.waitFor(() => expect(count(a, 'start')).toBe(1), { timeout: 20_000, interval: 50 });
    const b = startNode(url, 'retention', 'b');
    procs.push(b.proc);
    await vi.waitFor(() => expect(count(b, 'ready')).toBe(1), { timeout: 20_000, interval: 50 });
    // b has competed (its first round is done) and lost: a holds the lock, b does not run the job.
    await vi.waitFor(() => expect(count(a, 'tick')).toBeGreaterThan(3), { timeout: 5000, interval: 50 });
    expect(count(b, 'start')).toBe(0);
    const holders = async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const r = await c.query<{ app: string }>(
          `SELECT a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objid::bigint = $2`,
          [SINGLETON_LOCK_CLASS, jobLockKey('retention') >>> 0],
        );
        return r.rows.map((x) => x.app);
      } finally {
        await c.end();
      }
    };
    expect(await holders()).toEqual(['netwatch-singletons:a']);

    const killedAt = Date.now();
    a.proc.kill('SIGKILL');
    await exited(a.proc);
    // The default retry (5–7 s) and nothing else: the holder's session ended with its process.
    await vi.waitFor(() => expect(count(b, 'start')).toBe(1), { timeout: 30_000, interval: 100 });
    const tookOver = b.lines.find((l) => l.ev === 'start')!.t - killedAt;
    expect(tookOver).toBeLessThan(30_000);
    expect(await holders()).toEqual(['netwatch-singletons:b']);
  }, 90_000);

  it('stops the job at once when its lock connection is terminated, and takes it again on a new one', async () => {
    const log: string[] = [];
    const s = new PgSingletons({ url, node: 'c', retryMs: 300, retryJitterMs: 100 });
    s.register('alarm-sweep', { start: () => void log.push('start'), stop: () => void log.push('stop') });
    await s.start();
    expect(log).toEqual(['start']);
    expect(s.held()).toEqual(['alarm-sweep']);
    expect(s.counters()).toMatchObject({ held: 1, holds_alarm_sweep: 1, connected: 1 });

    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const r = await admin.query<{ n: number }>(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'netwatch-singletons:c'`);
      expect(r.rows[0]!.n).toBe(1);
      await vi.waitFor(() => expect(log).toContain('stop'), { timeout: 10_000, interval: 20 });
      expect(log.slice(0, 2)).toEqual(['start', 'stop']);
      expect(s.counters().lost).toBe(1);
      // The job ran only with the lock: once stopped, it starts again only on a new session that took it.
      await vi.waitFor(() => expect(log).toEqual(['start', 'stop', 'start']), { timeout: 10_000, interval: 50 });
      const held = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'netwatch-singletons:c'`,
      );
      expect(held.rows[0]!.n).toBe(1);
    } finally {
      await admin.end();
      await s.close();
    }
    expect(log.at(-1)).toBe('stop');
    expect(s.held()).toEqual([]);
  }, 30_000);

  it('does not start a job that another session holds, and starts it once that session lets go', async () => {
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    await other.query('SELECT pg_advisory_lock($1, $2)', [SINGLETON_LOCK_CLASS, jobLockKey('housekeeping')]);
    const log: string[] = [];
    const s = new PgSingletons({ url, node: 'd', retryMs: 200, retryJitterMs: 50 });
    s.register('housekeeping', { start: () => void log.push('start'), stop: () => void log.push('stop') });
    try {
      await s.start();
      expect(log).toEqual([]);
      expect(s.counters()).toMatchObject({ held: 0, holds_housekeeping: 0 });
      await other.query('SELECT pg_advisory_unlock($1, $2)', [SINGLETON_LOCK_CLASS, jobLockKey('housekeeping')]);
      await vi.waitFor(() => expect(log).toEqual(['start']), { timeout: 10_000, interval: 20 });
    } finally {
      await other.end();
      await s.close();
    }
    expect(log).toEqual(['start', 'stop']);
  }, 30_000);
});
