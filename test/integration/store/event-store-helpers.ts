import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { openDatabase, type Db } from '../../../server/store/database.js';
import { EventRepository } from '../../../server/store/event.repository.js';
import type { InserterOptions } from '../../../server/store/event-row-inserter.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';

/** A migrated database in a new file, with an event repository writing on its connection. */
export function eventStore(opts: InserterOptions = {}, upTo?: number): { db: Db; file: string; events: EventRepository } {
  const file = join(mkdtempSync(join(tmpdir(), 'nw-evstore-')), 'netwatch.db');
  const db = openDatabase(file);
  migrate(db, readMigrations(MIGRATIONS_DIR).filter((m) => upTo === undefined || m.version <= upTo));
  return { db, file, events: upTo === undefined ? new EventRepository(db, opts) : (null as never) };
}

export const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);

export const ev = (i: number, over: Partial<NormalizedEvent> = {}): NormalizedEvent => ({
  receivedAt: T0 + i * 1000,
  reportedAt: null,
  source: 'syslog',
  sourceAddress: '192.0.2.1',
  deviceId: null,
  severity: 'info',
  type: 'test',
  message: `message ${i}`,
  params: {},
  ...over,
});

/** count(*) of a table or query. */
export const count = (db: Db, sql: string, ...args: unknown[]): number => (db.prepare(sql).get(...args) as { n: number }).n;
