/**
 * Every READ_OPS op served by the PostgreSQL reader threads
 * (`ReadPool.open({ file: { postgresUrl } })`) gives the same result as on
 * SQLite for the same data: devices, status, interfaces, alarms, neighbours,
 * links, positions, audit, samples, latency, dependencies (inserted with the
 * same SQL on both), and events written through each engine's event store
 * thread (so the dashboard's counters and the unknown senders are the ones
 * the writers keep).
 *
 * The events ops and dashboard.summary run on PgEventRepository, DashboardRepository and the
 * PG writer's counters; the other ops on the same repositories as SQLite, with portable SQL
 * (alarm, sample, latency, unknown-sender, audit, poll-state, topology, dependency). Every op
 * must answer as SQLite does: an error or a different result fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEVERITIES, type Severity, type StoredEvent } from '../../../server/contracts/events.js';
import { createLogger } from '../../../server/log/logger.js';
import type { Db } from '../../../server/store/database.js';
import { eventRows } from '../../../server/store/event.repository.js';
import { openEventStoreThread } from '../../../server/store/event-store-thread.js';
import { ReadPool } from '../../../server/store/read-pool.js';
import { inlineReads, type ReadArgs, type ReadOp, type Reads } from '../../../server/store/read-ops.js';
import { openPgDb } from '../../../server/store/pg/pg-db.js';
import { newPgDatabase } from '../../helpers/store-engines.js';
import { postgresAvailable } from '../../helpers/postgres.js';
import { eventStore } from './event-store-helpers.js';

const NOW = Date.now();
const MIN = 60_000;

/** The same rows on both engines (explicit ids: this test's business, so both sides agree). */
function seed(db: Db): void {
  const run = (sql: string, ...args: unknown[]) => db.prepare(sql).run(...args);
  const devices: [number, string, string, string | null][] = [
    [1, 'core-1', '192.0.2.1', 'core'],
    [2, "O'Brien \"edge\"", '192.0.2.2', null],
    [3, '__proto__', '2001:db8::3', 'Zürich 🙂'],
    [4, 'constructor', '192.0.2.4', 'core'],
  ];
  for (const [id, name, address, group] of devices) {
    run('INSERT INTO devices (id, name, address, device_group, location, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', id, name, address, group, 'rack ' + id, NOW, NOW);
  }
  run("INSERT INTO device_status (device_id, icmp_state, snmp_state, last_poll_at, last_poll_ms, last_error, sys_name, updated_at) VALUES (1, 'up', 'up', ?, 120, NULL, 'core-1.example', ?)", NOW, NOW);
  run("INSERT INTO device_status (device_id, icmp_state, snmp_state, last_poll_at, last_poll_ms, last_error, updated_at) VALUES (2, 'down', 'unknown', ?, 900, 'timeout ''quoted''', ?)", NOW, NOW);
  run("INSERT INTO device_status (device_id, icmp_state, snmp_state, last_poll_at, last_poll_ms, updated_at) VALUES (3, 'unknown', 'auth_failure', ?, 45, ?)", NOW, NOW);
  const ifaces: [number, number, number, string, number | null, number | null][] = [
    [1, 1, 1, 'Gi0/1', 12.5, 80.25],
    [2, 1, 2, 'Gi0/2', 99, null],
    [3, 2, 1, 'eth0', null, 3],
    [4, 3, 7, "port 'x'", 55.5, 55.4],
  ];
  for (const [id, dev, idx, name, inU, outU] of ifaces) {
    run(
      'INSERT INTO interfaces (id, device_id, if_index, name, speed_bps, oper_status, admin_status, in_bps, out_bps, in_util_pct, out_util_pct, updated_at) VALUES (?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?, ?)',
      id, dev, idx, name, 1_000_000_000, 1000 * id, 2000 * id, inU, outU, NOW,
    );
  }
  const alarms: [number, string, string, number, number | null][] = [
    [1, 'linkDown:1:Gi0/2', 'active', 1, 1],
    [2, 'linkDown:2:1', 'acknowledged', 2, 2],
    [3, 'nodeDown:3', 'active', 0, 3],
    [4, 'linkDown:1:Gi0/1', 'cleared', 1, 1],
    [5, 'threshold:__proto__', 'active', 3, null],
  ];
  for (const [id, key, state, sev, dev] of alarms) {
    run(
      `INSERT INTO alarms (id, reduction_key, state, severity, title, message, device_id, source_address, source, event_type, first_seen, last_seen, count, cleared_at, suppressed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'trap', ?, ?, ?, ?, ?, ?)`,
      id, key, state, sev, `alarm ${id}`, `message 'of' alarm ${id}`, dev, dev ? `192.0.2.${dev}` : null, key.split(':')[0], NOW - id * MIN, NOW - id * 1000, id, state === 'cleared' ? NOW : null, id === 2 ? 1 : 0,
    );
    run('INSERT INTO alarm_events (alarm_id, event_id) VALUES (?, ?)', id, id * 10);
  }
  run("INSERT INTO neighbours (device_id, protocol, local_port, remote_chassis, remote_port, remote_sys_name, remote_mgmt_addr, updated_at) VALUES (1, 'lldp', 'Gi0/1', 'aa:bb', 'eth0', 'O''Brien \"edge\"', '192.0.2.2', ?)", NOW);
  run("INSERT INTO topology_links (id, a_device_id, a_port, b_device_id, b_port, created_at) VALUES (1, 1, 'Gi0/2', 3, NULL, ?)", NOW);
  run("INSERT INTO topology_positions (node_id, x, y, updated_at) VALUES ('d1', 10.5, -3, ?), ('__proto__', 0, 0, ?)", NOW, NOW);
  run('INSERT INTO device_dependencies (device_id, pinned_parent_id, is_root, updated_at) VALUES (1, NULL, 1, ?), (4, 1, 0, ?)', NOW, NOW);
  for (let i = 1; i <= 6; i++) {
    run(
      `INSERT INTO audit_log (id, at, username, role, source_address, action, object_type, object_id, object_name, method, path, status, outcome, details_json)
       VALUES (?, ?, ?, 'admin', '127.0.0.1', ?, ?, ?, ?, 'POST', '/api/v1/x', 200, ?, ?)`,
      i, NOW - i * 1000, i % 2 ? 'alice' : "o'hara", i % 3 ? 'alarm.ack' : 'device.create', i % 3 ? 'alarm' : 'device', String(i), `obj '${i}'`, i === 4 ? 'denied' : 'ok', JSON.stringify({ __proto__: null, n: i }),
    );
  }
  run("INSERT INTO metrics (id, device_id, name, instance, unit) VALUES (1, 1, 'ifInOctets', 'Gi0/1', 'bps')");
  const t0 = Math.floor(NOW / 1000) - 3600;
  for (let i = 0; i < 30; i++) run('INSERT INTO samples_raw (metric_id, ts, value) VALUES (1, ?, ?)', t0 + i * 60, i * 1.5);
  const rtts = Buffer.alloc(12);
  rtts.writeUInt32LE(1500, 0);
  rtts.writeUInt32LE(0xffffffff, 4);
  rtts.writeUInt32LE(2500, 8);
  for (let i = 0; i < 5; i++) {
    run('INSERT INTO latency_raw (device_id, ts, sent, received, p0, p50, p100, rtts) VALUES (1, ?, 3, 2, 1.5, 2, 2.5, ?)', NOW - i * MIN, rtts);
  }
}

function events(): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (let i = 1; i <= 3000; i++) {
    out.push({
      id: i,
      receivedAt: NOW - 50 * MIN + i * 997,
      reportedAt: null,
      source: (['syslog', 'trap', 'icmp', 'syslog'] as const)[i % 4]!,
      sourceAddress: i % 5 === 0 ? `198.51.100.${i % 3}` : `192.0.2.${(i % 4) + 1}`,
      deviceId: i % 5 === 0 ? null : (i % 4) + 1,
      severity: SEVERITIES[i % SEVERITIES.length] as Severity,
      // Type counts all differ (the dashboard's top types have no ties to order).
      type: `type${Math.floor(Math.sqrt(i % 97))}${i % 2 ? '' : "'q"}`,
      message: i % 13 === 0 ? `O'Brien "said" __proto__ ${i}` : `link ${i} down`,
      params: {},
    });
  }
  return out;
}

const topoDevices = [
  { id: 1, name: 'core-1', address: '192.0.2.1', group: 'core', location: 'rack 1' },
  { id: 2, name: "O'Brien \"edge\"", address: '192.0.2.2', group: null, location: 'rack 2' },
  { id: 3, name: '__proto__', address: '2001:db8::3', group: 'Zürich 🙂', location: 'rack 3' },
  { id: 4, name: 'constructor', address: '192.0.2.4', group: 'core', location: 'rack 4' },
];

const CASES: { [K in ReadOp]?: ReadArgs<K>[] } = {
  'events.query': [{ limit: 50 }, { limit: 20, source: ['trap'] }, { limit: 30, minSeverity: 'major', from: NOW - 30 * MIN }, { limit: 10, search: "O'Brien" }, { limit: 10, deviceId: 2, beforeId: 2000 }],
  'events.get': [1234, 999_999],
  'events.exportPage': [{ filter: { source: ['icmp'] }, limit: 40, format: 'csv', deviceNames: [[1, 'core-1'], [3, '__proto__']], header: true }],
  'dashboard.summary': [{ sinceMs: NOW - 60 * MIN, top: 5 }, { sinceMs: NOW - 20 * MIN, top: 3 }, { sinceMs: NOW + 60 * MIN, top: 5 }],
  'alarms.list': [{ state: 'open', limit: 10 }, { state: 'all', limit: 2, beforeId: 5 }, { state: 'cleared', limit: 10 }, { state: 'open', deviceId: 1, root: true, limit: 10 }],
  'alarms.detail': [{ id: 1, events: 10 }, { id: 99, events: 10 }],
  'alarms.suppressedByDevice': [null],
  'metrics.series': [{ deviceId: 1, metric: 'ifInOctets', instance: 'Gi0/1', from: Math.floor(NOW / 1000) - 7200, to: Math.floor(NOW / 1000), resolution: 'raw' }],
  'latency.points': [{ deviceId: 1, from: NOW - 60 * MIN, to: NOW + MIN, resolution: 'raw' }],
  'unknownSenders.list': [{ limit: 10 }, { limit: 1 }],
  'audit.list': [{ limit: 10 }, { limit: 3, username: "o'hara" }, { limit: 10, action: 'alarm', outcome: 'ok' }],
  'audit.objectTypes': [null],
  'topology.build': [{ devices: topoDevices }],
  'rootcause.derive': [{ devices: topoDevices.map((d) => ({ ...d, site: 'central' })), gateway: null }],
};

describe.skipIf(!postgresAvailable())('READ_OPS on PostgreSQL reader threads give what SQLite gives', () => {
  let sqlite: ReturnType<typeof eventStore>;
  let pgReads: ReadPool;
  let ref: Reads;
  const evs = events();

  beforeAll(async () => {
    const url = await newPgDatabase();
    sqlite = eventStore();
    seed(sqlite.db);
    const pgDb = openPgDb(url);
    seed(pgDb);
    pgDb.close();
    for (const target of [sqlite.file, { postgresUrl: url }]) {
      const t = await openEventStoreThread(target, { maintenanceIntervalMs: 3_600_000 });
      for (let i = 0; i < evs.length; i += 500) await t.insert(eventRows(evs.slice(i, i + 500)));
      await t.close();
    }
    ref = inlineReads(sqlite.db);
    pgReads = await ReadPool.open({ file: { postgresUrl: url }, threads: 2, queryTimeoutMs: 20_000, maxQueue: 100, log: createLogger({ level: 'silent', format: 'json' }) });
  }, 120_000);
  afterAll(async () => {
    await pgReads?.close();
    sqlite?.db.close();
  });

  it('covers every read op', async () => {
    const { READ_OPS } = await import('../../../server/store/read-ops.js');
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(READ_OPS).sort());
  });

  for (const [op, cases] of Object.entries(CASES) as [ReadOp, unknown[]][]) {
    it.for(cases.map((c, i) => [i, c] as const))(`${op} #%i`, async ([, args]) => {
      const want = await ref.run(op, args as never);
      const got: unknown = await pgReads.run(op, args as never);
      if (op === 'events.exportPage') {
        const [a, b] = [got, want] as { bytes: Uint8Array }[];
        expect(new TextDecoder().decode(a!.bytes)).toBe(new TextDecoder().decode(b!.bytes));
        expect({ ...(a as object), bytes: null }).toEqual({ ...(b as object), bytes: null });
      } else expect(got).toEqual(want);
    });
  }
});
