/**
 * MIB browser route against Debian's real snmpd, through the real server:
 * names resolve through the loaded MIBs, values come back formatted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { freeUdpPort, startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';

let srv: TestServer;
let agent: SnmpdHandle;
let admin: ReturnType<typeof apiClient>;
let viewer: ReturnType<typeof apiClient>;
let deviceId: number;

/** The dictionary loads after the server listens; wait for the first load to finish. */
async function mibsLoaded(): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const r = await admin('GET', '/mibs');
    if (r.body?.result && !r.body.loading) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('the MIB dictionary did not load within 120 s');
}

beforeAll(async () => {
  agent = await startSnmpd({ sysName: 'browse-snmpd' });
  srv = await startTestServer();
  admin = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  expect((await admin('POST', '/users', { username: 'vic', password: 'vic-password-1', role: 'viewer' })).status).toBe(201);
  viewer = apiClient(srv.url, (await login(srv.url, 'vic', 'vic-password-1')).token);
  const d = await admin('POST', '/devices', { name: 'browse-lab', address: '127.0.0.1', icmpEnabled: false, snmp: { port: agent.port, community: agent.community, timeoutMs: 2000, retries: 1 } });
  expect(d.status).toBe(201);
  deviceId = d.body.id;
  await mibsLoaded();
}, 150_000);
afterAll(async () => {
  await srv?.stop();
  await agent?.stop();
}, 60_000);

describe('POST /devices/:id/snmp (MIB browser)', () => {
  it('gets sysName.0 by its MIB name, named and formatted', async () => {
    const r = await admin('POST', `/devices/${deviceId}/snmp`, { op: 'get', oid: 'SNMPv2-MIB::sysName.0' });
    expect(r.status).toBe(200);
    expect(r.body.error).toBeUndefined();
    expect(r.body.truncated).toBe(false);
    expect(r.body.varbinds).toEqual([
      { oid: '1.3.6.1.2.1.1.5.0', name: 'SNMPv2-MIB::sysName', instance: '0', label: 'SNMPv2-MIB::sysName.0', type: 'OctetString', value: Buffer.from('browse-snmpd').toString('hex'), formatted: 'browse-snmpd' },
    ]);
    // A scalar asked without its instance gets .0; a numeric OID works without the dictionary.
    expect((await admin('POST', `/devices/${deviceId}/snmp`, { op: 'get', oid: 'sysName' })).body.varbinds[0].formatted).toBe('browse-snmpd');
    const up = await admin('POST', `/devices/${deviceId}/snmp`, { op: 'get', oid: '1.3.6.1.2.1.1.3.0' });
    expect(up.body.varbinds[0]).toMatchObject({ label: expect.stringMatching(/sysUpTime/), type: 'TimeTicks' });
    expect(up.body.varbinds[0].formatted).toMatch(/^(\d+ days?, )?\d\d:\d\d:\d\d\.\d\d$/);
  });

  it('walks IF-MIB::ifTable with enum labels, and cuts at maxVarbinds', async () => {
    const r = await admin('POST', `/devices/${deviceId}/snmp`, { op: 'walk', oid: 'IF-MIB::ifTable' });
    expect(r.status).toBe(200);
    expect(r.body.error).toBeUndefined();
    expect(r.body.truncated).toBe(false);
    const vbs = r.body.varbinds as { oid: string; name: string; instance: string; label: string; type: string; value: unknown; formatted: string }[];
    expect(vbs.every((v) => v.oid.startsWith('1.3.6.1.2.1.2.2.1.'))).toBe(true);
    const oper = vbs.filter((v) => v.name === 'IF-MIB::ifOperStatus');
    expect(oper.length).toBeGreaterThan(0);
    expect(oper.map((v) => v.formatted)).toContain('up(1)');
    expect(oper[0]).toMatchObject({ type: 'Integer', value: expect.any(Number) });
    const descr = vbs.find((v) => v.name === 'IF-MIB::ifDescr' && v.formatted === 'lo');
    expect(descr?.label).toBe(`IF-MIB::ifDescr.${descr?.instance}`);
    expect(vbs.find((v) => v.name === 'IF-MIB::ifInOctets')).toMatchObject({ type: 'Counter32' });

    const cut = await admin('POST', `/devices/${deviceId}/snmp`, { op: 'walk', oid: '1.3.6.1.2.1.2.2', maxVarbinds: 3 });
    expect(cut.body.truncated).toBe(true);
    expect(cut.body.varbinds.map((v: { oid: string }) => v.oid)).toEqual(vbs.slice(0, 3).map((v) => v.oid));
    // Walking a leaf returns the leaf, as snmpwalk does.
    expect((await admin('POST', `/devices/${deviceId}/snmp`, { op: 'walk', oid: 'sysName.0' })).body.varbinds[0].formatted).toBe('browse-snmpd');
  });

  it('is for operators: viewers get 403; bad names 400; unknown devices 404', async () => {
    const v = await viewer('POST', `/devices/${deviceId}/snmp`, { op: 'get', oid: 'sysName.0' });
    expect(v.status).toBe(403);
    const unknown = await admin('POST', `/devices/${deviceId}/snmp`, { op: 'get', oid: 'NO-SUCH-MIB::nothingHere' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/not in the loaded MIBs/);
    expect((await admin('POST', `/devices/${deviceId}/snmp`, { op: 'set', oid: 'sysName.0' })).status).toBe(400);
    expect((await admin('POST', `/devices/${deviceId}/snmp`, { op: 'walk', oid: 'ifTable', maxVarbinds: 10_001 })).status).toBe(400);
    expect((await admin('POST', '/devices/999999/snmp', { op: 'get', oid: 'sysName.0' })).status).toBe(404);
  });

  it('speaks SNMPv3 (authPriv) and reports a wrong key as authFailure', async () => {
    const v3 = { version: '3', username: agent.v3.username, authProtocol: 'sha', authKey: agent.v3.authKey, privProtocol: 'aes', privKey: agent.v3.privKey };
    const good = await admin('POST', '/devices', { name: 'browse-v3', address: '127.0.0.1', icmpEnabled: false, snmp: { port: agent.port, timeoutMs: 2000, retries: 1, ...v3 } });
    expect(good.status).toBe(201);
    const r = await admin('POST', `/devices/${good.body.id}/snmp`, { op: 'walk', oid: 'system' });
    expect(r.body.error).toBeUndefined();
    expect(r.body.varbinds.find((v: { label: string }) => v.label === 'SNMPv2-MIB::sysName.0')?.formatted).toBe('browse-snmpd');
    const bad = await admin('POST', '/devices', { name: 'browse-v3-bad', address: '127.0.0.1', icmpEnabled: false, snmp: { port: agent.port, timeoutMs: 1000, retries: 0, ...v3, authKey: 'wrong-auth-pass' } });
    const denied = await admin('POST', `/devices/${bad.body.id}/snmp`, { op: 'get', oid: 'sysName.0' });
    expect(denied.status).toBe(200);
    expect(denied.body).toMatchObject({ varbinds: [], error: { kind: 'authFailure' } });
  });

  it('reports an agent that does not answer as an SNMP error, not an HTTP one', async () => {
    const port = await freeUdpPort();
    const d = await admin('POST', '/devices', { name: 'browse-silent', address: '127.0.0.1', icmpEnabled: false, snmp: { port, timeoutMs: 300, retries: 0 } });
    expect(d.status).toBe(201);
    const r = await admin('POST', `/devices/${d.body.id}/snmp`, { op: 'get', oid: 'sysName.0' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ varbinds: [], truncated: false, error: { kind: 'timeout' } });
  });
});
