import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../server/store/database.js';
import { TopologyRepository } from '../../../server/store/topology.repository.js';
import { UnknownSenderRepository } from '../../../server/store/unknown-sender.repository.js';
import { openTestDb, STORE_ENGINES } from '../../helpers/store-engines.js';
import { addDevice, HOSTILE, nulOf } from './store-fixtures.js';

describe.each(STORE_ENGINES)('TopologyRepository on %s', (engine) => {
  let db: Db;
  let repo: TopologyRepository;
  let d1: number;
  let d2: number;
  let d3: number;
  beforeEach(async () => {
    db = await openTestDb(engine);
    repo = new TopologyRepository(db);
    d1 = addDevice(db, 'a');
    d2 = addDevice(db, 'b', '127.0.0.2');
    d3 = addDevice(db, 'c', '127.0.0.3');
  }, 60_000);
  afterEach(() => db.close());

  it('adds manual links with ids the database assigns, lists them in id order, finds and deletes one', () => {
    const l1 = repo.addManualLink({ aDeviceId: d1, aPort: 'Gi0/1', bDeviceId: d2, bPort: null });
    const l2 = repo.addManualLink({ aDeviceId: d2, aPort: "it's", bDeviceId: d3, bPort: 'a\u0000b' });
    expect(l2).toBeGreaterThan(l1);
    expect(repo.manualLinks()).toEqual([
      { id: l1, aDeviceId: d1, aPort: 'Gi0/1', bDeviceId: d2, bPort: null },
      { id: l2, aDeviceId: d2, aPort: "it's", bDeviceId: d3, bPort: nulOf(db, 'a\u0000b') },
    ]);
    expect(repo.manualLink(l2)).toMatchObject({ aDeviceId: d2, bDeviceId: d3 });
    expect(repo.manualLink(l2 + 1000)).toBeUndefined();
    expect(repo.deleteManualLink(l1)).toBe(true);
    expect(repo.deleteManualLink(l1)).toBe(false);
    expect(repo.manualLinks().map((l) => l.id)).toEqual([l2]);
    // A link to a device that is not there is refused with the code callers test for; deleting a device removes its links.
    expect(() => repo.addManualLink({ aDeviceId: d1, aPort: null, bDeviceId: 987_654, bPort: null })).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }));
    db.prepare('DELETE FROM devices WHERE id = ?').run(d3);
    expect(repo.manualLinks()).toEqual([]);
  });

  it('saves positions in one batch (last one of a node wins), updates them, lists them by node id, and clears them', () => {
    repo.savePositions([{ nodeId: 'd:2', x: 1.5, y: -2 }, { nodeId: 'd:10', x: 0, y: 0 }, { nodeId: 'd:2', x: 3, y: 4 }], 1_000);
    expect([...repo.positions()]).toEqual([['d:10', { x: 0, y: 0 }], ['d:2', { x: 3, y: 4 }]]);
    repo.savePositions([{ nodeId: 'd:10', x: -1e9, y: 1e-9 }], 2_000);
    expect(repo.positions().get('d:10')).toEqual({ x: -1e9, y: 1e-9 });
    expect(db.prepare("SELECT updated_at FROM topology_positions WHERE node_id = 'd:10'").pluck().get()).toBe(2_000);
    repo.clearPositions();
    expect(repo.positions().size).toBe(0);
  });

  it('keeps hostile node ids apart, as Map keys', () => {
    const ids = [...HOSTILE.map((h) => `u:${h.slice(0, 200)}`), 'u:a\u0000', 'u:__proto__'];
    repo.savePositions(ids.map((nodeId, i) => ({ nodeId, x: i, y: -i })));
    const got = repo.positions();
    expect(got.size).toBe(new Set(ids).size);
    expect(got.get('u:__proto__')).toEqual({ x: ids.length - 1, y: -(ids.length - 1) });
    expect(got.get(nulOf(db, 'u:a\u0000'))).toEqual({ x: ids.length - 2, y: -(ids.length - 2) });
    const keys = [...got.keys()];
    expect(keys).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });
});

describe.each(STORE_ENGINES)('UnknownSenderRepository on %s', (engine) => {
  let db: Db;
  let repo: UnknownSenderRepository;
  const sender = (address: string, lastSeen: number, message = `from ${address}`) =>
    db.prepare('INSERT INTO unknown_senders (address, count, first_seen, last_seen, last_message, first_id, last_id) VALUES (?, ?, ?, ?, ?, 1, 2)').run(address, 3, lastSeen - 10, lastSeen, message);
  beforeEach(async () => {
    db = await openTestDb(engine);
    repo = new UnknownSenderRepository(db);
  }, 60_000);
  afterEach(() => db.close());

  it('pages newest first, ties by address descending, with a cursor that resumes exactly, leaving out device addresses', () => {
    sender('10.0.0.1', 5_000);
    sender('10.0.0.2', 5_000);
    sender('2001:db8::1', 5_000);
    sender('192.0.2.9', 7_000, "it's \"hostile\" 交换机");
    sender('100.0.0.1', 5_000);
    sender('127.0.0.5', 9_000);
    addDevice(db, 'known', '127.0.0.5');
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = repo.list({ limit: 2, cursor });
      seen.push(...page.items.map((i) => i.address));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(['192.0.2.9', '2001:db8::1', '100.0.0.1', '10.0.0.2', '10.0.0.1']);
    expect(pages).toBe(3);
    expect(repo.list({ limit: 1 }).items[0]).toEqual({ address: '192.0.2.9', count: 3, firstSeen: 6_990, lastSeen: 7_000, lastMessage: "it's \"hostile\" 交换机" });
    expect(repo.list({ limit: 10 }).nextCursor).toBeNull();
  });

  it('refuses a cursor it did not make and answers a hostile but well-formed one with an empty page', () => {
    sender('10.0.0.1', 5_000);
    for (const bad of ['x', '5000', ':10.0.0.1', '12345678901234567:a', `1:${'a'.repeat(101)}`]) expect(() => repo.list({ limit: 5, cursor: bad })).toThrow(RangeError);
    for (const odd of ["1:' OR 1=1 --", '1:__proto__', '1:\u0000', '1:交换机']) expect(repo.list({ limit: 5, cursor: odd }).items).toEqual([]);
    for (const older of ['99999:\u0000zz', '99999:zz', "99999:' OR 1=1 --"]) expect(repo.list({ limit: 5, cursor: older }).items.map((i) => i.address)).toEqual(['10.0.0.1']);
  });

  it('forgets an address given in any accepted form, once', () => {
    sender('192.0.2.1', 1);
    sender('2001:db8::1', 1);
    expect(repo.remove('::ffff:192.0.2.1')).toBe(true);
    expect(repo.remove('192.0.2.1')).toBe(false);
    expect(repo.remove(' 2001:DB8:0::1 ')).toBe(true);
    expect(repo.remove('\u0000')).toBe(false);
    expect(repo.remove("' OR 1=1 --")).toBe(false);
    expect(repo.list({ limit: 5 }).items).toEqual([]);
  });
});
