import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmDto, RuleDto } from '../../../server/contracts/alarms.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { publisher, until } from './engine-helpers.js';

let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let publish: ReturnType<typeof publisher>;
beforeAll(async () => {
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  publish = publisher(srv);
}, 120_000);
afterAll(() => srv?.stop());

const eventsMatching = async (q: string) => (await call('GET', `/events?q=${encodeURIComponent(q)}`)).body.items as { message: string; severity: string; params: Record<string, unknown> }[];

describe('rules API', { timeout: 120_000 }, () => {
  it('ships the default pack enabled, in order, and refuses to delete it', async () => {
    const items: RuleDto[] = (await call('GET', '/rules')).body.items;
    const keys = items.map((r) => r.builtinKey);
    expect(keys).toEqual(expect.arrayContaining(['device-down', 'link-down-trap', 'link-up-trap', 'cisco-link-down', 'syslog-error', 'high-cpu', 'auth-failure-trap']));
    expect(items.every((r) => r.enabled)).toBe(true);
    expect(items.map((r) => r.position)).toEqual(items.map((_, i) => i + 1));
    expect((await call('DELETE', `/rules/${items[0]!.id}`)).status).toBe(409);
  });

  it('rejects bad bodies and regexes the linear-time engine cannot run with a clear 400', async () => {
    const bad = await call('POST', '/rules', { name: 'evil', body: { kind: 'event', match: { message: '(?<!x)a$' }, actions: { disposition: 'drop' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/match\.message: lookahead\/lookbehind/);
    expect((await call('POST', '/rules', { name: 'x', body: { kind: 'event', match: {}, actions: { disposition: 'alarm' } } })).status).toBe(400);
    expect((await call('POST', '/rules', { name: 'x', body: { kind: 'event', match: { trapOid: 'NOPE-MIB::x' }, actions: {} } })).body.error.message).toMatch(/unknown MIB name/);
    expect((await call('POST', '/rules', { name: 'x', body: { kind: 'event', match: {}, actions: { notify: { channelIds: [424242], on: ['raise'] } } } })).status).toBe(400);
    expect((await call('POST', '/rules', { name: 'x', body: { kind: 'nope' } })).status).toBe(400);
  });

  it('applies a new rule at once (hot reload), above the default pack: drops are counted, titles and severities set', async () => {
    const drop = await call('POST', '/rules', { name: 'drop chatter', body: { kind: 'event', match: { message: 'chatter' }, actions: { disposition: 'drop' } } });
    expect(drop.status).toBe(201);
    const first = (await call('GET', '/rules')).body.items[0];
    expect(first.id).toBe(drop.body.id);
    const titled = await call('POST', '/rules', {
      name: 'fan',
      position: 1,
      body: { kind: 'event', match: { message: 'fan (?<fan>\\d+) failed' }, actions: { severity: 'critical', title: '{device.name}: fan {fan} failed', disposition: 'alarm', reductionKey: 'fan:{deviceOrSource}:{fan}' } },
    });
    expect(titled.status).toBe(201);
    publish({ message: 'chatter chatter' });
    publish({ message: 'fan 2 failed', sourceAddress: '127.0.0.9' });
    const [e] = await until(async () => {
      const r = await eventsMatching('fan 2');
      return r.length ? r : undefined;
    });
    expect(e).toMatchObject({ severity: 'critical', params: { title: '127.0.0.9: fan 2 failed' } });
    const alarms: AlarmDto[] = (await call('GET', '/alarms')).body.items;
    expect(alarms.find((a) => a.reductionKey === 'fan:127.0.0.9:2')).toMatchObject({ severity: 'critical', title: '127.0.0.9: fan 2 failed' });
    expect(await eventsMatching('chatter')).toHaveLength(0);
    expect((await call('GET', `/rules/${drop.body.id}`)).body.hits).toBe(1);
    const status = (await call('GET', '/status')).body;
    expect(status.counters['engine.dropped']).toBeGreaterThanOrEqual(1);

    // Disable: the next chatter is stored.
    expect((await call('PATCH', `/rules/${drop.body.id}`, { enabled: false })).body.enabled).toBe(false);
    publish({ message: 'chatter again' });
    await until(async () => (await eventsMatching('chatter again')).length === 1);
    expect((await call('DELETE', `/rules/${drop.body.id}`)).status).toBe(204);
  });

  it('reorders rules: the given ids first, the rest after in their order', async () => {
    const before: RuleDto[] = (await call('GET', '/rules')).body.items;
    const last = before.at(-1)!;
    const r = await call('POST', '/rules/reorder', { ids: [last.id] });
    expect(r.body.items[0].id).toBe(last.id);
    expect(r.body.items.slice(1).map((x: RuleDto) => x.id)).toEqual(before.slice(0, -1).map((x) => x.id));
    expect((await call('POST', '/rules/reorder', { ids: [999_999] })).status).toBe(400);
  });

  it('dry-runs a rule body against the stored events without changing anything', async () => {
    for (let i = 0; i < 3; i++) publish({ message: `disk ${i} full`, sourceAddress: '127.0.0.8' });
    await until(async () => (await eventsMatching('full')).length === 3);
    const r = await call('POST', '/rules/test', {
      limit: 100,
      body: { kind: 'event', match: { message: 'disk (?<disk>\\d) full' }, actions: { disposition: 'alarm', severity: 'major', title: 'disk {disk}', reductionKey: 'disk:{deviceOrSource}:{disk}' } },
    });
    expect(r.status).toBe(200);
    expect(r.body.matched).toBe(3);
    expect(r.body.results[0]).toMatchObject({ disposition: 'alarm', severity: 'major', title: 'disk 2', reductionKey: 'disk:127.0.0.8:2' });
    expect(((await call('GET', '/alarms')).body.items as AlarmDto[]).some((a) => a.reductionKey.startsWith('disk:'))).toBe(false);
    // Once refused as catastrophic; on the linear-time engine it simply runs.
    expect((await call('POST', '/rules/test', { body: { kind: 'event', match: { message: '(x|xx)*y' }, actions: {} } })).status).toBe(200);
    expect((await call('POST', '/rules/test', { body: { kind: 'event', match: { message: '(a)\\1' }, actions: {} } })).status).toBe(400);
  });

  it('accepts MIB names in rules once the OID dictionary has loaded', async () => {
    await srv.nms.mibs.idle();
    const r = await call('POST', '/rules', {
      name: 'admin-down links are quiet',
      body: { kind: 'event', match: { trapOid: 'IF-MIB::linkDown', varbinds: [{ oid: 'IF-MIB::ifAdminStatus', op: 'eq', value: 2 }] }, actions: { disposition: 'drop' } },
    });
    expect(r.status).toBe(201);
    const vb = (ifIndex: number, admin: number) => [
      { oid: `1.3.6.1.2.1.2.2.1.1.${ifIndex}`, type: 'Integer', value: ifIndex },
      { oid: `1.3.6.1.2.1.2.2.1.7.${ifIndex}`, type: 'Integer', value: admin },
    ];
    publish({ source: 'trap', sourceAddress: '127.0.0.91', type: '1.3.6.1.6.3.1.1.5.3', message: 'shut by admin', params: { varbinds: vb(7, 2) } });
    publish({ source: 'trap', sourceAddress: '127.0.0.91', type: '1.3.6.1.6.3.1.1.5.3', message: 'really down', params: { varbinds: vb(8, 1) } });
    await until(async () => (await eventsMatching('really down')).length === 1);
    expect(await eventsMatching('shut by admin')).toHaveLength(0);
    expect((await call('POST', '/rules', { name: 'x', body: { kind: 'event', match: { trapOid: 'NO-SUCH-MIB::thing' }, actions: {} } })).status).toBe(400);
  });

  it('turns polled metric samples into threshold alarms that clear', async () => {
    const dev = (await call('POST', '/devices', { name: 'cpu-box', address: '127.0.0.71' })).body;
    const ts = Math.floor(Date.now() / 1000);
    const sample = (value: number, i: number) => srv.nms.bus.publish('metrics.sampled', [{ deviceId: dev.id, metric: 'cpuUtilisation', instance: '', value, ts: ts + i * 60 }]);
    [95, 96, 97].forEach(sample);
    const key = (a: AlarmDto) => a.deviceId === dev.id && a.reductionKey.startsWith('threshold:');
    const raised = await until(async () => ((await call('GET', '/alarms')).body.items as AlarmDto[]).find(key));
    expect(raised).toMatchObject({ severity: 'major', title: 'cpu-box: CPU 97 % (over 90 %)' });
    sample(85, 3);
    sample(50, 4);
    await until(async () => ((await call('GET', '/alarms?state=cleared')).body.items as AlarmDto[]).find(key));
  });
});
