import pg from 'pg';
import { readMigrations, type Migration } from '../migrate.js';

/**
 * Migrations of the PostgreSQL store: `migrations/postgres/NNNN_name.sql`,
 * applied in order, each in its own transaction together with its row in
 * `schema_migrations`, all under one session-level advisory lock so that
 * central nodes starting at the same time apply each migration exactly once
 * (the second waits for the first, then finds nothing left to do).
 */

/** The advisory lock key of the migration runner ('nwmigrat' as 8 bytes). */
export const MIGRATION_LOCK_KEY = 0x6e776d6967726174n;

export { readMigrations };
export type { Migration };

export interface PgMigrateResult {
  /** Versions this call applied (empty: the schema was up to date). */
  applied: number[];
  version: number;
}

/**
 * Applies every migration newer than the newest row of `schema_migrations`.
 * `target`: a connection string or a connected client (its session holds the lock while this runs).
 */
export async function migratePostgres(target: string | pg.Client, migrations: Migration[]): Promise<PgMigrateResult> {
  const own = typeof target === 'string';
  const c = own ? new pg.Client({ connectionString: target }) : target;
  if (own) await c.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const r = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
      const current = r.rows[0]?.v ?? 0;
      const latest = migrations.at(-1)?.version ?? 0;
      if (current > latest) throw new Error(`PostgreSQL schema version ${current} is newer than this server (${latest}); refusing to start`);
      const applied: number[] = [];
      for (const m of migrations) {
        if (m.version <= current) continue;
        await c.query('BEGIN');
        try {
          await c.query(m.sql);
          await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK');
          throw new Error(`PostgreSQL migration ${String(m.version).padStart(4, '0')}_${m.name} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(m.version);
      }
      return { applied, version: Math.max(current, latest) };
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    if (own) await c.end();
  }
}
