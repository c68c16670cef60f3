import { MIGRATIONS_DIR } from '../../server/paths.js';
import { openDatabase } from '../../server/store/database.js';
import { migrate, readMigrations } from '../../server/store/migrate.js';

/**
 * Writes `n` audit entries (device edits by admin) into the database at
 * `dbPath` (migrated first) in one statement, and closes the connection again.
 * Audit filters on `action` use no index, so a filter that matches none of
 * them reads the whole table: a read that is slow for real on a large table,
 * for tests of the reader threads' time budget. Call it before a server in
 * this process opens the file (closing a descriptor drops that server's locks).
 */
export function fillAudit(dbPath: string, n: number): void {
  const db = openDatabase(dbPath);
  try {
    migrate(db, readMigrations(MIGRATIONS_DIR));
    db.prepare(
      `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
       INSERT INTO audit_log (at, user_id, username, role, source_address, action, object_type, object_id, object_name, method, path, status, outcome, before_json, after_json)
       SELECT ? + i, 1, 'admin', 'admin', '127.0.0.1', 'device.update', 'device', CAST(i % 500 AS TEXT), 'sw-' || (i % 500), 'PATCH',
              '/api/v1/devices/' || (i % 500), 200, 'ok', '{"pollIntervalSec":60}', '{"pollIntervalSec":120}' FROM k`,
    ).run(n, Date.now() - n);
  } finally {
    db.close();
  }
}

/** A filter no audit entry matches: the whole table is read before the answer (no index on action). */
export const AUDIT_NO_MATCH = { action: 'no-such-object', limit: 50 };
