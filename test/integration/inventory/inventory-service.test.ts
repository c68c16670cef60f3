import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import type { InventoryItem, InventorySnapshot } from '../../../server/contracts/inventory.js';
import type { InventoryChangedPayload } from '../../../server/contracts/inventory-api.js';
import { InProcessBus } from '../../../server/events/bus.js';
import { INVENTORY_MAX_ITEMS, InventoryService } from '../../../server/inventory/inventory.service.js';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { openDatabase, type Db } from '../../../server/store/database.js';
import { InventoryRepository } from '../../../server/store/inventory.repository.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';

// The inventory service on a real SQLite database, fed as the template engine feeds it
// (one snapshot per device and template id) and with snapshots no producer should send.

const item = (index: string, extra: Partial<InventoryItem> = {}): InventoryItem => ({
  index, parentIndex: null, class: 'module', name: `slot ${index}`, descr: null, model: 'SFP-10G-LR', serial: `S-${index}`,
  hardwareRev: null, firmwareRev: null, softwareRev: null, manufacturer: null, fru: true, ...extra,
});
const snap = (deviceId: number, source: string, items: unknown[], collectedAt = Date.now()): InventorySnapshot =>
  ({ deviceId, source, collectedAt, items }) as InventorySnapshot;

let db: Db;
let repo: InventoryRepository;
let service: InventoryService;
let events: NormalizedEvent[];
let pushes: InventoryChangedPayload[];

beforeEach(() => {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'nw-inv-')), 'netwatch.db'));
  migrate(db, readMigrations(MIGRATIONS_DIR));
  const now = Date.now();
  db.prepare("INSERT INTO devices (id, name, address, created_at, updated_at) VALUES (1, 'sw1', '192.0.2.1', ?, ?), (2, 'sw2', '192.0.2.2', ?, ?)").run(now, now, now, now);
  repo = new InventoryRepository(db);
  const bus = new InProcessBus((t, e) => {
    throw e;
  });
  events = [];
  pushes = [];
  bus.subscribe('event.received', (e) => events.push(e));
  bus.subscribe('inventory.changed', (p) => pushes.push(p));
  const names = new Map([[1, { name: 'sw1', address: '192.0.2.1' }], [2, { name: 'sw2', address: '192.0.2.2' }]]);
  service = new InventoryService({ repo, bus, log: pino({ level: 'silent' }), device: (id) => names.get(id) });
});
afterEach(() => db.close());

describe('inventory service', () => {
  it('keeps a baseline and the changes of each (device, template) source apart', () => {
    service.ingest(snap(1, 'entity-mib', [item('1'), item('2')]));
    service.ingest(snap(1, 'cisco-transceivers', [item('1'), item('2')]));
    expect(events).toEqual([]);
    expect(pushes.map((p) => p.source)).toEqual(['entity-mib', 'cisco-transceivers']);
    service.ingest(snap(1, 'cisco-transceivers', [item('1', { serial: 'S-NEW' })]));
    expect(events.map((e) => `${e.type} ${e.params.source} ${e.params.index} ${e.severity}`)).toEqual([
      'inventory.removed cisco-transceivers 2 warning',
      'inventory.changed cisco-transceivers 1 warning',
    ]);
    expect(events.every((e) => e.source === 'poll' && e.deviceId === 1 && e.sourceAddress === '192.0.2.1')).toBe(true);
    // The ENTITY-MIB source still has both, and the device shows both sources' current components.
    expect(repo.current(1).map((i) => `${i.source}:${i.index}:${i.serial}`)).toEqual(['cisco-transceivers:1:S-NEW', 'entity-mib:1:S-1', 'entity-mib:2:S-2']);
    expect(repo.history(1, { limit: 10 }).map((h) => `${h.change}:${h.source}:${h.index}`)).toEqual(['changed:cisco-transceivers:1', 'removed:cisco-transceivers:2']);
  });

  it('treats a firmware upgrade as an info change and keeps first-seen across updates, and resets it after a removal', () => {
    const t0 = Date.now() - 10_000;
    service.ingest(snap(2, 'entity-mib', [item('1', { firmwareRev: '1.0' }), item('2')], t0));
    service.ingest(snap(2, 'entity-mib', [item('1', { firmwareRev: '1.1' }), item('2')], t0 + 1000));
    expect(events.map((e) => [e.type, e.severity, e.message])).toEqual([['inventory.changed', 'info', 'sw2: module slot 1 changed: firmware 1.0 → 1.1']]);
    expect(repo.current(2).find((i) => i.index === '1')).toMatchObject({ firstSeen: t0, lastSeen: t0 + 1000, firmwareRev: '1.1' });
    service.ingest(snap(2, 'entity-mib', [item('1', { firmwareRev: '1.1' })], t0 + 2000));
    // Unchanged components are seen again; a removed one keeps the time it was last seen.
    const stored = repo.stored(2, 'entity-mib');
    expect(stored.get('1')).toMatchObject({ lastSeen: t0 + 2000, removedAt: null, firstSeen: t0 });
    expect(stored.get('2')).toMatchObject({ lastSeen: t0 + 1000, removedAt: t0 + 2000 });
    service.ingest(snap(2, 'entity-mib', [item('1', { firmwareRev: '1.1' }), item('2')], t0 + 3000));
    expect(events.map((e) => e.type).slice(1)).toEqual(['inventory.removed', 'inventory.added']);
    expect(repo.current(2).find((i) => i.index === '2')!.firstSeen).toBe(t0 + 3000);
  });

  it('only moves the read time for a snapshot equal to the last one (template columns every poll)', () => {
    const t0 = Date.now() - 3_600_000;
    service.ingest(snap(1, 'tpl', [item('1'), item('2')], t0));
    service.ingest(snap(1, 'tpl', [item('1'), item('2')], t0 + 60_000));
    expect(service.counters()).toMatchObject({ snapshots: 1, snapshots_unchanged: 1 });
    expect(repo.sourceState(1, 'tpl')).toMatchObject({ baselineAt: t0, collectedAt: t0 + 60_000 });
    expect(repo.stored(1, 'tpl').get('1')!.lastSeen).toBe(t0);
    // A quarter of an hour later the rows are seen again; a change is never skipped.
    service.ingest(snap(1, 'tpl', [item('1'), item('2')], t0 + 16 * 60_000));
    expect(repo.stored(1, 'tpl').get('1')!.lastSeen).toBe(t0 + 16 * 60_000);
    service.ingest(snap(1, 'tpl', [item('1')], t0 + 17 * 60_000));
    expect(events.map((e) => e.type)).toEqual(['inventory.removed']);
  });

  it('ignores an empty table after a non-empty one instead of removing every component', () => {
    service.ingest(snap(1, 'entity-mib', [item('1'), item('2')]));
    service.ingest(snap(1, 'entity-mib', []));
    expect(events).toEqual([]);
    expect(repo.current(1)).toHaveLength(2);
    expect(service.counters().empty_snapshots_ignored).toBe(1);
  });

  it('drops and counts what no producer should send, and stores hostile texts as data', () => {
    service.ingest(snap(99, 'entity-mib', [item('1')]));
    service.ingest(snap(1, '../etc', [item('1')]));
    service.ingest(snap(1, 'x', null as unknown as unknown[]));
    service.ingest(null as unknown as InventorySnapshot);
    expect(service.counters().snapshots_dropped).toBe(4);
    expect(service.counters().errors).toBe(0);
    service.ingest(
      snap(1, 'entity-mib', [
        item('1', { name: '__proto__', serial: 'constructor', class: 'toString' as InventoryItem['class'] }),
        item('1', { name: 'duplicate' }),
        { index: 7 },
        { index: ' ' },
        { index: 'x'.repeat(200) },
        null,
        item('2', { descr: 'é'.repeat(5000), model: '\u0000\u001b[31m', parentIndex: '2', fru: 'yes' as unknown as boolean }),
      ]),
    );
    expect(service.counters().items_dropped).toBe(5);
    const [a, b] = repo.current(1);
    expect(a).toMatchObject({ index: '1', name: '__proto__', serial: 'constructor', class: 'unknown' });
    expect(b!.descr).toHaveLength(1024);
    expect(b).toMatchObject({ model: '\u0000\u001b[31m', parentIndex: null, fru: null });
    expect(repo.search({ serial: 'constructor', limit: 10 })).toEqual([expect.objectContaining({ deviceName: 'sw1', name: '__proto__' })]);
    expect(({} as Record<string, unknown>).serial).toBeUndefined();
  });

  it(`keeps at most ${INVENTORY_MAX_ITEMS} components of one snapshot`, () => {
    const many = Array.from({ length: INVENTORY_MAX_ITEMS + 5 }, (_, i) => item(String(i + 1)));
    service.ingest(snap(2, 'big-template', many));
    expect(repo.current(2)).toHaveLength(INVENTORY_MAX_ITEMS);
    expect(service.counters().items_dropped).toBe(5);
  });

  it('forgets a deleted device\'s inventory with it', () => {
    service.ingest(snap(1, 'entity-mib', [item('1')]));
    service.ingest(snap(1, 'entity-mib', [item('2')]));
    db.prepare('DELETE FROM devices WHERE id = 1').run();
    expect(repo.current(1)).toEqual([]);
    expect(repo.history(1, { limit: 10 })).toEqual([]);
    expect(repo.sources(1)).toEqual([]);
  });
});
