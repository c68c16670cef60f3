import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MibService } from '../server/mib/mib.service.js';
import { MIBS_DIR } from '../server/paths.js';
import { postgresAvailable, startPostgres, type PostgresHandle } from './helpers/postgres.js';

/**
 * Compiles the MIB index once for the whole run: every test server then
 * starts warm from a copy (test/helpers/server.ts) instead of each compiling
 * the full IETF/IANA set on a two-core machine.
 */
export const TEST_MIB_CACHE = join(tmpdir(), `netwatch-test-mib-cache-${process.ppid}`);

let postgres: PostgresHandle | undefined;

export async function setup(): Promise<void> {
  // One PostgreSQL for the whole run: the repository tests on both engines and, under
  // NW_TEST_STORE=postgres (npm run test:postgres), every test server get their own databases on it
  // (test/helpers/store-engines.ts, test-store.ts). Tests that stop, cut or configure a server
  // start their own (startPostgres). Under CI=true a missing PostgreSQL fails here, naming the package.
  if (postgresAvailable()) {
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
