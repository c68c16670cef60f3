import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SampleRepository } from '../../../server/store/sample.repository.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

let srv: TestServer;
let call: ReturnType<typeof apiClient>;
beforeAll(async () => {
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
});
afterAll(() => srv?.stop());

describe('topology API', () => {
  it('returns managed devices as nodes, adds and removes manual links, and keeps saved positions', async () => {
    const a = (await call('POST', '/devices', { name: 'core', address: '127.0.5.1' })).body;
    const b = (await call('POST', '/devices', { name: 'edge', address: '127.0.5.2' })).body;
    let topo = (await call('GET', '/topology')).body;
    expect(topo.nodes.map((n: { id: string }) => n.id).sort()).toEqual([`d:${a.id}`, `d:${b.id}`].sort());
    expect(topo.links).toEqual([]);
    const link = await call('POST', '/topology/links', { aDeviceId: a.id, aPort: 'Gi0/1', bDeviceId: b.id });
    expect(link.status).toBe(201);
    expect((await call('POST', '/topology/links', { aDeviceId: a.id, bDeviceId: a.id })).status).toBe(400);
    expect((await call('POST', '/topology/links', { aDeviceId: a.id, bDeviceId: 999 })).status).toBe(404);
    expect((await call('PUT', '/topology/positions', { positions: [{ nodeId: `d:${a.id}`, x: 100, y: -50 }] })).status).toBe(204);
    topo = (await call('GET', '/topology')).body;
    expect(topo.links).toHaveLength(1);
    expect(topo.links[0]).toMatchObject({ kind: 'manual', sourcePort: 'Gi0/1', manualId: link.body.id });
    expect(topo.nodes.find((n: { id: string }) => n.id === `d:${a.id}`).position).toEqual({ x: 100, y: -50 });
    expect((await call('DELETE', `/topology/links/${link.body.id}`)).status).toBe(204);
    expect((await call('GET', '/topology')).body.links).toEqual([]);
  });
});

describe('metrics API', () => {
  it('serves a stored series at raw resolution with ms timestamps, bucketed to the step', async () => {
    const d = (await call('POST', '/devices', { name: 'metered', address: '127.0.5.3' })).body;
    const samples = new SampleRepository(srv.nms.db);
    const now = Math.floor(Date.now() / 1000);
    const t0 = now - (now % 60) - 600;
    samples.write([0, 60, 120].map((o, i) => ({ deviceId: d.id, metric: 'cpuUtilisation', instance: '0', ts: t0 + o, value: i * 10, unit: '%' })));
    const r = await call('GET', `/metrics?device=${d.id}&metric=cpuUtilisation&from=${(t0 - 60) * 1000}`);
    expect(r.status).toBe(200);
    expect(r.body.resolution).toBe('raw');
    expect(r.body.series).toEqual([{ instance: '0', unit: '%', points: [0, 60, 120].map((o, i) => ({ ts: (t0 + o) * 1000, value: i * 10 })) }]);
    const bucketed = await call('GET', `/metrics?device=${d.id}&metric=cpuUtilisation&from=${(t0 - 60) * 1000}&step=120`);
    expect(bucketed.body.series[0].points.length).toBeLessThanOrEqual(2);
    expect((await call('GET', `/devices/${d.id}/metrics`)).body.items).toEqual([{ id: expect.any(Number), name: 'cpuUtilisation', instance: '0', unit: '%' }]);
    expect((await call('GET', '/metrics?device=99999&metric=x')).status).toBe(404);
    expect((await call('GET', '/metrics?metric=x')).status).toBe(400);
  });
});

describe('dashboard API', () => {
  it('summarises device states, events per minute and intake counters', async () => {
    srv.nms.bus.publish('event.received', {
      receivedAt: Date.now(), reportedAt: null, source: 'system', sourceAddress: null, deviceId: null, severity: 'info', type: 'test.dashboard', message: 'hello', params: {},
    });
    let r = await call('GET', '/dashboard');
    // The row is visible once the event store thread commits it; the counter follows when the commit is reported.
    const seen = () => r.body.topEventTypes.some((t: { type: string }) => t.type === 'test.dashboard') && r.body.intake.events.stored >= 1;
    for (let t = Date.now(); Date.now() - t < 30_000 && !seen(); ) {
      await new Promise((res) => setTimeout(res, 50));
      r = await call('GET', '/dashboard');
    }
    expect(r.status).toBe(200);
    expect(r.body.devices.unknown).toBeGreaterThanOrEqual(1);
    expect(r.body.eventsPerMinute.reduce((s: number, m: { count: number }) => s + m.count, 0)).toBeGreaterThanOrEqual(1);
    expect(r.body.topEventTypes.map((t: { type: string }) => t.type)).toContain('test.dashboard');
    expect(r.body.intake.events.stored).toBeGreaterThanOrEqual(1);
  });
});
