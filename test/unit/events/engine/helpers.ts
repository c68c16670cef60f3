import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NormalizedEvent } from '../../../../server/contracts/events.js';
import type { EventRuleBody, RuleDto } from '../../../../server/contracts/alarms.js';
import { MIGRATIONS_DIR } from '../../../../server/paths.js';
import { openDatabase, type Db } from '../../../../server/store/database.js';
import { migrate, readMigrations } from '../../../../server/store/migrate.js';

export const ev = (over: Partial<NormalizedEvent> = {}): NormalizedEvent => ({
  receivedAt: 1_700_000_000_000,
  reportedAt: null,
  source: 'syslog',
  sourceAddress: '192.0.2.1',
  deviceId: null,
  severity: 'info',
  type: 'test',
  message: 'hello',
  params: {},
  ...over,
});

export const linkTrap = (oid: 'down' | 'up', ifIndex: number, over: Partial<NormalizedEvent> = {}) =>
  ev({
    source: 'trap',
    type: oid === 'down' ? '1.3.6.1.6.3.1.1.5.3' : '1.3.6.1.6.3.1.1.5.4',
    message: `link${oid === 'down' ? 'Down' : 'Up'} ifIndex ${ifIndex}`,
    params: {
      varbinds: [
        { oid: `1.3.6.1.2.1.2.2.1.1.${ifIndex}`, type: 'Integer', value: ifIndex },
        { oid: `1.3.6.1.2.1.2.2.1.7.${ifIndex}`, type: 'Integer', value: 1 },
        { oid: `1.3.6.1.2.1.2.2.1.8.${ifIndex}`, type: 'Integer', value: oid === 'down' ? 2 : 1 },
      ],
    },
    ...over,
  });

let nextId = 1;
export function rule(body: Partial<EventRuleBody> & Pick<EventRuleBody, 'actions'>, over: Partial<RuleDto> = {}): RuleDto {
  const id = nextId++;
  return {
    id,
    name: `rule ${id}`,
    description: '',
    enabled: true,
    position: id,
    builtinKey: null,
    body: { kind: 'event', match: {}, ...body },
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
}

export function tempDb(): { db: Db; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'nw-engine-'));
  const db = openDatabase(join(dir, 'netwatch.db'));
  migrate(db, readMigrations(MIGRATIONS_DIR));
  return {
    db,
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
