import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

// Sessions and API tokens end together with the rights they were issued for.
let srv: TestServer;
let admin: ReturnType<typeof apiClient>;
let adminId: number;

beforeAll(async () => {
  srv = await startTestServer();
  admin = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  adminId = ((await admin('GET', '/auth/me')).body.user as { id: number }).id;
});
afterAll(() => srv?.stop());

/** A user with a console session (cookie) and an API token, both working. */
async function userWithAccess(username: string, password: string, role = 'operator') {
  const created = await admin('POST', '/users', { username, password, role });
  expect(created.status).toBe(201);
  const session = await login(srv.url, username, password);
  const viaSession = apiClient(srv.url, session.token);
  const token = (await viaSession('POST', '/tokens', { name: `${username}-script` })).body.token as string;
  const viaToken = apiClient(srv.url, token);
  expect((await viaSession('GET', '/devices')).status).toBe(200);
  expect((await viaToken('GET', '/devices')).status).toBe(200);
  return { id: created.body.id as number, session, viaSession, viaToken };
}

const cookieStatus = async (cookie: string) => (await fetch(`${srv.url}/api/v1/auth/me`, { headers: { cookie } })).status;

describe('revocation', () => {
  it('ends every session and API token of a user when an admin sets a new password', async () => {
    const u = await userWithAccess('pat', 'pat-first-password-1');
    expect((await admin('PATCH', `/users/${u.id}`, { password: 'pat-second-password-2' })).status).toBe(200);
    expect((await u.viaSession('GET', '/devices')).status).toBe(401);
    expect(await cookieStatus(u.session.cookie)).toBe(401);
    expect((await u.viaToken('GET', '/devices')).status).toBe(401);
    expect((await apiClient(srv.url)('POST', '/auth/login', { username: 'pat', password: 'pat-second-password-2' })).status).toBe(200);
  });

  it('ends every session and API token of a user whose role changes', async () => {
    const u = await userWithAccess('rolf', 'rolf-first-password-1');
    expect((await admin('PATCH', `/users/${u.id}`, { role: 'viewer' })).status).toBe(200);
    expect((await u.viaSession('GET', '/devices')).status).toBe(401);
    expect((await u.viaToken('GET', '/devices')).status).toBe(401);
  });

  it('disables a user: sessions and tokens end, login is refused until an admin enables them again', async () => {
    const u = await userWithAccess('dora', 'dora-first-password-1');
    const r = await admin('PATCH', `/users/${u.id}`, { disabled: true });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ username: 'dora', disabled: true });
    expect((await u.viaSession('GET', '/devices')).status).toBe(401);
    expect((await u.viaToken('GET', '/devices')).status).toBe(401);
    const refused = await apiClient(srv.url)('POST', '/auth/login', { username: 'dora', password: 'dora-first-password-1' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/disabled/);
    // A wrong password still reads as a wrong password (no hint that the account exists).
    expect((await apiClient(srv.url)('POST', '/auth/login', { username: 'dora', password: 'not-her-password' })).status).toBe(401);
    expect((await admin('GET', '/users')).body.items.find((x: { id: number }) => x.id === u.id).disabled).toBe(true);
    expect((await admin('PATCH', `/users/${u.id}`, { disabled: false })).body.disabled).toBe(false);
    expect((await apiClient(srv.url)('POST', '/auth/login', { username: 'dora', password: 'dora-first-password-1' })).status).toBe(200);
  });

  it('will not disable yourself or the last active admin', async () => {
    expect((await admin('PATCH', `/users/${adminId}`, { disabled: true })).status).toBe(400);
    const other = await admin('POST', '/users', { username: 'second-admin', password: 'second-admin-password', role: 'admin' });
    const viaOther = apiClient(srv.url, (await login(srv.url, 'second-admin', 'second-admin-password')).token);
    expect((await viaOther('PATCH', `/users/${adminId}`, { disabled: true })).status).toBe(200);
    // Now second-admin is the only active admin: it cannot be demoted or deleted by anyone.
    expect((await viaOther('PATCH', `/users/${other.body.id}`, { role: 'viewer' })).status).toBe(400);
    expect((await viaOther('PATCH', `/users/${adminId}`, { disabled: false })).status).toBe(200);
    admin = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
    expect((await admin('DELETE', `/users/${other.body.id}`)).status).toBe(204);
  });

  it('ends the sessions and tokens of a deleted user', async () => {
    const u = await userWithAccess('dean', 'dean-first-password-1');
    expect((await admin('DELETE', `/users/${u.id}`)).status).toBe(204);
    expect((await u.viaSession('GET', '/devices')).status).toBe(401);
    expect((await u.viaToken('GET', '/devices')).status).toBe(401);
  });
});

describe('own password', () => {
  it('lets a user change their own password with the current one; other sessions and API tokens end, this one stays', async () => {
    const u = await userWithAccess('olga', 'olga-first-password-1', 'viewer');
    const other = apiClient(srv.url, (await login(srv.url, 'olga', 'olga-first-password-1')).token);
    const wrong = await u.viaSession('POST', '/auth/password', { currentPassword: 'not-my-password', newPassword: 'olga-second-password-2' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details).toEqual([{ path: 'currentPassword', message: expect.any(String) }]);
    const common = await u.viaSession('POST', '/auth/password', { currentPassword: 'olga-first-password-1', newPassword: 'iloveyou123' });
    expect(common.status).toBe(400);
    expect(common.body.error.message).toMatch(/most common passwords/);
    expect((await other('GET', '/devices')).status).toBe(200); // refused changes end nothing

    const ok = await u.viaSession('POST', '/auth/password', { currentPassword: 'olga-first-password-1', newPassword: 'olga-second-password-2' });
    expect(ok.status).toBe(204);
    expect((await u.viaSession('GET', '/devices')).status).toBe(200);
    expect((await other('GET', '/devices')).status).toBe(401);
    expect((await u.viaToken('GET', '/devices')).status).toBe(401);
    expect((await apiClient(srv.url)('POST', '/auth/login', { username: 'olga', password: 'olga-first-password-1' })).status).toBe(401);
    expect((await apiClient(srv.url)('POST', '/auth/login', { username: 'olga', password: 'olga-second-password-2' })).status).toBe(200);
  });
});

describe('password policy', () => {
  it('refuses a common password when an admin creates a user or resets a password', async () => {
    const created = await admin('POST', '/users', { username: 'weak', password: 'password123', role: 'viewer' });
    expect(created.status).toBe(400);
    expect(created.body.error.details).toEqual([{ path: 'password', message: expect.stringMatching(/most common passwords/) }]);
    const sameAsName = await admin('POST', '/users', { username: 'Sebastian-9', password: 'sebastian-9', role: 'viewer' });
    expect(sameAsName.status).toBe(400);
    const u = await admin('POST', '/users', { username: 'strong', password: 'a-rare-strong-password', role: 'viewer' });
    expect(u.status).toBe(201);
    expect((await admin('PATCH', `/users/${u.body.id}`, { password: 'qwerty123' })).status).toBe(400);
    expect((await apiClient(srv.url)('POST', '/auth/login', { username: 'strong', password: 'a-rare-strong-password' })).status).toBe(200);
  });
});

describe('API token expiry', () => {
  it('gives a token created without an expiry the default lifetime (apiTokenTtlDays, 90)', async () => {
    const before = Date.now();
    const t = await admin('POST', '/tokens', { name: 'no-expiry-given' });
    const after = Date.now();
    expect(t.status).toBe(201);
    expect(t.body.expiresAt).toBeGreaterThanOrEqual(before + 90 * 86_400_000);
    expect(t.body.expiresAt).toBeLessThanOrEqual(after + 90 * 86_400_000);
    const explicit = await admin('POST', '/tokens', { name: 'one-week', expiresInDays: 7 });
    expect(explicit.body.expiresAt).toBeLessThanOrEqual(after + 7 * 86_400_000 + 1000);
  });

  it('takes the default lifetime from NMS_API_TOKEN_TTL_DAYS', async () => {
    const other = await startTestServer({ env: { NMS_API_TOKEN_TTL_DAYS: '2' } });
    try {
      const api = apiClient(other.url, (await login(other.url, 'admin', other.adminPassword)).token);
      const before = Date.now();
      const t = await api('POST', '/tokens', { name: 'short-lived' });
      expect(t.body.expiresAt).toBeGreaterThanOrEqual(before + 2 * 86_400_000);
      expect(t.body.expiresAt).toBeLessThan(before + 3 * 86_400_000);
    } finally {
      await other.stop();
    }
  });
});
