import type { Db } from './database.js';
import { isPostgres } from './pg/pg-db.js';

const NUL = /\u0000/g;

/**
 * Text that came from the network (SNMP strings: sysDescr, ifAlias, LLDP and
 * ENTITY-MIB fields often carry NUL padding) on its way into a text column.
 * PostgreSQL's `text` cannot hold U+0000 ("invalid byte sequence for encoding
 * UTF8: 0x00") and would fail the whole write, so on PostgreSQL each NUL is
 * stored as U+FFFD, as the event writer does (docs/POSTGRES.md). SQLite keeps
 * the text as it is. Lookups by such a value go through the same function,
 * so they find what was stored.
 */
export function textForDb(db: Db): <T extends string | null | undefined>(s: T) => T {
  if (!isPostgres(db)) return (s) => s;
  return (s) => (typeof s === 'string' && s.includes('\u0000') ? (s.replace(NUL, '\uFFFD') as typeof s) : s);
}
