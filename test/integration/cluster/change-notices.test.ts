import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClusterBridge, fromOtherNode } from '../../../server/cluster/cluster-bridge.js';
import { PgChangeNotices, parseNotice } from '../../../server/cluster/change-notices.js';
import type { BusEventMap } from '../../../server/contracts/bus.js';
import { InProcessBus } from '../../../server/events/bus.js';
import { DeviceResolver } from '../../../server/events/device-resolver.js';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { openDatabase, type Db } from '../../../server/store/database.js';
import { DeviceRepository, invalidateDeviceCache, toDeviceDto } from '../../../server/store/device.repository.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';
import { postgresAvailable, startPostgres, type PostgresHandle } from '../../helpers/postgres.js';
import { testSecretBox } from '../../helpers/secrets.js';

/**
 * Two central nodes in one process: each has its own bus, its own connection to the shared store
 * (here one SQLite file, two connections: each DeviceRepository caches its own list) and its own
 * change-notice session on one real PostgreSQL.
 */
interface Node {
  bus: InProcessBus;
  db: Db;
  devices: DeviceRepository;
  notices: PgChangeNotices;
  bridge: ClusterBridge;
  seen: { topic: keyof BusEventMap; payload: object }[];
}

const snmp = { enabled: false, version: '2c' as const, port: 161, community: 'public', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 1000, retries: 0 };

describe.skipIf(!postgresAvailable())('change notices between central nodes (PostgreSQL LISTEN/NOTIFY)', () => {
  let server: PostgresHandle;
  let url: string;
  let dir: string;
  const secrets = testSecretBox();
  let a: Node;
  let b: Node;

  const node = async (file: string): Promise<Node> => {
    const db = openDatabase(file);
    migrate(db, readMigrations(MIGRATIONS_DIR));
    const bus = new InProcessBus((_t, err) => {
      throw err;
    });
    const devices = new DeviceRepository(db, secrets);
    const notices = new PgChangeNotices({ url, reconnectMs: 200 });
    await notices.start();
    const bridge = new ClusterBridge(bus, notices, {
      device: (id) => {
        const d = devices.get(id);
        return d && toDeviceDto(d);
      },
      deviceIds: () => devices.addresses().map((d) => d.id),
      invalidateDevices: () => invalidateDeviceCache(db),
    });
    const seen: Node['seen'] = [];
    for (const topic of ['device.created', 'device.updated', 'device.deleted', 'auth.revoked', 'trapUsers.changed'] as const) {
      bus.subscribe(topic, (payload: object) => void seen.push({ topic, payload }));
    }
    return { bus, db, devices, notices, bridge, seen };
  };

  beforeAll(async () => {
    server = await startPostgres();
    url = await server.newDatabase();
    dir = mkdtempSync(join(tmpdir(), 'nw-cluster-'));
    a = await node(join(dir, 'netwatch.db'));
    b = await node(join(dir, 'netwatch.db'));
  }, 60_000);
  afterAll(async () => {
    for (const n of [a, b]) {
      if (!n) continue;
      n.bridge.close();
      await n.notices.stop();
      n.db.close();
    }
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a device created on node A reaches node B’s device list, resolver and bus; B does not send it back', async () => {
    const resolverB = new DeviceResolver(() => b.devices.addresses(), b.bus);
    expect(b.devices.list()).toEqual([]); // B's list is now cached
    expect(resolverB.resolve('192.0.2.10')).toBeNull();

    const created = a.devices.create({ name: 'core-"1"-ü', address: '192.0.2.10', group: null, location: null, tags: ['__proto__'], pollIntervalSec: 60, icmpEnabled: false, snmp });
    a.bus.publish('device.created', toDeviceDto(created)); // as the devices route does
    // Without the notice B would keep serving its cached (empty) list.
    await vi.waitFor(() => expect(b.seen.some((s) => s.topic === 'device.created')).toBe(true), { timeout: 10_000, interval: 20 });
    const got = b.seen.find((s) => s.topic === 'device.created')!.payload as { id: number; name: string; tags: string[] };
    expect(got).toMatchObject({ id: created.id, name: 'core-"1"-ü', tags: ['__proto__'] });
    expect(fromOtherNode.has(got)).toBe(true);
    expect(b.devices.list().map((d) => d.name)).toEqual(['core-"1"-ü']);
    expect(resolverB.resolve('192.0.2.10')).toBe(created.id);
    resolverB.close();
    // A hears nothing back (its own notices are dropped), B sent none.
    await vi.waitFor(() => expect(b.notices.counters().received).toBe(1));
    expect(a.seen.filter((s) => s.topic === 'device.created')).toHaveLength(1);
    expect(a.notices.counters()).toMatchObject({ sent: 1, received: 0 });
    expect(b.notices.counters().sent).toBe(0);
  });

  it('an update and a delete on node A reach node B', async () => {
    const [d] = a.devices.list();
    a.devices.update(d!.id, { name: 'core-renamed', address: '192.0.2.11', group: null, location: null, tags: [], pollIntervalSec: 60, icmpEnabled: false, snmp });
    a.bus.publish('device.updated', toDeviceDto(a.devices.get(d!.id)!));
    await vi.waitFor(() => expect(b.devices.list().map((x) => x.name)).toEqual(['core-renamed']), { timeout: 10_000, interval: 20 });
    a.devices.delete(d!.id);
    a.bus.publish('device.deleted', { id: d!.id });
    await vi.waitFor(() => expect(b.seen.at(-1)).toMatchObject({ topic: 'device.deleted', payload: { id: d!.id } }), { timeout: 10_000, interval: 20 });
    expect(b.devices.list()).toEqual([]);
  });

  it('carries revoked sessions, trap users and reloads registered with onNotice', async () => {
    const reloads: string[] = [];
    b.bridge.onNotice('rules', () => reloads.push('rules'));
    a.bridge.onNotice('rules', () => reloads.push('rules on A'));
    a.bridge.announce('rules');
    a.bus.publish('auth.revoked', { userId: 7 });
    a.bus.publish('trapUsers.changed', {});
    await vi.waitFor(() => expect(b.seen.some((s) => s.topic === 'trapUsers.changed')).toBe(true), { timeout: 10_000, interval: 20 });
    expect(reloads).toEqual(['rules']);
    expect(b.seen.find((s) => s.topic === 'auth.revoked')?.payload).toEqual({ userId: 7 });
  });

  it('drops notices that are not ours (anyone who can connect can NOTIFY) and counts them', async () => {
    const before = b.notices.counters();
    const beforeSeen = b.seen.length;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      for (const payload of ['not json', '[]', '{"n":"x","k":"__proto__"}', '{"n":"x","k":"device","i":1}', '{"n":"x","k":"device","i":-1,"o":"created"}', '{"n":"x","k":"device","i":1.5,"o":"created"}', '{"n":"x","k":"authRevoked"}', `{"n":"${'x'.repeat(100)}","k":"rules"}`, '{"n":"x","k":"device","i":1,"o":"constructor"}']) {
        await c.query(`SELECT pg_notify('netwatch_changes', $1)`, [payload]);
      }
      // A good one after them: once it arrives, the bad ones (sent first, same session) were handled.
      await c.query(`SELECT pg_notify('netwatch_changes', $1)`, ['{"n":"outsider","k":"trapUsers"}']);
    } finally {
      await c.end();
    }
    await vi.waitFor(() => expect(b.notices.counters().received).toBe(before.received + 1), { timeout: 10_000, interval: 20 });
    expect(b.notices.counters().invalid).toBe(before.invalid + 9);
    expect(b.seen.slice(beforeSeen).map((s) => s.topic)).toEqual(['trapUsers.changed']);
    expect(parseNotice(JSON.parse('{"__proto__":{"k":"rules"},"n":"x"}'))).toBeUndefined();
  });

  it('after its session was cut, a node listens again and reads everything again (notices sent meanwhile are lost)', async () => {
    const reloads: string[] = [];
    b.bridge.onNotice('maintenance', () => reloads.push('maintenance'));
    const kept = b.devices.create({ name: 'edge', address: '192.0.2.20', group: null, location: null, tags: [], pollIntervalSec: 60, icmpEnabled: false, snmp });
    const beforeSeen = b.seen.length;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const r = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'netwatch-changes' AND pid <> pg_backend_pid()`);
      expect(r.rows).toHaveLength(2);
      // Both nodes' sessions are cut; B is watched.
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', ['netwatch-changes']);
    } finally {
      await admin.end();
    }
    await vi.waitFor(() => expect(reloads).toEqual(['maintenance']), { timeout: 10_000, interval: 20 });
    expect(b.notices.counters().reconnects).toBeGreaterThanOrEqual(1);
    expect(b.seen.slice(beforeSeen).some((s) => s.topic === 'device.updated' && (s.payload as { id: number }).id === kept.id)).toBe(true);
    // And notices flow again.
    await vi.waitFor(() => expect(a.notices.counters().listening).toBe(1), { timeout: 10_000, interval: 20 });
    a.bridge.announce('maintenance');
    await vi.waitFor(() => expect(reloads).toEqual(['maintenance', 'maintenance']), { timeout: 10_000, interval: 20 });
  });
});
