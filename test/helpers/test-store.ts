import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testPostgres } from './store-engines.js';

/**
 * Which store the servers of a test run on: NW_TEST_STORE=postgres (`npm run test:postgres`)
 * puts them on PostgreSQL, anything else (the default) on SQLite in their data dir.
 */
export const TEST_STORE: 'sqlite' | 'postgres' = process.env.NW_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** Where a data dir remembers its test database, so a server started again on it finds its data. */
const URL_FILE = 'test-database-url';

/**
 * The environment that puts a server on `dataDir` onto the test store: under
 * NW_TEST_STORE=postgres, `NMS_DATABASE_URL` of a fresh, EMPTY database on the
 * run's real PostgreSQL (test/global-setup.ts; the server migrates it itself), the same
 * database again for a server started later on the same data dir. Nothing
 * when the caller set NMS_DATABASE_URL itself, or on SQLite.
 */
export async function testStoreEnv(dataDir: string, env: Record<string, string> = {}): Promise<Record<string, string>> {
  if (TEST_STORE !== 'postgres' || env.NMS_DATABASE_URL !== undefined) return {};
  const file = join(dataDir, URL_FILE);
  if (existsSync(file)) return { NMS_DATABASE_URL: readFileSync(file, 'utf8').trim() };
  const url = await (await testPostgres()).newDatabase();
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, url);
  return { NMS_DATABASE_URL: url };
}
