import type { Db } from '../database.js';

/**
 * The first id the event writer hands out on PostgreSQL: one more than the
 * highest stored. Correct for one writer (one central node), as on SQLite.
 * TODO(helper E, issue 15 "event ids from a PostgreSQL sequence in blocks"):
 * when several central nodes write events, ids must come from a sequence
 * reserved in blocks through the EventRowSink (the store thread), and this
 * function goes; events.module.ts asks the sink first when it offers that.
 */
export function pgNextEventId(db: Db): number {
  const row = db.prepare('SELECT COALESCE(max(id), 0) + 1 AS next FROM events').get() as { next: number | string };
  return Number(row.next);
}
