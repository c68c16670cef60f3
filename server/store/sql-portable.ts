import type { Db } from './database.js';
import { isPostgres } from './pg/pg-db.js';

/**
 * Small pieces of SQL that must differ between the engines, for the
 * repositories that share one SQL text (docs/POSTGRES.md, "Portable SQL").
 */

/**
 * Appended to an ORDER BY term on a text column, so both engines sort alike:
 * SQLite compares text byte by byte (BINARY, or NOCASE = ASCII-folded bytes);
 * PostgreSQL uses the database's collation, which under a locale such as
 * en_US ignores punctuation and mixes case. `COLLATE "C"` is byte order on
 * PostgreSQL. Uniqueness and equality keep the column's own rules. For a
 * citext column use nocaseOrder. PostgreSQL refuses it after SELECT DISTINCT:
 * say GROUP BY instead.
 */
export const textOrder = (db: Db): string => (isPostgres(db) ? ' COLLATE "C"' : '');

/**
 * An ORDER BY term for a case-insensitive column (SQLite COLLATE NOCASE,
 * PostgreSQL citext) that sorts as NOCASE does: ASCII letters folded, then
 * bytes. citext itself would fold every letter with the database's locale.
 */
export const nocaseOrder = (db: Db, col: string): string => (isPostgres(db) ? `lower(CAST(${col} AS text) COLLATE "C")` : col);

/**
 * PostgreSQL text cannot hold U+0000. Free text that is recorded as it came
 * (audit entries name what a client sent) keeps its place with U+FFFD there,
 * as the event writer does; SQLite stores it unchanged.
 */
export const storableText = (db: Db): ((s: string | null) => string | null) =>
  isPostgres(db) ? (s) => (s === null || !s.includes('\0') ? s : s.replaceAll('\0', '\uFFFD')) : (s) => s;

/** Whether a lookup key can match any stored text at all (a NUL never can on PostgreSQL). */
export const canMatchText = (db: Db, s: string): boolean => !(isPostgres(db) && s.includes('\0'));
