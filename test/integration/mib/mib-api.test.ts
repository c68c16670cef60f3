import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/mibs');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let viewer: ReturnType<typeof apiClient>;

/** The dictionary loads after the server listens; wait for the first load to finish. */
async function mibsLoaded(): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const r = await call('GET', '/mibs');
    if (r.body?.result && !r.body.loading) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('the MIB dictionary did not load within 120 s');
}

beforeAll(async () => {
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  expect((await call('POST', '/users', { username: 'vera', password: 'vera-password-1', role: 'viewer' })).status).toBe(201);
  viewer = apiClient(srv.url, (await login(srv.url, 'vera', 'vera-password-1')).token);
  await mibsLoaded();
}, 150_000);
afterAll(() => srv?.stop());

describe('OID dictionary API', () => {
  it('resolves numeric OIDs with their instance and names qualified or bare', async () => {
    const r = await viewer('GET', '/oids/1.3.6.1.2.1.2.2.1.10.3');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ found: true, label: 'IF-MIB::ifInOctets.3', instance: '3', node: { name: 'ifInOctets', module: 'IF-MIB', kind: 'column', baseType: 'Counter32' } });
    expect(r.body.node.description).toMatch(/octets received/);
    expect((await viewer('GET', '/oids/IF-MIB::ifOperStatus')).body).toMatchObject({ oid: '1.3.6.1.2.1.2.2.1.8', node: { enums: { 2: 'down' } } });
    expect((await viewer('GET', '/oids/sysName.0')).body).toMatchObject({ oid: '1.3.6.1.2.1.1.5.0', label: 'SNMPv2-MIB::sysName.0' });
    expect((await viewer('GET', '/oids/linkDown')).body).toMatchObject({ oid: '1.3.6.1.6.3.1.1.5.3', node: { kind: 'notification', objects: ['ifIndex', 'ifAdminStatus', 'ifOperStatus'] } });
    const none = await viewer('GET', '/oids/noSuchObjectAnywhere');
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('not_found');
  });

  it('searches names and descriptions, ranked', async () => {
    const r = await viewer('GET', '/oids?q=ifInOctets&limit=5');
    expect(r.status).toBe(200);
    expect(r.body.items[0].node).toMatchObject({ name: 'ifInOctets' });
    expect((await viewer('GET', '/oids')).status).toBe(400);
  });

  it('browses the tree from the root', async () => {
    const root = await viewer('GET', '/oids/root/children');
    expect(root.body.items).toContainEqual(expect.objectContaining({ oid: '1', name: 'iso', hasChildren: true }));
    const sys = await viewer('GET', '/oids/system/children');
    expect(sys.body.oid).toBe('1.3.6.1.2.1.1');
    expect(sys.body.items.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['sysDescr', 'sysUpTime', 'sysName']));
  });

  it('lists modules with their status', async () => {
    const r = await viewer('GET', '/mibs');
    expect(r.body.result.modulesLoaded).toBeGreaterThan(10);
    expect(r.body.items.find((m: { name: string }) => m.name === 'IF-MIB')).toMatchObject({ status: 'ok' });
  });

  it('accepts a vendor MIB upload from an admin and resolves its traps afterwards', async () => {
    expect((await viewer('POST', '/mibs', { filename: 'ACME-SMI.txt', content: fixture('ACME-SMI.txt') })).status).toBe(403);

    const smi = await call('POST', '/mibs', { filename: 'ACME-SMI.txt', content: fixture('ACME-SMI.txt') });
    expect(smi.status).toBe(201);
    expect(smi.body.modules).toMatchObject([{ name: 'ACME-SMI', status: 'ok' }]);
    // Only the new file is parsed; everything else comes from the index.
    expect(smi.body.result.filesCompiled).toBe(1);

    const v1 = await call('POST', '/mibs', { filename: 'ACME-V1-TRAPS-MIB.txt', content: fixture('ACME-V1-TRAPS-MIB.txt') });
    expect(v1.body.modules).toMatchObject([{ name: 'ACME-V1-TRAPS-MIB', status: 'ok' }]);
    const sw = await call('POST', '/mibs', { filename: 'ACME-SWITCH-MIB.txt', content: fixture('ACME-SWITCH-MIB.txt') });
    expect(sw.body.modules).toMatchObject([{ name: 'ACME-SWITCH-MIB', status: 'ok' }]);

    expect((await viewer('GET', '/oids/1.3.6.1.4.1.99999.9.0.1')).body).toMatchObject({ label: 'ACME-V1-TRAPS-MIB::acmeUpsOnBattery', node: { kind: 'notification', objects: ['acmeUpsName', 'acmeUpsBatteryStatus'] } });
    expect((await viewer('GET', '/oids/ACME-SWITCH-MIB::acmeFanFailed')).body).toMatchObject({ oid: '1.3.6.1.4.1.99999.2.1.0.1', node: { objects: ['acmeFanName', 'acmeFanState'] } });
    // Other modules see the new dictionary too.
    expect(srv.nms.dictionary.resolve('1.3.6.1.4.1.99999.2.1.1.2.1.2.4').label).toBe('ACME-SWITCH-MIB::acmeFanState.4');
  }, 120_000);

  it('refuses a MIB that does not parse, and reports one whose imports are missing', async () => {
    const broken = await call('POST', '/mibs', { filename: 'BROKEN-MIB.txt', content: fixture('BROKEN-MIB.txt') });
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toMatch(/BROKEN-MIB\.txt/);
    expect(broken.body.error.details.line).toBeGreaterThan(0);
    expect((await call('POST', '/mibs', { filename: '../evil', content: fixture('ACME-SMI.txt') })).status).toBe(400);

    const orphan = await call('POST', '/mibs', { filename: 'ORPHAN-MIB.txt', content: fixture('ORPHAN-MIB.txt') });
    expect(orphan.status).toBe(201);
    expect(orphan.body.modules[0]).toMatchObject({ name: 'ORPHAN-MIB', status: 'error' });
    expect(orphan.body.modules[0].errors[0].reason).toMatch(/NONEXISTENT-TC-MIB/);
    // The rest still resolves.
    expect((await viewer('GET', '/oids/ifInOctets')).body).toMatchObject({ found: true });
  }, 90_000);
});
