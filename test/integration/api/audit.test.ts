import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

let srv: TestServer;
let admin: ReturnType<typeof apiClient>;
beforeAll(async () => {
  srv = await startTestServer();
  admin = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
});
afterAll(() => srv?.stop());

const entries = async (query = '') => {
  const r = await admin('GET', `/audit${query}`);
  expect(r.status).toBe(200);
  return r.body.items as any[];
};

describe('audit log', () => {
  it('every route that changes something declares how it is audited', () => {
    const undeclared = srv.nms.registry.routes.filter((r) => r.method !== 'get' && r.audit === undefined).map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(undeclared).toEqual([]);
  });

  it('records a device created, edited and deleted: who, when, from where, before and after, without the community', async () => {
    const t0 = Date.now();
    const c = await admin('POST', '/devices', { name: 'audit-sw1', address: '127.0.0.51', snmp: { version: '2c', community: 'very-secret-community' } });
    expect(c.status).toBe(201);
    const id = c.body.id;
    expect((await admin('PATCH', `/devices/${id}`, { pollIntervalSec: 120, snmp: { community: 'another-secret-community' } })).status).toBe(200);
    expect((await admin('DELETE', `/devices/${id}`)).status).toBe(204);

    const items = await entries(`?object=device&objectId=${id}`);
    expect(items.map((e) => e.action)).toEqual(['device.delete', 'device.update', 'device.create']);
    const [del, upd, cre] = items;
    for (const e of items) {
      expect(e).toMatchObject({ username: 'admin', role: 'admin', sourceAddress: '127.0.0.1', outcome: 'ok', objectType: 'device', objectId: String(id), objectName: 'audit-sw1' });
      expect(e.at).toBeGreaterThanOrEqual(t0);
    }
    expect(cre).toMatchObject({ status: 201, method: 'POST', path: '/api/v1/devices', before: null, after: { name: 'audit-sw1', address: '127.0.0.51' } });
    expect(upd.before.pollIntervalSec).toBe(60);
    expect(upd.after.pollIntervalSec).toBe(120);
    expect(del).toMatchObject({ status: 204, before: { name: 'audit-sw1' }, after: null });
    const text = JSON.stringify(await entries());
    expect(text).not.toContain('very-secret-community');
    expect(text).not.toContain('another-secret-community');
  });

  it('redacts notification channel secrets and headers in snapshots and request details', async () => {
    const c = await admin('POST', '/notification-channels', {
      name: 'audit-hook', type: 'webhook', config: { url: 'http://127.0.0.1:9/hook?token=url-secret', secret: 'hmac-secret-value', headers: { 'X-Api-Key': 'header-secret-value' } },
    });
    expect(c.status).toBe(201);
    const [e] = await entries(`?action=notification-channel.create`);
    expect(e.objectName).toBe('audit-hook');
    const text = JSON.stringify(e);
    for (const s of ['url-secret', 'hmac-secret-value', 'header-secret-value']) expect(text).not.toContain(s);
    expect(e.details.config.secret).toBe('[redacted]');
  });

  it('records failed logins with the account tried (never the password), and refused changes as denied', async () => {
    const bad = await fetch(`${srv.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'wrong-password-123' }) });
    expect(bad.status).toBe(401);
    const [failed] = await entries('?action=session.login&outcome=failed');
    expect(failed).toMatchObject({ username: 'admin', userId: null, status: 401, sourceAddress: '127.0.0.1' });
    expect(JSON.stringify(failed)).not.toContain('wrong-password-123');

    expect((await admin('POST', '/users', { username: 'audit-viewer', password: 'a-long-viewer-password', role: 'viewer' })).status).toBe(201);
    const viewer = apiClient(srv.url, (await login(srv.url, 'audit-viewer', 'a-long-viewer-password')).token);
    const dev = await admin('POST', '/devices', { name: 'audit-sw2', address: '127.0.0.52' });
    expect((await viewer('DELETE', `/devices/${dev.body.id}`)).status).toBe(403);
    const [denied] = await entries('?user=audit-viewer&outcome=denied');
    expect(denied).toMatchObject({ action: 'device.delete', role: 'viewer', status: 403, objectId: String(dev.body.id) });
    expect((await viewer('GET', '/audit')).status).toBe(403);

    const [created] = await entries('?action=user.create');
    expect(JSON.stringify(created)).not.toContain('a-long-viewer-password');
    expect(created.after).toMatchObject({ username: 'audit-viewer', role: 'viewer' });
    expect(created.after.passwordHash).toBeUndefined();
  });

  it('pages newest first with a cursor', async () => {
    for (let i = 0; i < 5; i++) await admin('POST', '/topology/links', { aDeviceId: 999_990 + i, bDeviceId: 999_999 }); // 404s: not recorded
    const first = await admin('GET', '/audit?limit=2');
    expect(first.body.items).toHaveLength(2);
    const next = await admin('GET', `/audit?limit=2&before=${first.body.nextCursor}`);
    expect(next.body.items[0].id).toBeLessThan(first.body.items[1].id);
    const types = await admin('GET', '/audit/object-types');
    expect(types.body.items).toEqual(expect.arrayContaining(['device', 'notification-channel', 'session', 'user']));
  });
});

describe('audit of one\'s own password change', () => {
  it('records the change and a wrong current password as failed, never either password', async () => {
    expect((await admin('POST', '/users', { username: 'audit-self', password: 'first-long-password-1', role: 'operator' })).status).toBe(201);
    const self = apiClient(srv.url, (await login(srv.url, 'audit-self', 'first-long-password-1')).token);
    expect((await self('POST', '/auth/password', { currentPassword: 'not-my-password-9', newPassword: 'second-long-password-2' })).status).toBe(400);
    expect((await self('POST', '/auth/password', { currentPassword: 'first-long-password-1', newPassword: 'second-long-password-2' })).status).toBe(204);
    const items = await entries('?user=audit-self&action=user.change-password');
    expect(items.map((e) => e.outcome)).toEqual(['ok', 'failed']);
    expect(items[0]).toMatchObject({ objectType: 'user', status: 204, role: 'operator' });
    const text = JSON.stringify(items);
    for (const pw of ['not-my-password-9', 'first-long-password-1', 'second-long-password-2']) expect(text).not.toContain(pw);
  });
});

describe('audit of logins', () => {
  it('names the user a successful login authenticated, with their role', async () => {
    await login(srv.url, 'admin', srv.adminPassword);
    const [e] = await entries('?action=session.login&outcome=ok');
    expect(e).toMatchObject({ username: 'admin', role: 'admin', userId: 1, objectName: 'admin', sourceAddress: '127.0.0.1' });
    expect(e.details.password).toBe('[redacted]');
  });
});
