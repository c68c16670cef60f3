import type { Db } from '../../../server/store/database.js';
import { isPostgres } from '../../../server/store/pg/pg-db.js';

/** A device row (plain SQL: the device repository is not under test here). The database assigns the id. */
export function addDevice(db: Db, name: string, address = '127.0.0.1'): number {
  return (db.prepare('INSERT INTO devices (name, address, created_at, updated_at) VALUES (?, ?, 0, 0) RETURNING id').get(name, address) as { id: number }).id;
}

/** Hostile text that both engines must store and return (PostgreSQL text has no NUL: see nulOf). */
export const HOSTILE = [
  "it's \"quoted\"; DROP TABLE devices; --",
  '__proto__',
  'constructor',
  'Ünïcødé 交换机 🛰️ ‮rtl',
  'x'.repeat(20_000),
  '%_\\ like wildcards',
  '$1 ?2 @name :name',
];

/** What a text with NUL reads back as: kept on SQLite, U+FFFD on PostgreSQL (docs/POSTGRES.md). */
export const nulOf = (db: Db, s: string): string => (isPostgres(db) ? s.replace(/\u0000/g, '\uFFFD') : s);

/** 20,000 printable characters that do not compress (a hostile agent's ifName, LLDP port id, ENTITY-MIB index). */
export function longText(seed: number, length = 20_000): string {
  let x = seed;
  const next = () => (x = (x * 1_103_515_245 + 12_345) % 2_147_483_648);
  return Array.from({ length }, () => String.fromCharCode(0x21 + (next() % 0x5d))).join('');
}
