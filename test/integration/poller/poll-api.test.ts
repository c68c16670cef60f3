import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

// A real Debian snmpd on a free loopback port, polled through the API.
let agent: SnmpdHandle;
let srv: TestServer;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  // Linux reports lo at 10 Mbit/s; the rest of a parallel test run can push more than that through
  // loopback, and rates above line rate are refused as implausible. Give lo a realistic speed.
  agent = await startSnmpd({ sysName: 'lab-agent', sysLocation: 'rack 7', extraConfig: ['interface lo 24 4000000000'] });
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
}, 60_000);
afterAll(async () => {
  await srv?.stop();
  await agent?.stop();
});

const device = (name: string, snmp: Record<string, unknown>) =>
  call('POST', '/devices', { name, address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 3600, snmp: { port: agent.port, timeoutMs: 1000, retries: 0, ...snmp } });

describe('polling a real snmpd through the API', () => {
  it('polls a v2c device now: system group, interfaces with counters, stored status', async () => {
    const d = (await device('snmpd-v2c', { version: '2c', community: agent.community })).body;
    const r = await call('POST', `/devices/${d.id}/poll`);
    expect(r.status).toBe(200);
    expect(r.body.status).toMatchObject({ snmpState: 'up', lastError: null, system: { sysName: 'lab-agent', sysLocation: 'rack 7', vendor: expect.any(String) } });
    expect(r.body.status.system.sysObjectID).toMatch(/^1\.3\.6\.1\.4\.1\.8072\./);
    expect(r.body.status.lastPollMs).toBeGreaterThanOrEqual(0);
    const lo = r.body.interfaces.find((i: { name: string }) => i.name === 'lo');
    expect(lo).toMatchObject({ operStatus: 1, adminStatus: 1 });
    // Second poll: rates exist now that there is a baseline.
    await new Promise((res) => setTimeout(res, 1100));
    const again = await call('POST', `/devices/${d.id}/poll`);
    const lo2 = again.body.interfaces.find((i: { name: string }) => i.name === 'lo');
    expect(lo2.id).toBe(lo.id);
    expect(lo2.speedBps).toBe(4_000_000_000);
    expect(lo2.inBps).toBeGreaterThanOrEqual(0);
    const ifs = await call('GET', `/devices/${d.id}/interfaces`);
    expect(ifs.body.items.map((i: { name: string }) => i.name)).toContain('lo');
    const metrics = await call('GET', `/devices/${d.id}/metrics`);
    expect(metrics.body.items.map((m: { name: string }) => m.name)).toEqual(expect.arrayContaining(['ifInBps', 'sysUpTime']));
    const series = await call('GET', `/metrics?device=${d.id}&metric=ifInBps&instance=lo`);
    expect(series.body.series[0].points.length).toBeGreaterThanOrEqual(1);
  });

  it('polls v3 authPriv (SHA/AES)', async () => {
    const d = (
      await device('snmpd-v3', { version: '3', username: agent.v3.username, authProtocol: "sha", authKey: agent.v3.authKey, privProtocol: "aes", privKey: agent.v3.privKey })
    ).body;
    const r = await call('POST', `/devices/${d.id}/poll`);
    expect(r.body.status).toMatchObject({ snmpState: 'up', system: { sysName: 'lab-agent' } });
  });

  it('shows a clear error for a wrong community and a wrong v3 key, and the server keeps running', async () => {
    const bad = (await device('bad-community', { version: '2c', community: 'not-the-community' })).body;
    const r = await call('POST', `/devices/${bad.id}/poll`);
    expect(r.body.status).toMatchObject({ snmpState: 'down', lastErrorKind: 'timeout' });
    expect(r.body.status.lastError).toMatch(/timeout|time/i);
    const badKey = (
      await device('bad-v3-key', { version: '3', username: agent.v3.username, authProtocol: "sha", authKey: "wrong-auth-pass", privProtocol: "aes", privKey: agent.v3.privKey })
    ).body;
    const r3 = await call('POST', `/devices/${badKey.id}/poll`);
    expect(r3.body.status).toMatchObject({ snmpState: 'auth_failure', lastErrorKind: 'authFailure' });
    const events = await call('GET', `/events?device=${bad.id}`);
    for (let i = 0; i < 100 && !events.body.items.length; i++) {
      await new Promise((res) => setTimeout(res, 50));
      Object.assign(events, await call('GET', `/events?device=${bad.id}`));
    }
    expect(events.body.items.map((e: { type: string }) => e.type)).toContain('snmp.unreachable');
    expect((await call('GET', '/health')).status).toBe(200);
  });
});
