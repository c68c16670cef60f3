import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

let srv: TestServer;
let call: ReturnType<typeof apiClient>;
beforeAll(async () => {
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
});
afterAll(() => srv?.stop());

describe('devices API', () => {
  it('adds a device with sensible defaults, lists, edits and deletes it', async () => {
    const c = await call('POST', '/devices', { name: 'sw-access-1', address: '127.0.0.10', group: 'access', tags: ['floor1'] });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({
      name: 'sw-access-1',
      address: '127.0.0.10',
      group: 'access',
      tags: ['floor1'],
      pollIntervalSec: 60,
      icmpEnabled: true,
      snmp: { enabled: true, version: '2c', port: 161, communitySet: true, timeoutMs: 2000, retries: 1 },
    });
    const list = await call('GET', '/devices');
    expect(list.body.items.map((d: { name: string }) => d.name)).toContain('sw-access-1');
    expect(list.body.snmpVersions['2c']).toBeGreaterThanOrEqual(1);
    const p = await call('PATCH', `/devices/${c.body.id}`, { pollIntervalSec: 30, icmpEnabled: false, group: null });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ pollIntervalSec: 30, icmpEnabled: false, group: null, tags: ['floor1'] });
    expect((await call('DELETE', `/devices/${c.body.id}`)).status).toBe(204);
    expect((await call('GET', `/devices/${c.body.id}`)).status).toBe(404);
    expect((await call('DELETE', `/devices/${c.body.id}`)).status).toBe(404);
  });

  it('validates bodies with field-level errors', async () => {
    const bad = await call('POST', '/devices', { name: '', address: 'not-an-ip', pollIntervalSec: 1, snmp: { version: '4' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    const paths = bad.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'address', 'pollIntervalSec', 'snmp.version']));
    expect((await call('POST', '/devices', { name: 'x', address: '127.0.0.1', color: 'red' })).status).toBe(400);
    expect((await call('GET', '/devices/abc')).status).toBe(400);
  });

  it('requires a user for v3, keys for the chosen protocols, and auth for priv', async () => {
    const base = { name: 'v3', address: '::1' };
    expect((await call('POST', '/devices', { ...base, snmp: { version: '3' } })).body.error.message).toMatch(/username/);
    expect((await call('POST', '/devices', { ...base, snmp: { version: '3', username: 'u', authProtocol: 'sha256' } })).body.error.message).toMatch(/authKey/);
    expect((await call('POST', '/devices', { ...base, snmp: { version: '3', username: 'u', privProtocol: 'aes', privKey: 'k'.repeat(8) } })).body.error.message).toMatch(/auth protocol/);
    expect((await call('POST', '/devices', { ...base, snmp: { version: '3', username: 'u', authProtocol: 'sha', authKey: 'short' } })).status).toBe(400);
    const ok = await call('POST', '/devices', {
      ...base,
      snmp: { version: '3', username: 'u', authProtocol: 'sha512', authKey: 'a'.repeat(8), privProtocol: 'aes256r', privKey: 'p'.repeat(8), context: 'vrf-a' },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.snmp).toMatchObject({ version: '3', username: 'u', authProtocol: 'sha512', privProtocol: 'aes256r', authKeySet: true, privKeySet: true, context: 'vrf-a' });
  });

  it('keeps omitted secrets on PATCH and clears them with null', async () => {
    const c = await call('POST', '/devices', { name: 'secrets', address: '127.0.0.11', snmp: { community: 'first-community' } });
    const kept = await call('PATCH', `/devices/${c.body.id}`, { snmp: { port: 1161 } });
    expect(kept.body.snmp).toMatchObject({ port: 1161, communitySet: true });
    const row = srv.nms.db.prepare('SELECT community FROM device_snmp WHERE device_id = ?').get(c.body.id) as { community: string };
    expect(row.community).toMatch(/^enc:v1:/); // stored encrypted, kept as it was
    expect(srv.nms.secrets.open(row.community)).toBe('first-community');
    // Clearing the community of a v2c device would leave it unpollable: refused.
    expect((await call('PATCH', `/devices/${c.body.id}`, { snmp: { community: null } })).status).toBe(400);
    const off = await call('PATCH', `/devices/${c.body.id}`, { snmp: { enabled: false, community: null } });
    expect(off.body.snmp).toMatchObject({ enabled: false, communitySet: false });
  });

  it('refuses U+0000 in names, settings, queries and paths with a 400, on either store, and keeps the good data', async () => {
    const before = (await call('GET', '/devices')).body.items.length;
    const bad = await call('POST', '/devices', { name: 'nul\u0000sw', address: '127.0.0.14' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'name' }] });
    expect(bad.body.error.message).toMatch(/NUL/);
    const inSecret = await call('POST', '/devices', { name: 'nul-sw', address: '127.0.0.14', snmp: { community: 'pub\u0000lic' } });
    expect(inSecret.body.error.details).toEqual([{ path: 'snmp.community', message: expect.any(String) }]);
    const trapUser = await call('POST', '/trap-users', { username: 'trap\u0000user', authProtocol: 'sha', authKey: 'auth-key-12345' });
    expect(trapUser.status).toBe(400);
    const key = await call('POST', '/devices', { name: 'nul-key-sw', address: '127.0.0.14', ['k\u0000']: 1 });
    expect(key.status).toBe(400);
    expect((await call('GET', '/events?type=a%00b')).status).toBe(400);
    expect((await call('GET', '/devices/1%00')).status).toBe(400);
    expect((await call('GET', '/devices')).body.items.length).toBe(before);
    // The same device without the NUL is stored.
    expect((await call('POST', '/devices', { name: 'nul-sw', address: '127.0.0.14' })).status).toBe(201);
  });

  it('refuses a duplicate name with 409', async () => {
    await call('POST', '/devices', { name: 'dup', address: '127.0.0.12' });
    const again = await call('POST', '/devices', { name: 'DUP', address: '127.0.0.13' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });
});
