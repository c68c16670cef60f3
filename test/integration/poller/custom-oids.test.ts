import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

let agent: SnmpdHandle;
let srv: TestServer;
let call: ReturnType<typeof apiClient>;

beforeAll(async () => {
  agent = await startSnmpd({ sysName: 'custom-oid-agent' });
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  // The dictionary loads after start (warm from the test run's index): wait until it names things.
  for (let i = 0; i < 300; i++) {
    if ((await call('GET', '/oids/SNMPv2-MIB::sysUpTime')).body?.found) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('OID dictionary did not load');
}, 60_000);
afterAll(async () => {
  await srv?.stop();
  await agent?.stop();
});

describe('user-defined OIDs', () => {
  it('polls OIDs given by MIB name or number, per device and per group, and stores them as metrics', async () => {
    const d = (await call('POST', '/devices', { name: 'lab-1', address: '127.0.0.1', group: 'lab', icmpEnabled: false, snmp: { port: agent.port, community: agent.community } })).body;
    const byName = await call('POST', '/custom-oids', { deviceId: d.id, oid: 'HOST-RESOURCES-MIB::hrSystemNumUsers' });
    expect(byName.status).toBe(201);
    expect(byName.body).toMatchObject({ oid: '1.3.6.1.2.1.25.1.5.0', name: 'hrSystemNumUsers.0' });
    const byNumber = await call('POST', '/custom-oids', { group: 'lab', oid: '1.3.6.1.2.1.1.7.0', name: 'services', unit: 'bits' });
    expect(byNumber.status).toBe(201);
    // A column needs an instance; unknown names are refused.
    // A column (no instance) is a generated template now (test/integration/templates); a scalar's instance is still needed for a plain OID.
    expect((await call('POST', '/custom-oids', { deviceId: d.id, oid: 'NO-SUCH-MIB::thing' })).status).toBe(400);
    expect((await call('POST', '/custom-oids', { oid: '1.3.6.1.2.1.1.7.0' })).status).toBe(400);

    expect((await call('POST', `/devices/${d.id}/poll`)).body.status.snmpState).toBe('up');
    const metrics = (await call('GET', `/devices/${d.id}/metrics`)).body.items.map((m: { name: string; unit: string | null }) => `${m.name}:${m.unit}`);
    expect(metrics).toEqual(expect.arrayContaining(['hrSystemNumUsers.0:null', 'services:bits']));
    const series = await call('GET', `/metrics?device=${d.id}&metric=services`);
    expect(series.body.series[0].points[0].value).toBeGreaterThan(0);

    expect((await call('DELETE', `/custom-oids/${byNumber.body.id}`)).status).toBe(204);
    expect((await call('GET', '/custom-oids')).body.items.map((c: { name: string }) => c.name)).toEqual(['hrSystemNumUsers.0']);
  });
});
