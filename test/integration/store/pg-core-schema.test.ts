import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { postgresAvailable } from '../../helpers/postgres.js';
import { newPgDatabase } from '../../helpers/store-engines.js';
import { openDatabase } from '../../../server/store/database.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';
import { MIGRATIONS_DIR } from '../../../server/paths.js';

/** Tables that stay SQLite-only: its events layer (FTS parts, backfill) has its own PostgreSQL form in 0001. */
const SQLITE_ONLY = new Set(['sqlite_sequence', 'event_fts_parts', 'event_backfill', 'event_fts']);

describe.skipIf(!postgresAvailable())('the PostgreSQL core schema', () => {
  it('has every SQLite table with the same columns', async () => {
    const url = await newPgDatabase();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const pgCols = new Map<string, Set<string>>();
    for (const r of (await c.query<{ t: string; c: string }>("SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public'")).rows) {
      if (!pgCols.has(r.t)) pgCols.set(r.t, new Set());
      pgCols.get(r.t)!.add(r.c);
    }
    await c.end();
    const lite = openDatabase(':memory:');
    migrate(lite, readMigrations(MIGRATIONS_DIR));
    const tables = (lite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'event_fts%'").pluck().all() as string[]).filter((t) => !SQLITE_ONLY.has(t));
    const missing: string[] = [];
    for (const t of tables) {
      const cols = (lite.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t) as string[]).filter((x) => t !== 'events' || x !== 'tsv');
      for (const col of cols) if (!pgCols.get(t)?.has(col)) missing.push(`${t}.${col}`);
    }
    lite.close();
    expect(missing).toEqual([]);
  }, 60_000);
});
