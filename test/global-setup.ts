import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MibService } from '../server/mib/mib.service.js';
import { MIBS_DIR } from '../server/paths.js';
import { startPostgres, type PostgresHandle } from './helpers/postgres.js';

/**
 * Compiles the MIB index once for the whole run: every test server then
 * starts warm from a copy (test/helpers/server.ts) instead of each compiling
 * the full IETF/IANA set on a two-core machine.
 */
export const TEST_MIB_CACHE = join(tmpdir(), `netwatch-test-mib-cache-${process.ppid}`);

let postgres: PostgresHandle | undefined;

export async function setup(): Promise<void> {
  // NW_TEST_STORE=postgres (npm run test:postgres): one PostgreSQL for the whole run; each test
  // server gets its own database on it (test/helpers/test-store.ts).
  if (process.env.NW_TEST_STORE === 'postgres') {
    postgres = await startPostgres({ maxConnections: 300 });
    process.env.NW_TEST_PG_URL = postgres.url;
  }
  mkdirSync(TEST_MIB_CACHE, { recursive: true });
  const mibs = new MibService({ dataDir: TEST_MIB_CACHE, projectDir: MIBS_DIR, worker: false });
  await mibs.load();
  await mibs.close();
  process.env.NETWATCH_TEST_MIB_INDEX = join(TEST_MIB_CACHE, 'mib-index.json');
}

export async function teardown(): Promise<void> {
  rmSync(TEST_MIB_CACHE, { recursive: true, force: true });
  await postgres?.stop();
}
