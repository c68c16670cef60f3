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

/** Whether a lookup key can match any stored text at all (a NUL never can on PostgreSQL). */
export const canMatchText = (db: Db, s: string): boolean => !(isPostgres(db) && s.includes('\0'));
