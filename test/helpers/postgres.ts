import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { freeTcpPort } from './nats-server.js';

/**
 * Starts a real PostgreSQL (Debian's `postgresql` package) for a test file:
 * initdb + pg_ctl as the `postgres` user (it refuses to run as root) in a new
 * temp dir that user owns, on a free loopback port, its unix socket in the
 * same dir, `-A trust` (tests only). One server per test file:
 *
 *   const pgs = await startPostgres();
 *   const url = await pgs.newDatabase();   // a fresh empty database per test
 *   ...
 *   await pgs.stop();
 *
 * Missing binaries: tests skip via `postgresAvailable()`, except under CI=true,
 * where `startPostgres` is called anyway and fails with the apt-get line.
 */
export interface PostgresHandle {
  /** postgres://netwatch@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  dir: string;
  /** Creates an empty database and returns its URL. */
  newDatabase(name?: string): Promise<string>;
  log(): string;
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL's bin dir (`/usr/lib/postgresql/<major>/bin`), or null. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0]!, 'bin') : null;
}

/** Whether a test may skip for want of PostgreSQL: only outside CI. */
export const postgresAvailable = (): boolean => postgresBinDir() !== null || process.env.CI === 'true';

/** Runs a PostgreSQL tool as the `postgres` user when we are root (it refuses root), else as ourselves. */
const asRoot = process.getuid?.() === 0;
const asPostgres = (bin: string, args: string[]) => {
  const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', bin, ...args], { encoding: 'utf8' }) : spawnSync(bin, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
};

let dbSeq = 0;

export interface PostgresOptions {
  /** fsync on (a bench measuring writes): tests run with fsync and full_page_writes off. */
  durable?: boolean;
  /** max_connections (default 50; one server shared by a whole run needs more). */
  maxConnections?: number;
}

/** A fresh database on the server at `adminUrl` (its `postgres` database); returns its URL. */
async function createDatabase(adminUrl: string, name = `t${process.pid}_${++dbSeq}_${randomBytes(3).toString('hex')}`): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return adminUrl.replace(/\/postgres$/, `/${name}`);
}

/**
 * A PostgreSQL someone else started and stops (test/global-setup.ts under
 * NW_TEST_STORE=postgres: one server for the whole run): new databases on it,
 * stop() leaves it running.
 */
export function sharedPostgres(adminUrl: string): PostgresHandle {
  return {
    url: adminUrl,
    port: Number(new URL(adminUrl).port),
    dir: '',
    newDatabase: (name?: string) => createDatabase(adminUrl, name),
    log: () => '',
    stop: async () => {},
  };
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresHandle> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is missing (no /usr/lib/postgresql/*/bin): apt-get install -y --no-install-recommends postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'nw-pg-'));
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), -1);
  // UTF-8 locale: the full-text parser treats non-ASCII letters as letters only under one.
  asPostgres(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'netwatch', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeTcpPort();
    const fast = options.durable ? '' : ' -c fsync=off -c full_page_writes=off';
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=${options.maxConnections ?? 50}${fast}`;
    try {
      asPostgres(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
    } catch (err) {
      lastError = err;
      continue;
    }
    const url = `postgres://netwatch@127.0.0.1:${port}/postgres`;
    return {
      url,
      port,
      dir,
      newDatabase: (name?: string) => createDatabase(url, name),
      log: () => (existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : ''),
      async stop() {
        try {
          asPostgres(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
