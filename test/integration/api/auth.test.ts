import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

let srv: TestServer;
let admin: ReturnType<typeof apiClient>;

beforeAll(async () => {
  srv = await startTestServer();
  admin = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
});
afterAll(() => srv?.stop());

const SECRETS = ['s3cret-community', 'auth-key-123456', 'priv-key-123456', 'viewer-password-1', 'operator-password-1'];

async function makeUser(username: string, role: string, password: string) {
  const r = await admin('POST', '/users', { username, password, role });
  expect(r.status).toBe(201);
  return apiClient(srv.url, (await login(srv.url, username, password)).token);
}

describe('authentication and roles', () => {
  it('answers 401 on every route but health, login and the OpenAPI document when not logged in', async () => {
    const doc = (await apiClient(srv.url)('GET', '/openapi.json')).body;
    const anon = apiClient(srv.url);
    const publicOnes = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(ops)) {
        const r = await anon(method.toUpperCase(), path.replace(/\{[^}]+\}/g, '1'), method === 'get' || method === 'delete' ? undefined : {});
        // The Alertmanager webhook has its own bearer token (alertmanagerToken); with none configured it refuses everyone with 403.
        if (method === 'post' && path === '/intake/alertmanager') expect(r.status).toBe(403);
        // A signed acknowledge link carries its own authority (HMAC over alarm id and expiry): a made-up one is refused with 403.
        else if (path === '/ack/{token}') expect(r.status).toBe(403);
        else if (r.status !== 401) publicOnes.add(`${method} ${path}`);
        else expect(r.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      }
    }
    // login answers 400 to the empty body (validation), not 401 — it is public.
    expect([...publicOnes].sort()).toEqual(['get /health', 'get /openapi.json', 'post /auth/login']);
  });

  it('rejects a wrong password with 401 and a made-up bearer token with 401', async () => {
    const r = await apiClient(srv.url)('POST', '/auth/login', { username: 'admin', password: 'wrong-password' });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
    expect((await apiClient(srv.url, 'nws_madeup')('GET', '/devices')).status).toBe(401);
  });

  it('accepts the httpOnly session cookie as well as the bearer token, and logout ends the session', async () => {
    const res = await fetch(`${srv.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: srv.adminPassword }),
    });
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^nw_session=nws_[^;]+;/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const cookie = setCookie.split(';')[0]!;
    const me = await fetch(`${srv.url}/api/v1/auth/me`, { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as any).user).toMatchObject({ username: 'admin', role: 'admin' });
    const out = await fetch(`${srv.url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(204);
    expect((await fetch(`${srv.url}/api/v1/auth/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('lets a viewer read but not delete or add a device (403)', async () => {
    const created = await admin('POST', '/devices', { name: 'core-1', address: '127.0.0.1' });
    expect(created.status).toBe(201);
    const viewer = await makeUser('vera', 'viewer', 'viewer-password-1');
    expect((await viewer('GET', '/devices')).status).toBe(200);
    const del = await viewer('DELETE', `/devices/${created.body.id}`);
    expect(del.status).toBe(403);
    expect(del.body.error.code).toBe('forbidden');
    expect((await viewer('POST', '/devices', { name: 'x', address: '127.0.0.2' })).status).toBe(403);
    expect((await viewer('GET', '/users')).status).toBe(403);
    expect((await admin('GET', `/devices/${created.body.id}`)).status).toBe(200);
  });

  it('lets an operator edit devices but not manage users', async () => {
    const operator = await makeUser('otto', 'operator', 'operator-password-1');
    const created = await operator('POST', '/devices', { name: 'edge-1', address: '::1' });
    expect(created.status).toBe(201);
    expect((await operator('PATCH', `/devices/${created.body.id}`, { location: 'rack 4' })).body.location).toBe('rack 4');
    expect((await operator('POST', '/users', { username: 'eve', password: 'eve-password-1', role: 'admin' })).status).toBe(403);
  });

  it('never returns a secret in any API response', async () => {
    const texts: string[] = [];
    const record = async (p: Promise<{ text: string; status: number }>) => {
      const r = await p;
      texts.push(r.text);
      return r;
    };
    const v3 = await record(
      admin('POST', '/devices', {
        name: 'v3-box',
        address: '127.0.0.3',
        snmp: { version: '3', username: 'u1', authProtocol: 'sha', authKey: 'auth-key-123456', privProtocol: 'aes', privKey: 'priv-key-123456' },
      }),
    );
    expect(v3.status).toBe(201);
    await record(admin('POST', '/devices', { name: 'v2-box', address: '127.0.0.4', snmp: { community: 's3cret-community' } }));
    await record(admin('GET', '/devices'));
    await record(admin('GET', `/devices/${JSON.parse(v3.text).id}`));
    await record(admin('PATCH', `/devices/${JSON.parse(v3.text).id}`, { name: 'v3-box-renamed' }));
    await record(admin('GET', '/users'));
    await record(admin('GET', '/status'));
    const all = texts.join('\n');
    for (const s of SECRETS) expect(all).not.toContain(s);
    expect(all).not.toMatch(/password_?hash|scrypt\$/i);
    expect(JSON.parse(texts[0]!).snmp).toMatchObject({ authKeySet: true, privKeySet: true, communitySet: false });
  });

  it('issues long-lived API tokens that authenticate and can be revoked', async () => {
    const created = await admin('POST', '/tokens', { name: 'grafana', expiresInDays: 30 });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^nwt_/);
    const viaToken = apiClient(srv.url, created.body.token);
    expect((await viaToken('GET', '/devices')).status).toBe(200);
    const list = await admin('GET', '/tokens');
    expect(list.body.items.map((t: { name: string }) => t.name)).toContain('grafana');
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect((await admin('DELETE', `/tokens/${created.body.id}`)).status).toBe(204);
    expect((await viaToken('GET', '/devices')).status).toBe(401);
  });

  it('keeps the last admin', async () => {
    const users = (await admin('GET', '/users')).body.items as { id: number; username: string }[];
    const me = users.find((u) => u.username === 'admin')!;
    expect((await admin('DELETE', `/users/${me.id}`)).status).toBe(400);
    expect((await admin('PATCH', `/users/${me.id}`, { role: 'viewer' })).status).toBe(400);
  });
});

describe('login rate limit', () => {
  it('answers 429 after too many attempts from one address', async () => {
    const limited = await startTestServer({ env: { NMS_LOGIN_RATE_LIMIT: '3' } });
    try {
      const anon = apiClient(limited.url);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await anon('POST', '/auth/login', { username: 'admin', password: 'nope-nope' })).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      const r = await anon('POST', '/auth/login', { username: 'admin', password: limited.adminPassword });
      expect(r.status).toBe(429);
      expect(r.body.error.code).toBe('rate_limited');
    } finally {
      await limited.stop();
    }
  });
});
