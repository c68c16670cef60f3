import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../server/store/database.js';
import { type InterfaceWrite, type NeighbourWrite, PollStateRepository } from '../../../server/store/poll-state.repository.js';
import { keyForDb } from '../../../server/store/key-text.js';
import { openTestDb, STORE_ENGINES } from '../../helpers/store-engines.js';
import { addDevice, HOSTILE, longText, nulOf } from './store-fixtures.js';

const iface = (ifIndex: number, name: string, extra: Partial<InterfaceWrite> = {}): InterfaceWrite => ({
  ifIndex, name, descr: name, alias: null, type: 6, speedBps: 10_000_000_000, mac: '00:11:22:33:44:55', adminStatus: 1, operStatus: 1,
  inBps: 1.5, outBps: 2, inErrorsPs: 0, outErrorsPs: 0, inDiscardsPs: 0, outDiscardsPs: 0, inUtilPct: 0.25, outUtilPct: null, hcCounters: true, ...extra,
});

const nb = (localPort: string, extra: Partial<NeighbourWrite> = {}): NeighbourWrite => ({
  protocol: 'lldp', localPort, remoteChassis: 'aa:bb', remotePort: 'Gi0/1', remotePortDesc: null, remoteSysName: 'core', remoteMgmtAddr: '10.0.0.1', ...extra,
});

describe.each(STORE_ENGINES)('PollStateRepository on %s', (engine) => {
  let db: Db;
  let repo: PollStateRepository;
  let d1: number;
  let d2: number;
  beforeEach(async () => {
    db = await openTestDb(engine);
    repo = new PollStateRepository(db);
    d1 = addDevice(db, 'sw1');
    d2 = addDevice(db, 'sw2', '127.0.0.2');
  }, 60_000);
  afterEach(() => db.close());

  it('creates a status row on the first SNMP result and keeps the system group until a poll brings a new one', () => {
    expect(repo.status(d1)).toBeUndefined();
    const system = { sysName: 'sw1.lab', sysDescr: 'Cisco IOS', sysObjectID: '1.3.6.1.4.1.9.1.1', vendor: 'cisco', sysUpTimeCs: 4_294_967_295, sysContact: null, sysLocation: 'rack 1' };
    repo.recordSnmp(d1, { snmpState: 'up', at: 1_000, durationMs: 42, error: null, errorKind: null, system });
    expect(repo.status(d1)).toEqual({
      deviceId: d1, icmpState: 'unknown', snmpState: 'up', lastPollAt: 1_000, lastPollMs: 42, lastError: null, lastErrorKind: null,
      rtt: { min: null, avg: null, max: null, jitter: null, lossPct: null, at: null }, system, updatedAt: 1_000,
    });
    repo.recordSnmp(d1, { snmpState: 'auth_failure', at: 2_000, durationMs: 7, error: 'authorizationError', errorKind: 'auth' });
    const s = repo.status(d1)!;
    expect(s).toMatchObject({ snmpState: 'auth_failure', lastPollAt: 2_000, lastError: 'authorizationError', lastErrorKind: 'auth', updatedAt: 2_000 });
    expect(s.system).toEqual(system);
    // A poll's duration is measured with performance.now(): fractional milliseconds are kept (a bigint column refused them).
    repo.recordSnmp(d1, { snmpState: 'up', at: 3_000, durationMs: 13.718, error: null, errorKind: null });
    expect(repo.status(d1)!.lastPollMs).toBe(13.718);
  });

  it('records a batch of ICMP results in one go, and refuses a state the schema does not know', () => {
    repo.recordIcmp([
      { deviceId: d1, update: { icmpState: 'up', at: 5_000, min: 0.1, avg: 0.25, max: 0.5, jitter: 0.05, lossPct: 0 } },
      { deviceId: d2, update: { icmpState: 'down', at: 5_000, min: null, avg: null, max: null, jitter: null, lossPct: 100 } },
    ]);
    const all = repo.allStatus();
    expect([...all.keys()].sort((a, b) => a - b)).toEqual([d1, d2]);
    expect(all.get(d1)!.rtt).toEqual({ min: 0.1, avg: 0.25, max: 0.5, jitter: 0.05, lossPct: 0, at: 5_000 });
    expect(all.get(d2)).toMatchObject({ icmpState: 'down', snmpState: 'unknown', rtt: { lossPct: 100, min: null } });
    // A CHECK violation rolls the whole batch back on both engines.
    expect(() =>
      repo.recordIcmp([
        { deviceId: d1, update: { icmpState: 'down', at: 6_000, min: null, avg: null, max: null, jitter: null, lossPct: 100 } },
        { deviceId: d2, update: { icmpState: 'sideways' as 'up', at: 6_000, min: null, avg: null, max: null, jitter: null, lossPct: 100 } },
      ]),
    ).toThrow();
    expect(repo.status(d1)!.icmpState).toBe('up');
  });

  it('lists the sysName of every device that reported one, under the camelCase key', () => {
    const system = (sysName: string | null) => ({ sysName, sysDescr: null, sysObjectID: null, vendor: null, sysUpTimeCs: null, sysContact: null, sysLocation: null });
    repo.recordSnmp(d2, { snmpState: 'up', at: 1, durationMs: 1, error: null, errorKind: null, system: system('B.lab') });
    repo.recordSnmp(d1, { snmpState: 'up', at: 1, durationMs: 1, error: null, errorKind: null, system: system('') });
    expect(repo.sysNames()).toEqual([{ id: d2, sysName: 'B.lab' }]);
    repo.recordSnmp(d1, { snmpState: 'up', at: 2, durationMs: 1, error: null, errorKind: null, system: system('a.lab') });
    expect(repo.sysNames()).toEqual([{ id: d1, sysName: 'a.lab' }, { id: d2, sysName: 'B.lab' }]);
  });

  it('stores hostile text from the network as given (NUL becomes U+FFFD on PostgreSQL only)', () => {
    for (const text of [...HOSTILE, 'sysDescr padded\u0000\u0000']) {
      const system = { sysName: text, sysDescr: text, sysObjectID: text, vendor: text, sysUpTimeCs: 0, sysContact: text, sysLocation: text };
      repo.recordSnmp(d1, { snmpState: 'down', at: 3, durationMs: 1, error: text, errorKind: text, system });
      const s = repo.status(d1)!;
      const want = nulOf(db, text);
      expect(s.system).toEqual({ sysName: want, sysDescr: want, sysObjectID: want, vendor: want, sysUpTimeCs: 0, sysContact: want, sysLocation: want });
      expect([s.lastError, s.lastErrorKind]).toEqual([want, want]);
    }
  });

  it('keeps an interface by name across ifIndex renumbering, updates every column and drops the ones not seen', () => {
    repo.replaceInterfaces(d1, [iface(2, 'eth1'), iface(1, 'eth0'), iface(3, 'lo', { hcCounters: false, speedBps: null })], 1_000);
    const before = repo.interfaces(d1);
    expect(before.map((i) => [i.ifIndex, i.name])).toEqual([[1, 'eth0'], [2, 'eth1'], [3, 'lo']]);
    expect(before[0]).toEqual({ id: before[0]!.id, deviceId: d1, updatedAt: 1_000, ...iface(1, 'eth0') });
    expect(before[2]).toMatchObject({ hcCounters: false, speedBps: null });
    repo.replaceInterfaces(d1, [iface(7, 'eth0', { operStatus: 2, inBps: 99.5, alias: 'uplink' })], 2_000);
    const after = repo.interfaces(d1);
    expect(after).toEqual([{ id: before[0]!.id, deviceId: d1, updatedAt: 2_000, ...iface(7, 'eth0', { operStatus: 2, inBps: 99.5, alias: 'uplink' }) }]);
    expect(repo.interfaces(d2)).toEqual([]);
    // Same names on another device are other interfaces.
    repo.replaceInterfaces(d2, [iface(1, 'eth0')], 2_000);
    expect(repo.interfaces(d2)[0]!.id).not.toBe(after[0]!.id);
  });

  it('stores hostile interface names and orders ties of ifIndex by creation', () => {
    const names = [...HOSTILE, 'Gi0/1\u0000'];
    repo.replaceInterfaces(d1, names.map((n) => iface(5, n, { descr: n, alias: n, mac: n })), 1_000);
    const got = repo.interfaces(d1);
    // The name is a unique key: whole on SQLite, NUL as U+FFFD and a hash past 2,000 bytes on PostgreSQL (keyForDb).
    expect(got.map((i) => i.name)).toEqual(names.map(keyForDb(db, 2000)));
    got.forEach((i, k) => expect([i.descr, i.alias, i.mac]).toEqual(Array(3).fill(nulOf(db, names[k]!))));
    // The same batch again finds every row by its (stored) name: nothing new, nothing dropped.
    repo.replaceInterfaces(d1, names.map((n) => iface(5, n, { descr: n, alias: n, mac: n })), 2_000);
    expect(repo.interfaces(d1).map((i) => i.id)).toEqual(got.map((i) => i.id));
  });

  it('stores interface names and neighbour ports far longer than a PostgreSQL index entry, each one apart, and finds them again', () => {
    const a = longText(1);
    const b = a.slice(0, 19_000) + longText(2, 1_000); // the same first 19,000 characters
    repo.replaceInterfaces(d1, [iface(1, a), iface(2, b)], 1_000);
    const first = repo.interfaces(d1);
    expect(first).toHaveLength(2);
    // Kept whole on SQLite; on PostgreSQL cut to a prefix and a hash of the whole name, so both stay distinct.
    if (engine === 'sqlite') expect(first.map((i) => i.name)).toEqual([a, b]);
    else for (const i of first) expect(i.name).toMatch(/…#[0-9a-f]{16}$/);
    repo.replaceInterfaces(d1, [iface(1, a), iface(2, b)], 2_000);
    expect(repo.interfaces(d1).map((i) => [i.id, i.updatedAt])).toEqual(first.map((i) => [i.id, 2_000]));
    repo.replaceNeighbours(d1, [nb(a, { remoteChassis: a, remotePort: a }), nb(b, { remoteChassis: b, remotePort: b }), nb(a, { remoteChassis: a, remotePort: a, remoteSysName: 'again' })], 1_000);
    const ns = repo.neighbours(d1);
    expect(ns).toHaveLength(2);
    expect(ns.map((n) => n.remoteSysName).sort()).toEqual(['again', 'core']);
  });

  it('replaces a device\'s neighbours, keeping the last of duplicate keys, ordered by local port', () => {
    repo.replaceNeighbours(d1, [nb('Gi0/2'), nb('Gi0/10'), nb('Gi0/1', { protocol: 'cdp' }), nb('Gi0/1'), nb('Gi0/2', { remoteSysName: 'second' })], 1_000);
    repo.replaceNeighbours(d2, [nb('eth0', { remoteChassis: 'cc' })], 1_000);
    const one = repo.neighbours(d1);
    expect(one.map((n) => [n.localPort, n.protocol])).toEqual([['Gi0/1', 'cdp'], ['Gi0/1', 'lldp'], ['Gi0/10', 'lldp'], ['Gi0/2', 'lldp']]);
    expect(one[3]).toEqual({ deviceId: d1, updatedAt: 1_000, ...nb('Gi0/2', { remoteSysName: 'second' }) });
    expect(repo.neighbours().map((n) => [n.deviceId, n.localPort])).toEqual([
      [d1, 'Gi0/1'], [d1, 'Gi0/1'], [d1, 'Gi0/10'], [d1, 'Gi0/2'], [d2, 'eth0'],
    ].sort((a, b) => (a[0] as number) - (b[0] as number)));
    repo.replaceNeighbours(d1, [nb('Gi0/3')], 2_000);
    expect(repo.neighbours(d1).map((n) => n.localPort)).toEqual(['Gi0/3']);
    repo.replaceNeighbours(d1, [], 3_000);
    expect(repo.neighbours(d1)).toEqual([]);
    expect(repo.neighbours(d2)).toHaveLength(1);
  });

  it('stores hostile neighbour text and refuses an unknown protocol without losing the old set', () => {
    repo.replaceNeighbours(d1, HOSTILE.map((t, i) => nb(`p${i}`, { remoteChassis: t, remotePort: t, remotePortDesc: t, remoteSysName: t, remoteMgmtAddr: t })), 1_000);
    expect(repo.neighbours(d1).map((n) => n.remoteSysName)).toEqual(HOSTILE);
    repo.replaceNeighbours(d2, [nb('a\u0000b', { remoteSysName: 'x\u0000' })], 1_000);
    expect(repo.neighbours(d2)[0]).toMatchObject({ localPort: nulOf(db, 'a\u0000b'), remoteSysName: nulOf(db, 'x\u0000') });
    expect(() => repo.replaceNeighbours(d1, [nb('x', { protocol: 'stp' as 'lldp' })], 2_000)).toThrow();
    expect(repo.neighbours(d1)).toHaveLength(HOSTILE.length);
  });

  // On PostgreSQL these rows go as arrays in multi-row statements (pg/poll-state-batch.ts): text that means something in an
  // array literal, duplicate keys within one batch, and more rows than one statement takes.
  const ARRAY_HOSTILE = ['NULL', 'null', '{a,b}', '"', '\\', 'a,b', ' padded ', '', '{}', '\u00a0', 'tab\there'];

  it('stores text that means something in an array literal as given, and keeps the last of duplicate interface names at the first one\'s place', () => {
    const names = ARRAY_HOSTILE.map((t, i) => `if${i}${t}`);
    repo.replaceInterfaces(d1, [
      ...ARRAY_HOSTILE.map((t, i) => iface(i + 1, names[i]!, { descr: t, alias: t, mac: t })),
      iface(99, names[0]!, { descr: 'last', alias: null, operStatus: 2 }),
    ], 1_000);
    const got = repo.interfaces(d1);
    expect(got).toHaveLength(ARRAY_HOSTILE.length);
    const byName = new Map(got.map((i) => [i.name, i]));
    expect(byName.get(names[0]!)).toMatchObject({ ifIndex: 99, descr: 'last', alias: null, operStatus: 2 });
    ARRAY_HOSTILE.forEach((t, i) => {
      if (i > 0) expect(byName.get(names[i]!)).toMatchObject({ ifIndex: i + 1, descr: t, alias: t, mac: t });
    });
    // Ids in the order the names first came, as when the rows are written one by one.
    const ids = got.slice().sort((a, b) => a.id - b.id).map((i) => i.name);
    expect(ids).toEqual(names);

    repo.replaceNeighbours(d2, ARRAY_HOSTILE.map((t, i) => nb(`p${i}`, { remoteChassis: t, remotePort: t, remotePortDesc: t, remoteSysName: t, remoteMgmtAddr: t })), 1_000);
    expect(repo.neighbours(d2).map((n) => n.remoteSysName).sort()).toEqual([...ARRAY_HOSTILE].sort());
  });

  it('writes more interfaces and ICMP results than one statement takes, and keeps the last of duplicate devices in one sweep', () => {
    const many = Array.from({ length: 2_345 }, (_, i) => iface(i + 1, `Gi1/0/${i + 1}`, { inBps: i + 0.5 }));
    repo.replaceInterfaces(d1, many, 1_000);
    const got = repo.interfaces(d1);
    expect(got).toHaveLength(2_345);
    expect(got[2_344]).toMatchObject({ ifIndex: 2_345, name: 'Gi1/0/2345', inBps: 2_344.5, updatedAt: 1_000 });
    repo.replaceInterfaces(d1, many.slice(0, 1_500), 2_000);
    expect(repo.interfaces(d1)).toHaveLength(1_500);

    const devices = [d1, d2, ...Array.from({ length: 1_200 }, (_, i) => addDevice(db, `d${i}`, `127.0.${(i >> 8) + 1}.${i & 255}`))];
    const up = (at: number, avg: number) => ({ icmpState: 'up' as const, at, min: avg / 2, avg, max: avg * 2, jitter: 0.01, lossPct: 0 });
    repo.recordIcmp([...devices.map((id, i) => ({ deviceId: id, update: up(5_000, i + 0.25) })), { deviceId: d2, update: { ...up(5_001, 7), icmpState: 'down' as const, lossPct: 100 } }]);
    const all = repo.allStatus();
    expect(all.size).toBe(devices.length);
    expect(all.get(devices[1_201]!)!.rtt).toEqual({ min: 600.625, avg: 1_201.25, max: 2_402.5, jitter: 0.01, lossPct: 0, at: 5_000 });
    expect(all.get(d2)).toMatchObject({ icmpState: 'down', rtt: { avg: 7, lossPct: 100, at: 5_001 }, updatedAt: 5_001 });
  });

  it('loses status, interfaces and neighbours with the device', () => {
    repo.recordSnmp(d1, { snmpState: 'up', at: 1, durationMs: 1, error: null, errorKind: null });
    repo.replaceInterfaces(d1, [iface(1, 'eth0')], 1);
    repo.replaceNeighbours(d1, [nb('eth0')], 1);
    db.prepare('DELETE FROM devices WHERE id = ?').run(d1);
    expect(repo.status(d1)).toBeUndefined();
    expect(repo.interfaces(d1)).toEqual([]);
    expect(repo.neighbours()).toEqual([]);
  });
});
