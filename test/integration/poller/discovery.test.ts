import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveryJobDto } from '../../../server/contracts/discovery.js';
import { expandCidr } from '../../../server/poller/cidr.js';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

let agent: SnmpdHandle;
let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let cookie: string;

beforeAll(async () => {
  agent = await startSnmpd({ sysName: 'found-me' });
  srv = await startTestServer();
  const l = await login(srv.url, 'admin', srv.adminPassword);
  call = apiClient(srv.url, l.token);
  cookie = l.cookie;
}, 60_000);
afterAll(async () => {
  await srv?.stop();
  await agent?.stop();
});

describe('CIDR expansion', () => {
  it('lists host addresses and caps the size', () => {
    expect(expandCidr('127.0.0.0/30', 4096)).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(expandCidr('127.0.0.9/32', 4096)).toEqual(['127.0.0.9']);
    expect(expandCidr('10.0.0.0/20', 4096)).toHaveLength(4094);
    expect(() => expandCidr('10.0.0.0/19', 4096)).toThrow(/at most 4096/);
    expect(() => expandCidr('300.0.0.0/24', 4096)).toThrow(/IPv4 CIDR/);
  });
});

describe('discovery', () => {
  it('sweeps a loopback CIDR, finds the snmpd responder with the second credential, adds it, and pushes progress', async () => {
    const s = connect(srv.url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } });
    const phases: string[] = [];
    s.on('discovery.progress', (j: DiscoveryJobDto) => phases.push(j.phase));
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    try {
      const r = await call('POST', '/discovery', {
        cidr: '127.0.0.0/29',
        port: agent.port,
        add: true,
        credentials: [{ version: '2c', community: 'wrong-community' }, { version: '2c', community: agent.community }],
      });
      expect(r.status).toBe(202);
      let job: DiscoveryJobDto = r.body;
      for (let i = 0; i < 600 && job.state === 'running'; i++) {
        await new Promise((res) => setTimeout(res, 100));
        job = (await call('GET', `/discovery/${job.id}`)).body;
      }
      expect(job.state).toBe('done');
      expect(job.total).toBe(6);
      expect(job.responders).toBe(6); // every 127.0.0.x answers ping on loopback
      const snmpHosts = job.found.filter((h) => h.snmp);
      expect(snmpHosts).toHaveLength(1);
      expect(snmpHosts[0]).toMatchObject({ address: '127.0.0.1', sysName: 'found-me', credential: 1, added: true });
      const devices = (await call('GET', '/devices')).body.items;
      expect(devices.find((d: { name: string }) => d.name === 'found-me')).toMatchObject({ address: '127.0.0.1', tags: ['discovered'], snmp: { port: agent.port, communitySet: true } });
      for (let i = 0; i < 100 && !phases.includes('done'); i++) await new Promise((res) => setTimeout(res, 50));
      expect(phases).toEqual(expect.arrayContaining(['icmp', 'snmp', 'done']));
    } finally {
      s.close();
    }
  }, 60_000);

  it('refuses a CIDR that is too big or malformed', async () => {
    const r = await call('POST', '/discovery', { cidr: '10.0.0.0/8', credentials: [{ version: '2c', community: 'public' }] });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/at most 4096/);
    expect((await call('POST', '/discovery', { cidr: 'not-a-cidr', credentials: [{ version: '2c', community: 'public' }] })).status).toBe(400);
  });
});
