import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Small values a process without a database keeps in its dataDir, made on first start (0600):
 * the collector's id (what the centre knows it by) and its SNMP engine ID (what v3 senders cache).
 */
function readOrCreate(file: string, valid: RegExp, make: () => string): string {
  try {
    const v = readFileSync(file, 'utf8').trim();
    if (valid.test(v)) return v;
    throw new Error(`${file} does not hold a valid value; remove it to make a new one`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const v = make();
  try {
    // 'wx': two processes on one dataDir never overwrite each other's value.
    writeFileSync(file, `${v}\n`, { mode: 0o600, flag: 'wx' });
    return v;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readFileSync(file, 'utf8').trim();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ENGINE_ID = /^[0-9a-f]{10,64}$/;

/** `<dataDir>/collector-id`: a UUID, the same across restarts. */
export function collectorId(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  return readOrCreate(join(dataDir, 'collector-id'), UUID, () => randomUUID());
}

/** `<dataDir>/snmp-engine-id`: our SNMP engine ID (hex), as the store keeps it in a full node. */
export function snmpEngineId(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  return readOrCreate(join(dataDir, 'snmp-engine-id'), ENGINE_ID, () => '80001f8805' + randomBytes(8).toString('hex'));
}
