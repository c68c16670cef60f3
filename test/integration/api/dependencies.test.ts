import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { until } from '../engine/engine-helpers.js';

// Root-cause dependencies over the real API: parents from manual links (the topology), pins that
// win over it, cycles refused, hostile bodies answered with 4xx, every change audited.
let srv: TestServer;
let call: ReturnType<typeof apiClient>;
const id = { core: 0, dist: 0, a1: 0, a2: 0, a3: 0 };

beforeAll(async () => {
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  const add = async (name: string, address: string, group: string | null = null) => (await call('POST', '/devices', { name, address, group, snmp: { enabled: false } })).body.id as number;
  id.core = await add('dep-core', '127.0.70.1');
  id.dist = await add('dep-dist', '127.0.70.2');
  id.a1 = await add('dep-a1', '127.0.70.11', 'floor-1');
  id.a2 = await add('dep-a2', '127.0.70.12', 'floor-1');
  id.a3 = await add('dep-a3', '127.0.70.13');
  const link = async (a: number, aPort: string, b: number) => expect((await call('POST', '/topology/links', { aDeviceId: a, aPort, bDeviceId: b })).status).toBe(201);
  await link(id.core, 'ge-0/0/1', id.dist);
  await link(id.dist, 'ge-0/0/11', id.a1);
  await link(id.dist, 'ge-0/0/12', id.a2);
  await link(id.dist, 'ge-0/0/13', id.a3);
  expect((await call('PUT', `/devices/${id.core}/dependency`, { pinnedParentId: null, isRoot: true })).status).toBe(200);
}, 120_000);
afterAll(() => srv?.stop());

const dep = async (d: number) => (await call('GET', `/devices/${d}/dependency`)).body;

describe('root-cause dependencies API', { timeout: 60_000 }, () => {
  it('derives parents from the topology (manual links) with the path and the parent\'s port', async () => {
    const a1 = await until(async () => {
      const d = await dep(id.a1);
      return d.parentId === id.dist ? d : undefined;
    }, 20_000);
    expect(a1).toEqual({ deviceId: id.a1, parentId: id.dist, pinnedParentId: null, groupParentId: null, isRoot: false, derivedFrom: 'topology', path: [id.core, id.dist, id.a1], viaPort: 'ge-0/0/11' });
    expect(await dep(id.core)).toMatchObject({ parentId: null, isRoot: true, derivedFrom: 'root', path: [id.core] });
  });

  it('lets a device pin win over the topology, and a group pin over the topology for the group\'s devices', async () => {
    const pinned = await call('PUT', `/devices/${id.a3}/dependency`, { pinnedParentId: id.core, isRoot: false });
    expect(pinned.status).toBe(200);
    expect(pinned.body).toMatchObject({ parentId: id.core, pinnedParentId: id.core, derivedFrom: 'pinned', path: [id.core, id.a3] });

    const group = await call('PUT', '/dependencies/groups/floor-1', { parentId: id.core });
    expect(group.status).toBe(200);
    expect(group.body).toEqual({ group: 'floor-1', parentId: id.core });
    expect(await dep(id.a2)).toMatchObject({ parentId: id.core, groupParentId: id.core, derivedFrom: 'group' });
    // The device's own pin beats its group's.
    await call('PUT', `/devices/${id.a1}/dependency`, { pinnedParentId: id.dist, isRoot: false });
    expect(await dep(id.a1)).toMatchObject({ parentId: id.dist, pinnedParentId: id.dist, groupParentId: id.core, derivedFrom: 'pinned' });
    expect((await call('GET', '/dependencies/groups')).body.items).toEqual([{ group: 'floor-1', parentId: id.core }]);

    // Unpinned: back to the topology.
    await call('PUT', '/dependencies/groups/floor-1', { parentId: null });
    await call('PUT', `/devices/${id.a3}/dependency`, { pinnedParentId: null, isRoot: false });
    expect(await dep(id.a3)).toMatchObject({ parentId: id.dist, derivedFrom: 'topology' });
    expect(await dep(id.a2)).toMatchObject({ parentId: id.dist, groupParentId: null, derivedFrom: 'topology' });
  });

  it('refuses a pin that makes a cycle with 400 and keeps the pins as they were', async () => {
    // dist pinned under a2 while a2 is pinned under dist.
    expect((await call('PUT', `/devices/${id.a2}/dependency`, { pinnedParentId: id.dist, isRoot: false })).status).toBe(200);
    const cyc = await call('PUT', `/devices/${id.dist}/dependency`, { pinnedParentId: id.a2, isRoot: false });
    expect(cyc.status).toBe(400);
    expect(cyc.text).toMatch(/cycle/);
    expect(await dep(id.dist)).toMatchObject({ pinnedParentId: null, parentId: id.core });
    // Through a group pin: floor-1 (a1, a2) pinned under a2 puts a1 under a2 (a2 itself keeps its own pin).
    expect((await call('PUT', `/devices/${id.a1}/dependency`, { pinnedParentId: null, isRoot: false })).status).toBe(200);
    expect((await call('PUT', '/dependencies/groups/floor-1', { parentId: id.a2 })).status).toBe(200);
    // a1 -> a2 (group), a2 -> dist (pin); pinning dist under a1 closes dist -> a1 -> a2 -> dist.
    expect((await call('PUT', `/devices/${id.dist}/dependency`, { pinnedParentId: id.a1, isRoot: false })).status).toBe(400);
    expect((await call('PUT', '/dependencies/groups/floor-1', { parentId: null })).status).toBe(200);
    expect((await call('PUT', `/devices/${id.a2}/dependency`, { pinnedParentId: null, isRoot: false })).status).toBe(200);
  });

  it('answers hostile and wrong bodies with 4xx, never a crash', async () => {
    const put = (d: number | string, body: unknown) => call('PUT', `/devices/${d}/dependency`, body);
    expect((await put(id.a1, { pinnedParentId: id.a1, isRoot: false })).status).toBe(400);
    expect((await put(id.a1, { pinnedParentId: id.core, isRoot: true })).status).toBe(400);
    expect((await put(id.a1, { pinnedParentId: 987654, isRoot: false })).status).toBe(400);
    expect((await put(id.a1, { pinnedParentId: -1, isRoot: false })).status).toBe(400);
    expect((await put(id.a1, { pinnedParentId: '1', isRoot: false })).status).toBe(400);
    expect((await put(id.a1, { pinnedParentId: 1e300, isRoot: false })).status).toBe(400);
    expect((await put(id.a1, { pinnedParentId: null })).status).toBe(400);
    expect((await put(id.a1, { pinnedParentId: null, isRoot: false, extra: 1 })).status).toBe(400);
    expect((await put(id.a1, JSON.parse('{"pinnedParentId": null, "isRoot": false, "__proto__": {"polluted": true}}'))).status).toBe(400);
    expect((await put(id.a1, [1, 2])).status).toBe(400);
    expect((await put(999_999, { pinnedParentId: null, isRoot: false })).status).toBe(404);
    expect((await put('abc', { pinnedParentId: null, isRoot: false })).status).toBe(400);
    expect((await call('GET', '/devices/0/dependency')).status).toBe(400);
    expect((await call('PUT', `/dependencies/groups/${'x'.repeat(201)}`, { parentId: null })).status).toBe(400);
    expect((await call('PUT', '/dependencies/groups/floor-1', { parentId: 'core' })).status).toBe(400);
    expect((await call('PUT', '/dependencies/groups/floor-1', { parentId: 424242 })).status).toBe(400);
    // Names that are keys of a plain object stay plain names.
    expect((await call('PUT', '/dependencies/groups/__proto__', { parentId: id.core })).status).toBe(200);
    expect((await call('PUT', '/dependencies/groups/constructor', { parentId: id.core })).status).toBe(200);
    const groups = (await call('GET', '/dependencies/groups')).body.items;
    expect(groups).toEqual(expect.arrayContaining([{ group: '__proto__', parentId: id.core }, { group: 'constructor', parentId: id.core }]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await call('PUT', '/dependencies/groups/__proto__', { parentId: null });
    await call('PUT', '/dependencies/groups/constructor', { parentId: null });
    expect((await call('GET', '/alarms?root=maybe')).status).toBe(400);
    expect((await call('GET', '/alarms/999999/impact')).status).toBe(404);
    expect((await call('GET', '/alarms?root=true')).status).toBe(200);
    // The server still answers.
    expect((await dep(id.a1)).deviceId).toBe(id.a1);
  });

  it('audits pin and root changes (who, what, before and after)', async () => {
    await call('PUT', `/devices/${id.a3}/dependency`, { pinnedParentId: id.core, isRoot: false });
    await call('PUT', '/dependencies/groups/floor-2', { parentId: id.dist });
    const dev = (await call('GET', '/audit?object=device-dependency&limit=50')).body.items;
    const entry = dev.find((e: { objectId: string }) => e.objectId === String(id.a3));
    expect(entry).toMatchObject({ username: 'admin', action: 'device-dependency.update', outcome: 'ok' });
    expect(JSON.stringify(entry)).toContain(`"pinnedParentId":${id.core}`);
    const grp = (await call('GET', '/audit?object=group-dependency&limit=50')).body.items;
    expect(grp.find((e: { objectId: string }) => e.objectId === 'floor-2')).toMatchObject({ action: 'group-dependency.update', outcome: 'ok' });
    expect((await call('PUT', `/devices/${id.a3}/dependency`, { pinnedParentId: null, isRoot: false })).status).toBe(200);
  });
});
