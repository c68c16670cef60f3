import { afterEach, beforeEach } from 'vitest';
import type { Db } from '../../../server/store/database.js';
import type { DeviceWrite } from '../../../server/store/device.repository.js';
import { openTestDb, type StoreEngine } from '../../helpers/store-engines.js';

/**
 * Text a hostile client may send, NUL-free (PostgreSQL text cannot hold U+0000;
 * the NUL cases are tested on their own): quotes, SQL, prototype names, JSON,
 * non-ASCII, emoji and a long string.
 */
export const HOSTILE = [
  `it's "quoted"`,
  `'); DROP TABLE devices; --`,
  '__proto__',
  'constructor',
  '{"a":1}',
  'Ünïcødé ñame 日本語',
  'emoji 🚀🔥',
  '%_\\ like wildcards',
  '$1 ? @name :name',
  'x'.repeat(10_000),
];

/** A fresh migrated database of `engine` for each test, closed after it. */
export function freshDb(engine: StoreEngine): () => Db {
  let db: Db | undefined;
  beforeEach(async () => {
    db = await openTestDb(engine);
  }, 60_000);
  afterEach(() => {
    db?.close();
    db = undefined;
  });
  return () => db!;
}

export const deviceWrite = (name: string, address = '127.0.0.1', over: Partial<DeviceWrite> = {}): DeviceWrite => ({
  name,
  address,
  group: null,
  location: null,
  tags: ['core'],
  pollIntervalSec: 60,
  icmpEnabled: true,
  snmp: { enabled: true, version: '2c', port: 161, community: 'public', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 1000, retries: 1 },
  ...over,
});

/** How SQLite orders text by bytes (BINARY), or ASCII-folded bytes (NOCASE): the order both engines must give. */
export const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
export const nocaseOrder = (a: string, b: string): number => byteOrder(a.replace(/[A-Z]/g, (c) => c.toLowerCase()), b.replace(/[A-Z]/g, (c) => c.toLowerCase()));
