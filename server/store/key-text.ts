import { createHash } from 'node:crypto';
import type { Db } from './database.js';
import { isPostgres } from './pg/pg-db.js';
import { textFor } from './pg/pg-text.js';

type TextFn = <T extends string | null | undefined>(s: T) => T;

/**
 * Text that came from the network (SNMP strings: sysDescr, ifAlias, LLDP and
 * ENTITY-MIB fields often carry NUL padding) on its way into a text column.
 * PostgreSQL's `text` cannot hold U+0000 ("invalid byte sequence for encoding
 * UTF8: 0x00") and would fail the whole write, so on PostgreSQL each NUL is
 * stored as U+FFFD (pg/pg-text.ts textFor, as the event writer does). SQLite keeps
 * the text as it is. Lookups by such a value go through the same function,
 * so they find what was stored.
 */
export function textForDb(db: Db): TextFn {
  const text = textFor(db);
  return (s) => (typeof s === 'string' ? (text(s) as typeof s) : s);
}

/**
 * The same for text that is part of a unique key or primary key (an interface
 * name, an LLDP port id, a metric instance). A PostgreSQL B-tree entry must
 * fit in about 2,700 bytes after compression ("index row size exceeds btree
 * maximum"), so a longer key from a hostile agent would fail every write of
 * its device there. On PostgreSQL, a key text longer than `maxBytes` UTF-8
 * bytes is stored as its first bytes (cut at a character boundary), `…#` and
 * 16 hex digits of the SHA-256 of the whole text: still one key per distinct
 * text, and the same text always maps to the same key. SQLite has no such
 * limit and keeps the text as it is.
 */
export function keyForDb(db: Db, maxBytes: number): TextFn {
  if (!isPostgres(db)) return (s) => s;
  const text = textForDb(db);
  return (s) => {
    const t = text(s);
    if (typeof t !== 'string' || t.length * 3 <= maxBytes) return t;
    const buf = Buffer.from(t, 'utf8');
    if (buf.length <= maxBytes) return t;
    let end = maxBytes - 24;
    while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--; // not inside a character
    return `${buf.subarray(0, end).toString('utf8')}…#${createHash('sha256').update(buf).digest('hex').slice(0, 16)}` as typeof s;
  };
}
