import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

// Headers, cross-site refusal, the login limits and the /metrics token, over real HTTP.
// (test/e2e/security.e2e.test.ts does the browser side in real Chromium.)
let srv: TestServer;
let session: { token: string; cookie: string };

beforeAll(async () => {
  srv = await startTestServer();
  session = await login(srv.url, 'admin', srv.adminPassword);
});
afterAll(() => srv?.stop());

const deviceCount = async () => (await apiClient(srv.url, session.token)('GET', '/devices')).body.items.length as number;

function post(url: string, path: string, headers: Record<string, string>, body?: string) {
  return fetch(`${url}/api/v1${path}`, { method: 'POST', headers, body });
}

describe('security headers', () => {
  it('sends a strict CSP, nosniff, a referrer policy and no framing on the console and the API', async () => {
    for (const path of ['/', '/devices', '/api/v1/health', '/api/v1/nope', '/metrics']) {
      const res = await fetch(`${srv.url}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("object-src 'none'");
      expect(csp, path).not.toContain('unsafe-inline');
      expect(csp, path).not.toContain('unsafe-eval');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      // Plain HTTP here (secureCookies off): no HSTS.
      expect(res.headers.get('strict-transport-security'), path).toBeNull();
    }
  });
});

describe('cross-site requests with the session cookie', () => {
  const json = JSON.stringify({ name: 'csrf-box', address: '127.0.0.77' });

  it('refuses a text/plain body (what any page can send without a preflight) with 415, and creates nothing', async () => {
    const before = await deviceCount();
    const r = await post(srv.url, '/devices', { cookie: session.cookie, 'content-type': 'text/plain' }, json);
    expect(r.status).toBe(415);
    expect(((await r.json()) as any).error.code).toBe('unsupported_media_type');
    expect(await deviceCount()).toBe(before);
  });

  it('refuses a JSON request from another origin or site, even a bodiless one, and keeps the session', async () => {
    const before = await deviceCount();
    const other = srv.url.replace(/:(\d+)$/, (_m, p) => `:${Number(p) + 1}`);
    const crossSite: Record<string, string>[] = [
      { origin: other },
      { origin: 'null' },
      { origin: 'http://evil.example' },
      { 'sec-fetch-site': 'same-site', origin: other },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of crossSite) {
      const r = await post(srv.url, '/devices', { cookie: session.cookie, 'content-type': 'application/json', ...headers }, json);
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(((await r.json()) as any).error.code).toBe('cross_site_refused');
    }
    expect(await deviceCount()).toBe(before);
    // Bodiless: logout from another origin does not end the session.
    expect((await post(srv.url, '/auth/logout', { cookie: session.cookie, origin: other })).status).toBe(403);
    expect((await fetch(`${srv.url}/api/v1/auth/me`, { headers: { cookie: session.cookie } })).status).toBe(200);
    // Login from another origin (login CSRF) is refused too.
    const loginBody = JSON.stringify({ username: 'admin', password: srv.adminPassword });
    expect((await post(srv.url, '/auth/login', { 'content-type': 'application/json', origin: other }, loginBody)).status).toBe(403);
  });

  it('accepts the console itself (same origin) and bearer-token clients from anywhere', async () => {
    const before = await deviceCount();
    const same = await post(srv.url, '/devices', { cookie: session.cookie, 'content-type': 'application/json', origin: srv.url, 'sec-fetch-site': 'same-origin' }, json);
    expect(same.status).toBe(201);
    const bearer = await post(
      srv.url,
      '/devices',
      { authorization: `Bearer ${session.token}`, 'content-type': 'application/json', origin: 'http://evil.example' },
      JSON.stringify({ name: 'bearer-box', address: '127.0.0.78' }),
    );
    expect(bearer.status).toBe(201);
    expect(await deviceCount()).toBe(before + 2);
    // Bodiless requests need no content type.
    const id = ((await same.json()) as { id: number }).id;
    const del = await fetch(`${srv.url}/api/v1/devices/${id}`, { method: 'DELETE', headers: { cookie: session.cookie, origin: srv.url } });
    expect(del.status).toBe(204);
  });
});

describe('login rate limit', () => {
  const attempt = (url: string, username: string, xff?: string) =>
    post(url, '/auth/login', { 'content-type': 'application/json', ...(xff ? { 'x-forwarded-for': xff } : {}) }, JSON.stringify({ username, password: 'wrong-password-x' })).then(
      (r) => r.status,
    );

  it('does not let a spoofed X-Forwarded-For buy a fresh budget (no proxy trusted by default)', async () => {
    const s = await startTestServer({ env: { NMS_LOGIN_RATE_LIMIT: '3' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push(await attempt(s.url, `user-${i}`, `203.0.113.${i + 1}`));
      // Many user names from one client: limited per client.
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    } finally {
      await s.stop();
    }
  });

  it('limits one user name tried from many clients behind a trusted proxy, and keeps other accounts and clients apart', async () => {
    const s = await startTestServer({ env: { NMS_LOGIN_RATE_LIMIT: '3', NMS_TRUST_PROXY: '127.0.0.1' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push(await attempt(s.url, 'admin', `198.51.100.${i + 1}`));
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      // Even the right password waits out the window for this account…
      const right = await post(s.url, '/auth/login', { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.99' }, JSON.stringify({ username: 'Admin', password: s.adminPassword }));
      expect(right.status).toBe(429);
      // …while another account from a fresh client is untouched, and each proxied client has its own budget.
      expect(await attempt(s.url, 'somebody-else', '198.51.100.100')).toBe(401);
    } finally {
      await s.stop();
    }
  });

  it('believes X-Forwarded-Host from a trusted proxy for the origin check, and from nobody else', async () => {
    const s = await startTestServer({ env: { NMS_TRUST_PROXY: 'loopback' } });
    const plain = await startTestServer();
    try {
      for (const [server, expected] of [[s, 200], [plain, 403]] as const) {
        const r = await post(
          server.url,
          '/auth/login',
          { 'content-type': 'application/json', origin: 'https://nms.example.com', 'x-forwarded-host': 'nms.example.com', 'x-forwarded-proto': 'https' },
          JSON.stringify({ username: 'admin', password: server.adminPassword }),
        );
        expect(r.status).toBe(expected);
      }
    } finally {
      await s.stop();
      await plain.stop();
    }
  });
});

describe('/metrics', () => {
  it('is open when no metricsToken is set', async () => {
    expect((await fetch(`${srv.url}/metrics`)).status).toBe(200);
  });

  it('requires the bearer token when NMS_METRICS_TOKEN is set', async () => {
    const token = 'metrics-token-0123456789';
    const s = await startTestServer({ env: { NMS_METRICS_TOKEN: token } });
    try {
      const none = await fetch(`${s.url}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await none.text())).not.toContain('netwatch_');
      expect((await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-wrong-00000' } })).status).toBe(401);
      // A user's API token is not the metrics token.
      const userToken = (await login(s.url, 'admin', s.adminPassword)).token;
      expect((await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${userToken}` } })).status).toBe(401);
      const ok = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('netwatch_');
    } finally {
      await s.stop();
    }
  });
});
