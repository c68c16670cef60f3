import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmDto } from '../../../server/contracts/alarms.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { linkTrap, publisher, until } from './engine-helpers.js';

let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let viewer: ReturnType<typeof apiClient>;
let publish: ReturnType<typeof publisher>;
let cookie: string;
beforeAll(async () => {
  srv = await startTestServer();
  const l = await login(srv.url, 'admin', srv.adminPassword);
  call = apiClient(srv.url, l.token);
  cookie = l.cookie;
  await call('POST', '/users', { username: 'watcher', password: 'watcher-password-1', role: 'viewer' });
  viewer = apiClient(srv.url, (await login(srv.url, 'watcher', 'watcher-password-1')).token);
  publish = publisher(srv);
}, 120_000);
afterAll(() => srv?.stop());

const openAlarms = async (): Promise<AlarmDto[]> => (await call('GET', '/alarms')).body.items;
const byKey = async (key: string, state = 'all'): Promise<AlarmDto | undefined> =>
  ((await call('GET', `/alarms?state=${state}`)).body.items as AlarmDto[]).find((a) => a.reductionKey === key);

describe('alarms from traps', { timeout: 120_000 }, () => {
  it('raises one linkDown alarm for ifIndex 3, counts repeats to 6, keeps ifIndex 4 apart, and clears on linkUp', async () => {
    const dev = (await call('POST', '/devices', { name: 'edge-sw', address: '127.0.0.31' })).body;
    const key3 = `linkDown:${dev.id}:3`;
    publish(linkTrap('down', 3, '127.0.0.31'));
    const first = await until(() => byKey(key3));
    expect(first).toMatchObject({ count: 1, state: 'active', severity: 'major', title: 'edge-sw: interface 3 down', deviceId: dev.id });

    for (let i = 0; i < 5; i++) publish(linkTrap('down', 3, '127.0.0.31'));
    await until(async () => (await byKey(key3))?.count === 6);
    publish(linkTrap('down', 4, '127.0.0.31'));
    await until(() => byKey(`linkDown:${dev.id}:4`));
    expect((await openAlarms()).filter((a) => a.deviceId === dev.id)).toHaveLength(2);

    publish(linkTrap('up', 3, '127.0.0.31'));
    const cleared = await until(async () => {
      const a = await byKey(key3, 'cleared');
      return a?.state === 'cleared' ? a : undefined;
    });
    expect(cleared.count).toBe(6);
    expect((await byKey(`linkDown:${dev.id}:4`, 'open'))?.state).toBe('active');

    const detail = (await viewer('GET', `/alarms/${cleared.id}`)).body;
    expect(detail.events).toHaveLength(7);
    expect(detail.events[0].type).toBe('1.3.6.1.6.3.1.1.5.4');
  });

  it('does the same for Cisco %LINK-3-UPDOWN syslog lines through the regex rule', async () => {
    const line = (state: string) => ({ sourceAddress: '127.0.0.41', severity: 'minor' as const, type: 'LINK', params: { severityNumber: 3 }, message: `%LINK-3-UPDOWN: Interface GigabitEthernet0/3, changed state to ${state}` });
    const key = 'linkDown:127.0.0.41:GigabitEthernet0/3';
    for (let i = 0; i < 6; i++) publish(line('down'));
    await until(async () => (await byKey(key))?.count === 6);
    publish({ ...line('down'), message: line('down').message.replace('0/3', '0/4') });
    await until(() => byKey('linkDown:127.0.0.41:GigabitEthernet0/4'));
    publish(line('up'));
    await until(async () => (await byKey(key))?.state === 'cleared');
    expect((await byKey('linkDown:127.0.0.41:GigabitEthernet0/4'))?.state).toBe('active');
  });

  it('lets operators acknowledge, note, clear and bulk-act, viewers only read, and pushes changes live', async () => {
    publish({ source: 'icmp', type: 'icmp.down', sourceAddress: '127.0.0.51', message: 'no echo reply' });
    const a = await until(() => byKey('nodeDown:127.0.0.51'));
    expect((await viewer('POST', `/alarms/${a.id}/ack`)).status).toBe(403);

    const s = connect(srv.url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve());
        s.once('connect_error', reject);
      });
      const pushed = new Promise<AlarmDto>((resolve) => s.on('alarm.changed', (x: AlarmDto) => x.id === a.id && x.state === 'acknowledged' && resolve(x)));
      const ack = await call('POST', `/alarms/${a.id}/ack`);
      expect(ack.body).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'admin' });
      expect((await pushed).acknowledgedBy).toBe('admin');
    } finally {
      s.close();
    }
    expect((await call('POST', `/alarms/${a.id}/ack`)).status).toBe(409);
    expect((await call('POST', `/alarms/${a.id}/unack`)).body.state).toBe('active');
    expect((await call('POST', `/alarms/${a.id}/notes`, { text: 'router rebooting' })).body.notes[0]).toMatchObject({ user: 'admin', text: 'router rebooting' });
    expect((await call('POST', `/alarms/${a.id}/notes`, { text: '' })).status).toBe(400);
    const bulk = await call('POST', '/alarms/bulk', { ids: [a.id, 999_999], action: 'clear' });
    expect(bulk.body.updated.map((x: AlarmDto) => x.id)).toEqual([a.id]);
    expect(bulk.body.skipped).toEqual([{ id: 999_999, reason: 'not found' }]);
    expect((await call('GET', '/alarms/999999')).status).toBe(404);

    // Recurrence reopens the cleared alarm.
    publish({ source: 'icmp', type: 'icmp.down', sourceAddress: '127.0.0.51', message: 'no echo reply' });
    await until(async () => (await byKey('nodeDown:127.0.0.51'))?.state === 'active');
    expect((await byKey('nodeDown:127.0.0.51'))!.count).toBe(2);
  });

  it('sorts open alarms by severity, then newest', async () => {
    const items = await openAlarms();
    const order = ['critical', 'major', 'minor', 'warning', 'info', 'debug'];
    const sev = items.map((a) => order.indexOf(a.severity));
    expect(sev).toEqual([...sev].sort((x, y) => x - y));
  });

  it('marks alarms of a device in maintenance', async () => {
    const dev = (await call('POST', '/devices', { name: 'maint-sw', address: '127.0.0.61' })).body;
    const w = await call('POST', '/maintenance', { name: 'swap PSU', deviceId: dev.id, kind: 'once', startsAt: Date.now() - 60_000, endsAt: Date.now() + 3_600_000 });
    expect(w.status).toBe(201);
    expect(w.body.activeNow).toBe(true);
    expect((await call('POST', '/maintenance', { name: 'bad', group: 'x', kind: 'weekly', startTime: '25:00', durationMin: 10, days: [1] })).status).toBe(400);
    expect((await call('POST', '/maintenance', { name: 'bad', group: 'x', kind: 'daily', startTime: '01:00', durationMin: 10, timezone: 'Mars/Olympus' })).status).toBe(400);
    publish({ source: 'icmp', type: 'icmp.down', sourceAddress: '127.0.0.61' });
    const a = await until(() => byKey(`nodeDown:${dev.id}`));
    expect(a.inMaintenance).toBe(true);
    expect((await viewer('GET', '/maintenance')).body.items).toHaveLength(1);
    expect((await call('DELETE', `/maintenance/${w.body.id}`)).status).toBe(204);
  });
});
