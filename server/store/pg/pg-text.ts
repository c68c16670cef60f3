import type { Db } from '../database.js';
import { isPostgres } from './pg-db.js';

const NUL = /\u0000/g;

/**
 * Text for a `text` column, for the engine of `db`. PostgreSQL's text cannot
 * hold U+0000 ("invalid byte sequence for encoding UTF8: 0x00"), and text that
 * comes from the network (a syslog line, a trap varbind, a webhook's answer)
 * can carry it: on PostgreSQL NUL is stored as U+FFFD, as the event writer
 * does (docs/POSTGRES.md, "Hostile input"). On SQLite the text is unchanged.
 * Lookups by such a text (a reduction key) go through the same function, so
 * they find what was stored.
 */
export function textFor(db: Db): (s: string) => string {
  return isPostgres(db) ? (s) => (s.includes('\u0000') ? s.replace(NUL, '\uFFFD') : s) : (s) => s;
}

/** textFor for nullable columns. */
export function nullableTextFor(db: Db): (s: string | null) => string | null {
  const t = textFor(db);
  return (s) => (s === null ? null : t(s));
}
