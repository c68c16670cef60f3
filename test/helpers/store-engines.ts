import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { MIGRATIONS_DIR, PG_MIGRATIONS_DIR } from '../../server/paths.js';
import { openDatabase, type Db } from '../../server/store/database.js';
import { migrate, readMigrations } from '../../server/store/migrate.js';
import { migratePostgres } from '../../server/store/pg/migrate.js';
import { openPgDb } from '../../server/store/pg/pg-db.js';
import { postgresAvailable, sharedPostgres, startPostgres, type PostgresHandle } from './postgres.js';

/**
 * Repository tests on both engines:
 *
 *   describe.each(STORE_ENGINES)('devices on %s', (engine) => {
 *     let db: Db;
 *     beforeEach(async () => { db = await openTestDb(engine); });
 *     afterEach(() => db.close());
 *     ...
 *   });
 *
 * 'sqlite': a fresh migrated in-memory database. 'postgres': a fresh database
 * on one real PostgreSQL per test file (Debian's `postgresql`, started on a
 * free port; see postgres.ts), migrated with migrations/postgres, opened
 * through the synchronous PgDb facade the server uses.
 * Without PostgreSQL binaries the postgres cases are left out, except under
 * CI=true, where they run and fail with the apt-get line.
 */
export type StoreEngine = 'sqlite' | 'postgres';

/**
 * NW_TEST_STORE=postgres (`npm run test:postgres`, the second pass of .ci/run) runs the
 * PostgreSQL cases only: the default pass has run both engines already.
 */
export const STORE_ENGINES: StoreEngine[] = process.env.NW_TEST_STORE === 'postgres' ? ['postgres'] : postgresAvailable() ? ['sqlite', 'postgres'] : ['sqlite'];

let server: Promise<PostgresHandle> | null = null;

// Only under vitest: test/helpers/server.ts imports this file and benchmarks import that with plain node.
if (process.env.VITEST) {
  afterAll(async () => {
    if (server) await (await server).stop();
    server = null;
  });
}

/**
 * One PostgreSQL per test file, started on first use; under NW_TEST_STORE=postgres the one
 * test/global-setup.ts started for the whole run (NW_TEST_PG_URL), which saves an initdb per file.
 */
export function testPostgres(): Promise<PostgresHandle> {
  const shared = process.env.NW_TEST_PG_URL;
  server ??= shared ? Promise.resolve(sharedPostgres(shared)) : startPostgres();
  return server;
}

let dbSeq = 0;
let template: Promise<string> | null = null;

/**
 * The name of a database migrated with migrations/postgres as they are now, made once per server
 * (the first process to ask builds it under an advisory lock; the name carries the migrations'
 * hash, so a changed migration gets a new one). New test databases are copies of it.
 */
function migratedTemplate(pgs: PostgresHandle): Promise<string> {
  template ??= (async () => {
    const migrations = readMigrations(PG_MIGRATIONS_DIR);
    const hash = createHash('sha256').update(JSON.stringify(migrations)).digest('hex').slice(0, 16);
    const name = `nw_tpl_${hash}`;
    const admin = new pg.Client({ connectionString: pgs.url });
    await admin.connect();
    try {
      await admin.query('SELECT pg_advisory_lock(4242, 1)');
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (!exists.rowCount) {
        const build = `${name}_b${process.pid}`;
        await admin.query(`DROP DATABASE IF EXISTS ${build}`);
        await admin.query(`CREATE DATABASE ${build}`);
        await migratePostgres(pgs.url.replace(/\/postgres$/, `/${build}`), migrations);
        await admin.query(`ALTER DATABASE ${build} RENAME TO ${name}`);
      }
    } finally {
      await admin.end();
    }
    return name;
  })();
  template.catch(() => (template = null));
  return template;
}

/** A fresh, migrated PostgreSQL database URL (a copy of the migrated template: no migration run per test). */
export async function newPgDatabase(): Promise<string> {
  const pgs = await testPostgres();
  const from = await migratedTemplate(pgs);
  const name = `t${process.pid}_${++dbSeq}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: pgs.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${from}`);
  } finally {
    await admin.end();
  }
  return pgs.url.replace(/\/postgres$/, `/${name}`);
}

export async function openTestDb(engine: StoreEngine): Promise<Db> {
  if (engine === 'sqlite') {
    const db = openDatabase(':memory:');
    migrate(db, readMigrations(MIGRATIONS_DIR));
    return db;
  }
  return openPgDb(await newPgDatabase());
}
