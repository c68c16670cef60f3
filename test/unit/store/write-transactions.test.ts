import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { AlarmRepository } from '../../../server/store/alarm.repository.js';
import { openDatabase } from '../../../server/store/database.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';

// The event store thread writes on its own connection while the main thread updates alarms. A
// transaction that reads first and writes later must hold the write lock from its start: begun
// deferred, a commit by the other connection between its read and its write makes the write fail at
// once with SQLITE_BUSY (the snapshot is stale; waiting cannot help), and the alarm update is lost
// ("alarm update failed: database is locked", 765 times in a 10 M event storm).
describe('write transactions beside the event store thread', () => {
  it('an alarm transaction that reads and then writes is not broken by another connection committing in between', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nw-tx-')), 'netwatch.db');
    const main = openDatabase(file);
    migrate(main, readMigrations(MIGRATIONS_DIR));
    const store = openDatabase(file);
    store.pragma('busy_timeout = 0'); // the other writer, asked to try once only
    const alarms = new AlarmRepository(main);
    let otherWriter: unknown = null;
    alarms.transaction(() => {
      main.prepare('SELECT count(*) FROM alarms').get(); // read first …
      try {
        store.prepare("INSERT INTO events (received_at, source, severity, type, message) VALUES (1, 'syslog', 4, 't', 'm')").run();
      } catch (err) {
        otherWriter = err;
      }
      // … then write: with the lock held since BEGIN this succeeds.
      main.prepare('UPDATE alarms SET title = title WHERE id = -1').run();
    });
    // The other connection waited for the lock (here: refused at once, as it asked) instead of committing under us.
    expect((otherWriter as { code?: string } | null)?.code).toBe('SQLITE_BUSY');
    store.prepare("INSERT INTO events (received_at, source, severity, type, message) VALUES (2, 'syslog', 4, 't', 'm')").run();
    main.close();
    store.close();
  });
});
