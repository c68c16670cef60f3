import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_MIGRATIONS_DIR } from '../../../server/paths.js';
import { migratePostgres, readMigrations } from '../../../server/store/pg/migrate.js';
import { postgresAvailable, startPostgres, type PostgresHandle } from '../../helpers/postgres.js';

describe.skipIf(!postgresAvailable())('PostgreSQL migrations (real PostgreSQL)', () => {
  let pgs: PostgresHandle;
  beforeAll(async () => {
    pgs = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await pgs?.stop();
  });

  const tables = async (url: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') ORDER BY relname");
      const v = await c.query<{ version: number; n: string }>('SELECT version, count(*) OVER () AS n FROM schema_migrations ORDER BY version');
      return { tables: r.rows.map((x) => x.relname), versions: v.rows.map((x) => x.version) };
    } finally {
      await c.end();
    }
  };

  it('applies every migration to an empty database, and a second run applies nothing', async () => {
    const url = await pgs.newDatabase();
    const all = readMigrations(PG_MIGRATIONS_DIR);
    const first = await migratePostgres(url, all);
    expect(first.applied).toEqual(all.map((m) => m.version));
    const again = await migratePostgres(url, all);
    expect(again.applied).toEqual([]);
    expect(again.version).toBe(all.at(-1)!.version);
    const t = await tables(url);
    expect(t.tables).toEqual(expect.arrayContaining(['events', 'events_default', 'event_partitions', 'remote_batches', 'schema_migrations']));
    expect(t.versions).toEqual(all.map((m) => m.version));
  });

  it('two runners started at once on an empty database both succeed and apply each migration exactly once', async () => {
    const url = await pgs.newDatabase();
    const all = readMigrations(PG_MIGRATIONS_DIR);
    // A slow first migration widens the window in which the two would race without the lock.
    const slow = [{ ...all[0]!, sql: `SELECT pg_sleep(0.5);\n${all[0]!.sql}` }, ...all.slice(1)];
    const [a, b] = await Promise.all([migratePostgres(url, slow), migratePostgres(url, slow)]);
    expect([...a.applied, ...b.applied].sort()).toEqual(all.map((m) => m.version));
    expect(a.applied.length === 0 || b.applied.length === 0).toBe(true);
    expect((await tables(url)).versions).toEqual(all.map((m) => m.version));
  });

  it('refuses a database whose schema is newer than this server', async () => {
    const url = await pgs.newDatabase();
    const all = readMigrations(PG_MIGRATIONS_DIR);
    await migratePostgres(url, all);
    await expect(migratePostgres(url, all.slice(0, 0))).rejects.toThrow(/newer than this server/);
  });

  it('rolls back a failing migration whole and names it', async () => {
    const url = await pgs.newDatabase();
    const bad = [{ version: 1, name: 'broken', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();' }];
    await expect(migratePostgres(url, bad)).rejects.toThrow(/0001_broken failed/);
    const t = await tables(url);
    expect(t.tables).not.toContain('half_done');
    expect(t.versions).toEqual([]);
  });
});
