import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmDto } from '../../../server/contracts/alarms.js';
import type { ListenerStatus } from '../../../server/contracts/dto.js';
import { createSyslogListener, type SyslogListener } from '../../../server/collectors/syslog/syslog.listener.js';
import { createTrapReceiver, type TrapReceiver } from '../../../server/collectors/trap/trap.receiver.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { memoryIntake, quietLogger, run } from '../collectors/collector-helpers.js';
import { until } from './engine-helpers.js';

/**
 * Real peers end to end: net-snmp's `snmptrap` and util-linux `logger` send to the
 * project's own trap receiver and syslog listener, whose events go onto the running
 * server's bus (as the composition root will wire them) and through the rule engine.
 */
let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let traps: TrapReceiver;
let syslog: SyslogListener;
let trapTarget: string;
let syslogPort: number;
let persist: string;
let deviceId: number;

const udpPort = (statuses: ListenerStatus[]): number => {
  const s = statuses.find((x) => x.protocol === 'udp' && x.boundPort);
  if (!s?.boundPort) throw new Error(`no UDP listener: ${JSON.stringify(statuses)}`);
  return s.boundPort;
};

beforeAll(async () => {
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  deviceId = (await call('POST', '/devices', { name: 'lab-switch', address: '127.0.0.1' })).body.id;
  const publish = (batch: unknown[]) => {
    for (const e of batch as never[]) srv.nms.bus.publish('event.received', e);
  };
  persist = mkdtempSync(join(tmpdir(), 'nw-engine-peers-'));
  traps = createTrapReceiver({ port: 0, host: '127.0.0.1', host6: null, communities: ['public'], logger: quietLogger() }, memoryIntake(publish));
  trapTarget = `127.0.0.1:${udpPort(await traps.start())}`;
  syslog = createSyslogListener({ udpPort: 0, tcpPort: null, host: '127.0.0.1', host6: null, logger: quietLogger() }, publish);
  syslogPort = udpPort(await syslog.start());
}, 120_000);
afterAll(async () => {
  await traps?.stop();
  await syslog?.stop();
  await srv?.stop();
  if (persist) rmSync(persist, { recursive: true, force: true });
});

const snmptrap = (trapOid: string, ifIndex: number) =>
  run('snmptrap', ['-v', '2c', '-c', 'public', trapTarget, '', trapOid, `1.3.6.1.2.1.2.2.1.1.${ifIndex}`, 'i', String(ifIndex), `1.3.6.1.2.1.2.2.1.8.${ifIndex}`, 'i', trapOid.endsWith('.3') ? '2' : '1'], 20_000, {
    SNMP_PERSISTENT_DIR: persist,
    SNMPCONFPATH: persist,
  });
const LINK_DOWN = '1.3.6.1.6.3.1.1.5.3';
const LINK_UP = '1.3.6.1.6.3.1.1.5.4';
const alarm = async (key: string): Promise<AlarmDto | undefined> => ((await call('GET', '/alarms?state=all&limit=1000')).body.items as AlarmDto[]).find((a) => a.reductionKey === key);

describe('alarms from real snmptrap and logger peers', { timeout: 120_000 }, () => {
  it('snmptrap linkDown for ifIndex 3 raises one alarm, five more count to 6, ifIndex 4 is another, linkUp 3 clears', async () => {
    expect((await snmptrap(LINK_DOWN, 3)).code).toBe(0);
    const first = await until(() => alarm(`linkDown:${deviceId}:3`));
    expect(first).toMatchObject({ count: 1, state: 'active', severity: 'major', title: 'lab-switch: interface 3 down' });
    for (let i = 0; i < 5; i++) expect((await snmptrap(LINK_DOWN, 3)).code).toBe(0);
    await until(async () => (await alarm(`linkDown:${deviceId}:3`))?.count === 6);
    expect((await snmptrap(LINK_DOWN, 4)).code).toBe(0);
    await until(() => alarm(`linkDown:${deviceId}:4`));
    expect((await snmptrap(LINK_UP, 3)).code).toBe(0);
    await until(async () => (await alarm(`linkDown:${deviceId}:3`))?.state === 'cleared');
    expect((await alarm(`linkDown:${deviceId}:3`))!.count).toBe(6);
    expect((await alarm(`linkDown:${deviceId}:4`))!.state).toBe('active');
  });

  it('logger %LINK-3-UPDOWN lines raise, count and clear through the regex rule', async () => {
    const send = (ifName: string, state: string) =>
      run('logger', ['-n', '127.0.0.1', '-P', String(syslogPort), '--udp', '--rfc3164', '-p', 'local7.err', '-t', 'cisco', `%LINK-3-UPDOWN: Interface ${ifName}, changed state to ${state}`]);
    for (let i = 0; i < 6; i++) expect((await send('GigabitEthernet0/3', 'down')).code).toBe(0);
    await until(async () => (await alarm(`linkDown:${deviceId}:GigabitEthernet0/3`))?.count === 6);
    expect((await send('GigabitEthernet0/4', 'down')).code).toBe(0);
    await until(() => alarm(`linkDown:${deviceId}:GigabitEthernet0/4`));
    expect((await send('GigabitEthernet0/3', 'up')).code).toBe(0);
    await until(async () => (await alarm(`linkDown:${deviceId}:GigabitEthernet0/3`))?.state === 'cleared');
    expect((await alarm(`linkDown:${deviceId}:GigabitEthernet0/4`))!).toMatchObject({ state: 'active', title: 'lab-switch: interface GigabitEthernet0/4 down' });
  });
});
