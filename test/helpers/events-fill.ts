import type { NormalizedEvent } from '../../server/contracts/events.js';
import { MIGRATIONS_DIR } from '../../server/paths.js';
import { openDatabase } from '../../server/store/database.js';
import { EventRepository } from '../../server/store/event.repository.js';
import { migrate, readMigrations } from '../../server/store/migrate.js';

/**
 * Stores `n` events made by `make(i)` in the database at `dbPath` (migrated
 * first), through the event repository, 10,000 per transaction; the
 * connection is closed again. Call it before a server in this process opens
 * the file: closing a descriptor of the file drops that server's locks.
 */
export function fillEvents(dbPath: string, n: number, make: (i: number) => NormalizedEvent): void {
  const db = openDatabase(dbPath);
  try {
    migrate(db, readMigrations(MIGRATIONS_DIR));
    const repo = new EventRepository(db);
    for (let i = 0; i < n; i += 10_000) repo.insertBatch(Array.from({ length: Math.min(10_000, n - i) }, (_, k) => make(i + k)));
  } finally {
    db.close();
  }
}

/** A syslog event of about 200 bytes (the size of a typical router line): interface flaps on 50 routers, 1,000 a millisecond from `t0`. */
export function syslogEvent(i: number, t0 = Date.now() - 3_600_000): NormalizedEvent {
  return {
    receivedAt: t0 + Math.floor(i / 1000),
    reportedAt: null,
    source: 'syslog',
    sourceAddress: `10.0.${i % 50}.1`,
    deviceId: null,
    severity: i % 10 === 0 ? 'warning' : 'info',
    type: 'LINEPROTO-5-UPDOWN',
    message:
      `%LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet0/${i % 48}, changed state to ${i % 2 ? 'down' : 'up'}; ` +
      `neighbor 10.0.${i % 50}.2 (edge-${i % 50}.example.net) hold timer expired, last input 00:03:01, output never (${i})`,
    params: { facility: 'local7', app: 'router', seq: i },
  };
}
