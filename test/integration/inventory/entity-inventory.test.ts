import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snmprec, startSnmpsim, systemGroup, type SnmprecLine, type SnmpsimHandle } from '../../helpers/snmpsim.js';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

/** One entPhysicalEntry of a recording (ENTITY-MIB, RFC 6933); PhysicalClass numbers. */
interface Entity {
  index: number;
  descr: string;
  containedIn: number;
  cls: number;
  relPos: number;
  name: string;
  hw?: string;
  fw?: string;
  sw?: string;
  serial?: string;
  mfg?: string;
  model?: string;
  fru: boolean;
  /** Raw bytes of entPhysicalName instead of `name` (hex). */
  nameHex?: string;
}

const ENT = '1.3.6.1.2.1.47.1.1.1.1';
const entityLines = (rows: Entity[]): SnmprecLine[] =>
  rows.flatMap((e) => [
    snmprec(`${ENT}.2.${e.index}`, 'str', e.descr),
    snmprec(`${ENT}.3.${e.index}`, 'oid', '1.3.6.1.4.1.9.12.3.1.9.1'),
    snmprec(`${ENT}.4.${e.index}`, 'int', e.containedIn),
    snmprec(`${ENT}.5.${e.index}`, 'int', e.cls),
    snmprec(`${ENT}.6.${e.index}`, 'int', e.relPos),
    e.nameHex ? snmprec(`${ENT}.7.${e.index}`, 'hex', e.nameHex) : snmprec(`${ENT}.7.${e.index}`, 'str', e.name),
    snmprec(`${ENT}.8.${e.index}`, 'str', e.hw ?? ''),
    snmprec(`${ENT}.9.${e.index}`, 'str', e.fw ?? ''),
    snmprec(`${ENT}.10.${e.index}`, 'str', e.sw ?? ''),
    snmprec(`${ENT}.11.${e.index}`, 'str', e.serial ?? ''),
    snmprec(`${ENT}.12.${e.index}`, 'str', e.mfg ?? ''),
    snmprec(`${ENT}.13.${e.index}`, 'str', e.model ?? ''),
    snmprec(`${ENT}.14.${e.index}`, 'str', ''),
    snmprec(`${ENT}.15.${e.index}`, 'str', ''),
    snmprec(`${ENT}.16.${e.index}`, 'int', e.fru ? 1 : 2),
  ]);

const CHASSIS = 3, CONTAINER = 5, PSU = 6, FAN = 7, MODULE = 9, PORT = 10;
/** A modular switch: chassis, two slots with line cards, ports, an SFP, two PSUs, two fans. */
const baseEntities = (): Entity[] => [
  { index: 1, descr: 'Catalyst 9407R chassis', containedIn: 0, cls: CHASSIS, relPos: -1, name: 'Chassis', hw: 'V02', serial: 'FXS2231Q0AB', mfg: 'Cisco', model: 'C9407R', fru: false },
  { index: 2, descr: 'Slot 1', containedIn: 1, cls: CONTAINER, relPos: 1, name: 'Slot 1', fru: false },
  { index: 3, descr: 'Slot 3', containedIn: 1, cls: CONTAINER, relPos: 3, name: 'Slot 3', fru: false },
  { index: 4, descr: '48-port 1G line card', containedIn: 2, cls: MODULE, relPos: 0, name: 'Linecard 1', hw: 'V01', fw: '17.3.1r', sw: '17.3.4', serial: 'JAE1111AAAA', mfg: 'Cisco', model: 'C9400-LC-48T', fru: true },
  { index: 5, descr: '24-port 10G line card', containedIn: 3, cls: MODULE, relPos: 0, name: 'Linecard 3', hw: 'V01', fw: '17.3.1r', sw: '17.3.4', serial: 'JAE3333AAAA', mfg: 'Cisco', model: 'C9400-LC-24XS', fru: true },
  { index: 6, descr: 'TenGigabitEthernet3/0/1', containedIn: 5, cls: PORT, relPos: 1, name: 'Te3/0/1', fru: false },
  { index: 7, descr: 'TenGigabitEthernet3/0/2', containedIn: 5, cls: PORT, relPos: 2, name: 'Te3/0/2', fru: false },
  { index: 8, descr: 'SFP+ 10GBASE-LR', containedIn: 6, cls: MODULE, relPos: 0, name: 'Te3/0/1 transceiver', hw: 'V03', serial: 'OPT0000001', mfg: 'CISCO-FINISAR', model: 'SFP-10G-LR', fru: true },
  { index: 9, descr: 'Power supply 1', containedIn: 1, cls: PSU, relPos: 1, name: 'PS1', serial: 'PSU1000001', model: 'C9400-PWR-3200AC', fru: true },
  { index: 10, descr: 'Power supply 2', containedIn: 1, cls: PSU, relPos: 2, name: 'PS2', serial: 'PSU2000002', model: 'C9400-PWR-3200AC', fru: true },
  { index: 11, descr: 'Fan tray', containedIn: 1, cls: FAN, relPos: 1, name: 'Fan Tray', serial: 'FAN0000001', model: 'C9407-FAN', fru: true },
  { index: 12, descr: 'Fan 1', containedIn: 11, cls: FAN, relPos: 1, name: 'Fan 1', fru: false },
];

/** sysLocation carries a revision, so a test can wait until snmpsimd serves a rewritten recording. */
let revision = 0;
const recording = (rows: Entity[], upTicks = 500_000) => [
  ...systemGroup({ descr: 'Cisco IOS Software [Amsterdam], Catalyst L3 Switch Software', objectId: '1.3.6.1.4.1.9.1.2530', name: 'core-sw1', upTicks }).filter((l) => l.oid !== '1.3.6.1.2.1.1.6.0'),
  snmprec('1.3.6.1.2.1.1.6.0', 'str', `rev-${++revision}`),
  ...entityLines(rows),
];

let sim: SnmpsimHandle;
let agent: SnmpdHandle;
let srv: TestServer;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  sim = await startSnmpsim({ chassis: recording(baseEntities()), hostile: recording([]) });
  agent = await startSnmpd({ sysName: 'plain-host' });
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
}, 90_000);
afterAll(async () => {
  await srv?.stop();
  await sim?.stop();
  await agent?.stop();
});

const addDevice = async (name: string, port: number, community: string) => {
  const r = await call('POST', '/devices', { name, address: '127.0.0.1', icmpEnabled: false, snmp: { port, community, timeoutMs: 2000, retries: 1 } });
  expect(r.status).toBe(201);
  return r.body.id as number;
};

const snmpget = (community: string, oid: string) =>
  new Promise<string>((resolve) => execFile('snmpget', ['-v2c', '-c', community, '-Oqv', '-t', '2', '-r', '1', `127.0.0.1:${sim.port}`, oid], (err, out) => resolve(err ? '' : out.trim())));

/** snmpsimd notices a changed recording by its modification time (a new second), and only then: wait until it serves the new one. */
const rewrite = async (community: string, lines: SnmprecLine[]) => {
  await new Promise((r) => setTimeout(r, 1100));
  sim.write(community, lines);
  const marker = lines.find((l) => l.oid === '1.3.6.1.2.1.1.6.0')!.line.split('|')[2]!;
  for (let i = 0; i < 100; i++) {
    if ((await snmpget(community, '1.3.6.1.2.1.1.6.0')).replace(/"/g, '') === marker) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`snmpsimd still serves the old ${community} recording`);
};

const inventoryEvents = async (deviceId: number, want: number) => {
  let items: { type: string; message: string; params: Record<string, unknown> }[] = [];
  for (let i = 0; i < 300; i++) {
    items = (await call('GET', `/events?device=${deviceId}&source=poll&limit=100`)).body.items.filter((e: { type: string }) => e.type.startsWith('inventory.'));
    if (items.length >= want) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return items;
};

const openAlarms = async (deviceId: number) =>
  (await call('GET', '/alarms')).body.items.filter((a: { deviceId: number; reductionKey: string }) => a.deviceId === deviceId && a.reductionKey.startsWith('inventory'));

describe('ENTITY-MIB hardware inventory', () => {
  let id: number;

  it('reads the chassis, its modules, ports, transceiver, power supplies and fans as a tree, with no event for the baseline', async () => {
    id = await addDevice('core-sw1', sim.port, 'chassis');
    const r = await call('POST', `/devices/${id}/inventory/refresh`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ collected: true, error: null });
    const inv = (await call('GET', `/devices/${id}/inventory`)).body;
    expect(inv.sources).toEqual([expect.objectContaining({ source: 'entity-mib', items: 12 })]);
    expect(inv.items).toHaveLength(12);
    const byIndex = new Map(inv.items.map((i: { index: string }) => [i.index, i]));
    expect(byIndex.get('1')).toMatchObject({ parentIndex: null, class: 'chassis', name: 'Chassis', model: 'C9407R', serial: 'FXS2231Q0AB', hardwareRev: 'V02', manufacturer: 'Cisco', fru: false, source: 'entity-mib' });
    expect(byIndex.get('5')).toMatchObject({ parentIndex: '3', class: 'module', model: 'C9400-LC-24XS', serial: 'JAE3333AAAA', firmwareRev: '17.3.1r', softwareRev: '17.3.4', fru: true, parentRelPos: 0 });
    expect(byIndex.get('8')).toMatchObject({ parentIndex: '6', class: 'module', model: 'SFP-10G-LR', serial: 'OPT0000001', vendorType: '1.3.6.1.4.1.9.12.3.1.9.1' });
    expect(byIndex.get('10')).toMatchObject({ parentIndex: '1', class: 'powerSupply', serial: 'PSU2000002' });
    expect(byIndex.get('12')).toMatchObject({ parentIndex: '11', class: 'fan', serial: null, model: null });
    expect(byIndex.get('1')).toHaveProperty('firstSeen');
    // The first snapshot is the baseline: no flood of "added" events.
    expect((await call('GET', `/devices/${id}/inventory/history`)).body.items).toEqual([]);
    expect(await inventoryEvents(id, 0)).toEqual([]);
    // Ordinary polls do not walk the table again.
    expect((await call('POST', `/devices/${id}/poll`)).body.status.snmpState).toBe('up');
  });

  it('turns a swapped module, a removed power supply and a new transceiver into exactly those events and alarms', async () => {
    const rows = baseEntities().filter((e) => e.index !== 10);
    rows.find((e) => e.index === 5)!.serial = 'JAE3333BBBB';
    rows.push({ index: 13, descr: 'SFP+ 10GBASE-SR', containedIn: 7, cls: MODULE, relPos: 0, name: 'Te3/0/2 transceiver', serial: 'OPT0000002', model: 'SFP-10G-SR', mfg: 'CISCO-AVAGO', fru: true });
    await rewrite('chassis', recording(rows));
    // A plain poll within the interval does not read the inventory: nothing happens yet.
    await call('POST', `/devices/${id}/poll`);
    expect((await call('GET', `/devices/${id}/inventory`)).body.items.map((i: { index: string }) => i.index)).toContain('10');

    expect((await call('POST', `/devices/${id}/inventory/refresh`)).body.collected).toBe(true);
    const events = await inventoryEvents(id, 3);
    expect(events.map((e) => `${e.type} ${e.params.index}`).sort()).toEqual(['inventory.added 13', 'inventory.changed 5', 'inventory.removed 10']);
    const swap = events.find((e) => e.type === 'inventory.changed')!;
    expect(swap.message).toBe('core-sw1: module Linecard 3 swapped: serial JAE3333AAAA → JAE3333BBBB');
    expect(swap.params).toMatchObject({ fields: ['serial'], old: { serial: 'JAE3333AAAA' }, new: { serial: 'JAE3333BBBB' }, source: 'entity-mib', class: 'module' });
    expect(events.find((e) => e.type === 'inventory.removed')!.message).toBe('core-sw1: power supply PS2 removed (serial PSU2000002)');
    expect(events.find((e) => e.type === 'inventory.added')!.message).toBe('core-sw1: module Te3/0/2 transceiver added (model SFP-10G-SR, serial OPT0000002)');

    const inv = (await call('GET', `/devices/${id}/inventory`)).body.items;
    expect(inv.map((i: { index: string }) => i.index)).not.toContain('10');
    expect(inv.find((i: { index: string }) => i.index === '5').serial).toBe('JAE3333BBBB');
    const history = (await call('GET', `/devices/${id}/inventory/history`)).body.items;
    expect(history.map((h: { change: string; index: string }) => `${h.change} ${h.index}`).sort()).toEqual(['added 13', 'changed 5', 'removed 10']);
    expect(history.find((h: { change: string }) => h.change === 'changed').changes).toEqual([{ field: 'serial', old: 'JAE3333AAAA', new: 'JAE3333BBBB' }]);

    let alarms: { reductionKey: string; severity: string; title: string; state: string }[] = [];
    for (let i = 0; i < 300 && alarms.length < 2; i++) {
      alarms = await openAlarms(id);
      if (alarms.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(alarms.map((a) => [a.reductionKey, a.severity]).sort()).toEqual([
      [`inventoryChanged:${id}:entity-mib:5`, 'warning'],
      [`inventoryRemoved:${id}:entity-mib:10`, 'warning'],
    ]);
    expect(alarms.find((a) => a.reductionKey.startsWith('inventoryRemoved'))!.title).toBe('core-sw1: power supply PS2 removed');

    // Fleet search by serial (part of it, any case) and by model.
    const hits = (await call('GET', '/inventory?serial=jae3333')).body.items;
    expect(hits).toEqual([expect.objectContaining({ deviceId: id, deviceName: 'core-sw1', index: '5', serial: 'JAE3333BBBB', removedAt: null })]);
    expect((await call('GET', '/inventory?serial=PSU2000002')).body.items).toEqual([]);
    expect((await call('GET', '/inventory?serial=PSU2000002&includeRemoved=true')).body.items[0]).toMatchObject({ index: '10', removedAt: expect.any(Number) });
    expect((await call('GET', '/inventory?model=SFP-10G')).body.items.map((h: { index: string }) => h.index)).toEqual(['8', '13']);
    expect((await call('GET', '/inventory')).status).toBe(400);
    expect((await call('GET', '/inventory?serial=%25')).body.items).toEqual([]);
  });

  it('reads the inventory again when the device rebooted, and clears the removal alarm when the power supply is back', async () => {
    const rows = baseEntities();
    rows.find((e) => e.index === 5)!.serial = 'JAE3333BBBB';
    rows.push({ index: 13, descr: 'SFP+ 10GBASE-SR', containedIn: 7, cls: MODULE, relPos: 0, name: 'Te3/0/2 transceiver', serial: 'OPT0000002', model: 'SFP-10G-SR', fru: true });
    // sysUpTime went back: the next ordinary poll walks entPhysicalTable.
    await rewrite('chassis', recording(rows, 1_000));
    expect((await call('POST', `/devices/${id}/poll`)).body.status.snmpState).toBe('up');
    const events = await inventoryEvents(id, 4);
    expect(events.filter((e) => e.type === 'inventory.added').map((e) => e.params.index).sort()).toEqual(['10', '13']);
    let removed: unknown[] = [1];
    for (let i = 0; i < 300 && removed.length; i++) {
      removed = (await openAlarms(id)).filter((a: { reductionKey: string }) => a.reductionKey.startsWith('inventoryRemoved'));
      if (removed.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(removed).toEqual([]);
    expect((await call('GET', `/devices/${id}/inventory`)).body.items).toHaveLength(13);
  });

  it('gives an empty inventory, without an error, for net-snmp\'s snmpd', async () => {
    const plain = await addDevice('plain-host', agent.port, agent.community);
    const r = await call('POST', `/devices/${plain}/inventory/refresh`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ collected: true, error: null });
    expect(r.body.inventory).toEqual({ deviceId: plain, sources: [expect.objectContaining({ source: 'entity-mib', items: 0 })], items: [] });
    expect((await call('GET', `/devices/${plain}/status`)).body.status).toMatchObject({ snmpState: 'up', lastError: null });
  });

  it('stores hostile values (huge strings, control characters, bytes that are not UTF-8, __proto__) as data', async () => {
    const hid = await addDevice('hostile-sw', sim.port, 'hostile');
    // Longer than the 1,024 characters kept; snmpsimd cannot answer a GETBULK over 64 KiB, so not much longer.
    const huge = 'X'.repeat(1200);
    await rewrite('hostile', recording([
      { index: 1, descr: huge, containedIn: 0, cls: CHASSIS, relPos: -1, name: '__proto__', serial: 'constructor', model: 'M', fru: false },
      { index: 2, descr: 'ctl', containedIn: 1, cls: MODULE, relPos: 1, name: '', nameHex: '0102031b5b33316d', serial: 'S2', fru: true },
      { index: 3, descr: 'latin1', containedIn: 1, cls: 99, relPos: 2, name: '', nameHex: 'ff fe 41'.replace(/ /g, ''), serial: 'S3', fru: true },
      { index: 4, descr: 'loop', containedIn: 4, cls: FAN, relPos: 3, name: 'self-parent', fru: false },
    ]));
    const r = await call('POST', `/devices/${hid}/inventory/refresh`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ collected: true, error: null });
    const items = r.body.inventory.items;
    expect(items).toHaveLength(4);
    expect(items[0]).toMatchObject({ index: '1', name: '__proto__', serial: 'constructor' });
    expect(items[0].descr).toHaveLength(1024);
    expect(items[1].name).toBe('01:02:03:1b:5b:33:31:6d');
    expect(items[2]).toMatchObject({ name: '\ufffd\ufffdA', class: 'unknown' });
    expect(items[3]).toMatchObject({ name: 'self-parent', parentIndex: null });
    expect((await call('GET', '/inventory?serial=constructor')).body.items[0]).toMatchObject({ deviceName: 'hostile-sw', name: '__proto__' });
    // Nothing leaked into Object.prototype, and the server still answers.
    expect(({} as Record<string, unknown>).serial).toBeUndefined();
    expect((await call('GET', '/device-status')).status).toBe(200);
  });

  it('answers 404 for an unknown device, 400 for bad parameters, 403 to a viewer\'s refresh, and audits every refresh', async () => {
    expect((await call('GET', '/devices/999999/inventory')).status).toBe(404);
    expect((await call('POST', '/devices/999999/inventory/refresh')).status).toBe(404);
    expect((await call('GET', '/devices/abc/inventory/history')).status).toBe(400);
    expect((await call('GET', `/devices/${id}/inventory/history?limit=5000`)).status).toBe(400);
    expect((await call('GET', '/inventory?serial=a&serial=b')).status).toBe(400);
    expect((await call('GET', `/inventory?model=${'x'.repeat(201)}`)).status).toBe(400);
    // A viewer reads the inventory but cannot make the server poll.
    expect((await call('POST', '/users', { username: 'inv-viewer', password: 'a-long-viewer-password', role: 'viewer' })).status).toBe(201);
    const viewer = apiClient(srv.url, (await login(srv.url, 'inv-viewer', 'a-long-viewer-password')).token);
    expect((await viewer('GET', `/devices/${id}/inventory`)).status).toBe(200);
    expect((await viewer('GET', '/inventory?serial=JAE')).body.items.length).toBeGreaterThan(0);
    expect((await viewer('POST', `/devices/${id}/inventory/refresh`)).status).toBe(403);
    const audit = (await call('GET', '/audit?limit=100')).body.items.filter((a: { action: string }) => a.action === 'device.inventory-refresh');
    expect(audit.length).toBeGreaterThanOrEqual(3);
  });
});
