import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmDto } from '../../../server/contracts/alarms.js';
import type { CollectorDto, CollectorHeartbeat } from '../../../server/contracts/collectors.js';
import type { DeviceDto } from '../../../server/contracts/dto.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { until } from '../engine/engine-helpers.js';

/**
 * The centre's collector registry on the real server: heartbeats go in through the same
 * HeartbeatSink the NATS transport calls (`nms.heartbeats`), the monitor runs with the
 * shortest allowed timeout (5 s), alarms come from the real event engine and default rules.
 */
let srv: TestServer;
let admin: ReturnType<typeof apiClient>;
let viewer: ReturnType<typeof apiClient>;

beforeAll(async () => {
  srv = await startTestServer({ env: { NMS_COLLECTOR_TIMEOUT_SECONDS: '5' } });
  admin = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  expect((await admin('POST', '/users', { username: 'col-viewer', password: 'a-long-viewer-password', role: 'viewer' })).status).toBe(201);
  viewer = apiClient(srv.url, (await login(srv.url, 'col-viewer', 'a-long-viewer-password')).token);
}, 60_000);
afterAll(() => srv?.stop());

const heartbeat = (over: Partial<CollectorHeartbeat> = {}): CollectorHeartbeat => ({
  id: '0b9c3f3e-6f0e-4a57-9d1c-5a1f2b3c4d5e',
  site: 'seoul-dc1',
  version: '1.2.3',
  hostname: 'col-seoul-1',
  startedAt: Date.now() - 60_000,
  sentAt: Date.now(),
  counters: { 'syslog.received': 12, 'trap.received': 3 },
  spoolRecords: 2,
  spoolBytes: 4096,
  ...over,
});
const collectors = async (): Promise<CollectorDto[]> => {
  const r = await viewer('GET', '/collectors');
  expect(r.status).toBe(200);
  return r.body;
};
const counter = (name: string) => srv.nms.metrics.snapshot()[`collectors.${name}`] ?? 0;
const alarm = async (collectorId: string): Promise<AlarmDto | undefined> =>
  ((await admin('GET', '/alarms?state=all&limit=1000')).body.items as AlarmDto[]).find((a) => a.reductionKey === `collectorDown:${collectorId}`);

describe('collector registry', () => {
  it('stores a heartbeat and shows the collector to viewers; the next one updates the same row', async () => {
    const id = 'a1-upsert';
    srv.nms.heartbeats.heartbeat(heartbeat({ id, sentAt: Date.now() - 250 }), '192.0.2.7');
    const [c] = (await collectors()).filter((x) => x.id === id);
    expect(c).toMatchObject({ id, site: 'seoul-dc1', version: '1.2.3', hostname: 'col-seoul-1', address: '192.0.2.7', state: 'up', spoolRecords: 2, spoolBytes: 4096 });
    expect(c!.counters).toEqual({ 'syslog.received': 12, 'trap.received': 3 });
    expect(c!.lagMs).toBeGreaterThanOrEqual(250);
    srv.nms.heartbeats.heartbeat(heartbeat({ id, version: '1.2.4', counters: { 'syslog.received': 20 }, spoolRecords: 0 }), '192.0.2.8');
    const again = (await collectors()).filter((x) => x.id === id);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ version: '1.2.4', address: '192.0.2.8', spoolRecords: 0, firstSeen: c!.firstSeen, counters: { 'syslog.received': 20 } });
    expect(again[0]!.lastSeen).toBeGreaterThanOrEqual(c!.lastSeen);
  });

  it('refuses hostile or malformed heartbeats: counted, nothing stored, nothing polluted', async () => {
    const before = await collectors();
    const rejected = counter('heartbeats_rejected');
    const base = JSON.stringify(heartbeat({ id: 'hostile' }));
    const bigCounters: Record<string, number> = {};
    for (let i = 0; i < 501; i++) bigCounters[`c${i}`] = i;
    const bad: unknown[] = [
      // __proto__ as a counter name, with an object and with a number
      JSON.parse(base.replace('"counters":{', '"counters":{"__proto__":{"polluted":1},')),
      JSON.parse(base.replace('"counters":{', '"counters":{"__proto__":5,')),
      JSON.parse(base.replace('"counters":{', '"counters":{"constructor":1,')),
      // __proto__ at the top level
      JSON.parse(base.replace('{"id"', '{"__proto__":{"polluted":1},"id"')),
      heartbeat({ id: 'hostile', counters: bigCounters }),
      heartbeat({ id: 'hostile', counters: { ['x'.repeat(129)]: 1 } }),
      heartbeat({ id: 'hostile', counters: { ok: Number.NaN } }),
      { ...heartbeat({ id: 'hostile' }), counters: { ok: '1' } },
      { ...heartbeat({ id: 'hostile' }), counters: [1, 2] },
      { ...heartbeat({ id: 'hostile' }), spoolRecords: '5' },
      { ...heartbeat({ id: 'hostile' }), extra: true },
      heartbeat({ id: 'hostile', site: 'seoul.dc1' }),
      heartbeat({ id: 'hostile', hostname: 'h'.repeat(256) }),
      heartbeat({ id: '' }),
      heartbeat({ id: 'hostile', startedAt: -1 }),
      'not a heartbeat',
      null,
      [heartbeat({ id: 'hostile' })],
    ];
    for (const h of bad) expect(() => srv.nms.heartbeats.heartbeat(h, '192.0.2.66')).not.toThrow();
    expect(counter('heartbeats_rejected') - rejected).toBe(bad.length);
    // (state may turn down meanwhile: the monitor runs; what a heartbeat writes must not have changed)
    const written = (list: CollectorDto[]) => list.map(({ state: _s, ...c }) => c);
    expect(written(await collectors())).toEqual(written(before));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('marks a silent collector down, raises "not heard from" through the engine, and clears it when heard again', async () => {
    const id = 'a2-monitor';
    srv.nms.heartbeats.heartbeat(heartbeat({ id, site: 'busan', hostname: 'col-busan' }), null);
    expect((await collectors()).find((c) => c.id === id)?.state).toBe('up');
    const down = await until(async () => (await collectors()).find((c) => c.id === id && c.state === 'down'), 30_000);
    expect(down.site).toBe('busan');
    const raised = await until(() => alarm(id), 30_000);
    expect(raised).toMatchObject({ state: 'active', severity: 'major', title: 'collector busan (col-busan) not heard from for 5 s', source: 'system' });
    srv.nms.heartbeats.heartbeat(heartbeat({ id, site: 'busan', hostname: 'col-busan' }), null);
    expect((await collectors()).find((c) => c.id === id)?.state).toBe('up');
    await until(async () => (await alarm(id))?.state === 'cleared', 30_000);
  }, 60_000);

  it('lets an admin forget a collector (audited), not a viewer; forgetting clears its alarm', async () => {
    const id = 'a3-forget';
    srv.nms.heartbeats.heartbeat(heartbeat({ id, site: 'daegu', hostname: 'col-daegu' }), null);
    await until(() => alarm(id), 30_000);
    expect((await viewer('DELETE', `/collectors/${id}`)).status).toBe(403);
    expect((await admin('DELETE', `/collectors/${id}`)).status).toBe(204);
    expect((await collectors()).some((c) => c.id === id)).toBe(false);
    expect((await admin('DELETE', `/collectors/${id}`)).status).toBe(404);
    expect((await admin('DELETE', '/collectors/no%20such')).status).toBe(404);
    await until(async () => (await alarm(id))?.state === 'cleared', 30_000);
    const audit = (await admin('GET', `/audit?action=collector.delete&objectId=${id}`)).body.items;
    expect(audit[0]).toMatchObject({ username: 'admin', outcome: 'ok', objectType: 'collector', objectId: id, objectName: 'col-daegu', before: { site: 'daegu', hostname: 'col-daegu' } });
    const denied = (await admin('GET', `/audit?action=collector.delete&outcome=denied`)).body.items;
    expect(denied[0]).toMatchObject({ username: 'col-viewer', objectId: id });
  }, 60_000);
});

describe('devices and sites', () => {
  it('defaults a device to the centre\'s site, takes a valid site on create and update, refuses a bad one', async () => {
    const a = await admin('POST', '/devices', { name: 'site-default', address: '127.0.0.61' });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ site: 'central', collectorDown: false });
    const b = await admin('POST', '/devices', { name: 'site-seoul', address: '127.0.0.62', site: 'seoul-dc1' });
    expect(b.body.site).toBe('seoul-dc1');
    for (const site of ['', 'a b', 'x'.repeat(65), 'seoul.dc1', 7]) {
      const r = await admin('POST', '/devices', { name: `bad-site-${String(site).length}`, address: '127.0.0.63', site });
      expect(r.status, JSON.stringify(site)).toBe(400);
    }
    const moved = await admin('PATCH', `/devices/${a.body.id}`, { site: 'busan_2' });
    expect(moved.status).toBe(200);
    expect(moved.body.site).toBe('busan_2');
    expect((await admin('PATCH', `/devices/${a.body.id}`, { site: 'no/slash' })).status).toBe(400);
    expect((await admin('GET', `/devices/${a.body.id}`)).body.site).toBe('busan_2');
  });

  it('offers the centre\'s site and the registered collectors\' sites', async () => {
    srv.nms.heartbeats.heartbeat(heartbeat({ id: 'a4-sites', site: 'gwangju' }), null);
    const r = await viewer('GET', '/sites');
    expect(r.status).toBe(200);
    expect(r.body.own).toBe('central');
    expect(r.body.sites).toEqual(expect.arrayContaining(['central', 'gwangju']));
  });

  it('shows a device as collector-down when all its site\'s collectors are down, and not once one is heard again', async () => {
    const dev: DeviceDto = (await admin('POST', '/devices', { name: 'site-incheon', address: '127.0.0.64', site: 'incheon' })).body;
    expect(dev.collectorDown).toBe(false);
    srv.nms.heartbeats.heartbeat(heartbeat({ id: 'a5-incheon', site: 'incheon' }), null);
    const listed = async () => ((await viewer('GET', '/devices')).body.items as DeviceDto[]).find((d) => d.id === dev.id)!;
    expect((await listed()).collectorDown).toBe(false);
    await until(async () => (await listed()).collectorDown || undefined, 30_000);
    expect((await viewer('GET', `/devices/${dev.id}`)).body.collectorDown).toBe(true);
    srv.nms.heartbeats.heartbeat(heartbeat({ id: 'a5-incheon', site: 'incheon' }), null);
    expect((await listed()).collectorDown).toBe(false);
  }, 60_000);

  it('does not poll a device of another site here: poll-now answers 409 and names the site', async () => {
    const dev = (await admin('POST', '/devices', { name: 'site-remote-poll', address: '127.0.0.65', site: 'seoul-dc1' })).body;
    const r = await admin('POST', `/devices/${dev.id}/poll`);
    expect(r.status).toBe(409);
    expect(r.body.error.message).toContain('seoul-dc1');
    expect((await admin('GET', `/devices/${dev.id}/status`)).body.status).toBeNull();
  });
});
