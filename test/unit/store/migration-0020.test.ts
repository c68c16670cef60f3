import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { AlarmRepository } from '../../../server/store/alarm.repository.js';
import { openDatabase } from '../../../server/store/database.js';
import { DependencyRepository } from '../../../server/store/dependency.repository.js';
import { DeviceRepository } from '../../../server/store/device.repository.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';
import { testSecretBox } from '../../helpers/secrets.js';

const device = (name: string, address: string) => ({
  name, address, group: 'floor', location: null, tags: [], pollIntervalSec: 60, icmpEnabled: true,
  snmp: { enabled: false, version: '2c' as const, port: 161, community: 'public', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 1000, retries: 0 },
});

describe('migration 0020 (root cause)', () => {
  it('keeps older alarms (not suppressed, no root, no impact) and stores pins that follow device deletes', () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'nw-mig20-')), 'netwatch.db'));
    const all = readMigrations(MIGRATIONS_DIR);
    migrate(db, all.filter((m) => m.version < 20));
    const at = Date.now();
    const alarm = Number(
      db.prepare("INSERT INTO alarms (reduction_key, state, severity, title, message, source, event_type, first_seen, last_seen) VALUES ('nodeDown:1', 'active', 2, 't', 'm', 'icmp', 'icmp.down', ?, ?)").run(at, at).lastInsertRowid,
    );

    expect(migrate(db, all)).toEqual(all.filter((m) => m.version >= 20).map((m) => m.version));
    const alarms = new AlarmRepository(db);
    expect(alarms.dto(alarm)).toMatchObject({ suppressed: false, rootAlarmId: null, impactCount: 0 });
    const cause = alarms.insert({ reductionKey: 'nodeDown:2', severity: 'major', title: 't', message: 'm', deviceId: null, sourceAddress: null, source: 'icmp', eventType: 'icmp.down', ruleId: null, at, inMaintenance: false });
    alarms.setSuppressed(alarm, true, cause);
    expect(alarms.setImpact(cause, 3)).toBe(true);
    expect(alarms.setImpact(cause, 3)).toBe(false);
    expect(alarms.dto(alarm)).toMatchObject({ suppressed: true, rootAlarmId: cause });
    expect(alarms.suppressedUnder(cause)).toEqual([alarm]);
    expect(alarms.list({ state: 'open', root: true, limit: 10 }).items.map((a) => a.id)).toEqual([cause]);
    // A reopened alarm is decided afresh.
    alarms.clear(alarm, at + 1, null);
    alarms.reopen(alarm, at + 2, 'major', 't', 'm', false);
    expect(alarms.dto(alarm)).toMatchObject({ suppressed: false, rootAlarmId: null });

    const devices = new DeviceRepository(db, testSecretBox());
    const a = devices.create(device('a', '10.0.0.1')).id;
    const b = devices.create(device('b', '10.0.0.2')).id;
    const deps = new DependencyRepository(db);
    deps.setDevice(b, a, false);
    deps.setDevice(a, null, true);
    deps.setGroup('floor', a);
    expect(deps.pins().devices.get(b)).toEqual({ pinnedParentId: a, isRoot: false });
    expect(deps.group('floor')).toEqual({ group: 'floor', parentId: a });
    devices.delete(a);
    // The pin falls back (parent gone), the group pin and the root mark go with the device.
    expect(deps.device(b)).toEqual({ pinnedParentId: null, isRoot: false });
    expect(deps.groups()).toEqual([]);
    deps.setDevice(b, null, false);
    expect(deps.pins().devices.size).toBe(0);
  });
});
