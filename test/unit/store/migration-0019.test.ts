import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { openDatabase } from '../../../server/store/database.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';
import { NotificationRepository } from '../../../server/store/notification.repository.js';
import { testSecretBox } from '../../helpers/secrets.js';

describe('migration 0019 (more channel types)', () => {
  it('keeps the channels of an older database, with their counters, and accepts the new types', () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'nw-mig19-')), 'netwatch.db'));
    const all = readMigrations(MIGRATIONS_DIR);
    migrate(db, all.filter((m) => m.version < 19));
    const box = testSecretBox();
    // Rows as the 0018 schema holds them (the repository of today also writes columns of later migrations).
    const insert = db.prepare('INSERT INTO notification_channels (name, type, enabled, config, sent_count, created_at, updated_at) VALUES (?, ?, 1, ?, ?, 0, 0)');
    const hook = { id: Number(insert.run('old-hook', 'webhook', box.seal(JSON.stringify({ url: 'http://h/', secret: 'secret-123' })), 1).lastInsertRowid) };
    expect(() => insert.run('tg', 'telegram', box.seal('{}'), 0)).toThrow(/CHECK/);

    expect(migrate(db, all)).toEqual(all.filter((m) => m.version >= 19).map((m) => m.version));
    const after = new NotificationRepository(db, box);
    expect(after.record(hook.id)).toMatchObject({ name: 'old-hook', type: 'webhook', config: { url: 'http://h/', secret: 'secret-123' } });
    expect(after.dto(hook.id)?.sentCount).toBe(1);
    for (const type of ['teams', 'telegram', 'pagerduty', 'opsgenie', 'alertmanager', 'http'] as const) {
      expect(after.create({ name: `new-${type}`, type, enabled: true, config: {} }).type).toBe(type);
    }
    expect(() => db.prepare("INSERT INTO notification_channels (name, type, config, created_at, updated_at) VALUES ('x', 'carrier-pigeon', '{}', 0, 0)").run()).toThrow(/CHECK/);
  });
});
