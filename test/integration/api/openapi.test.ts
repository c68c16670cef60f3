import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(() => srv?.stop());

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  matchers?: unknown[];
}

/** Every method+path that express really routes under /api/v1, read from the router stack. */
function expressRoutes(): string[] {
  const app = srv.nms.app as unknown as { router: { stack: Layer[] } };
  const out: string[] = [];
  for (const layer of app.router.stack) {
    const inner = layer.handle?.stack;
    if (!inner) continue;
    for (const l of inner) {
      if (!l.route) continue;
      for (const [m, on] of Object.entries(l.route.methods)) if (on && m !== '_all') out.push(`${m} ${l.route.path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return out.sort();
}

describe('OpenAPI document', () => {
  it('is served without auth as OpenAPI 3 and lists exactly the routes express serves', async () => {
    const r = await apiClient(srv.url)('GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    const documented = Object.entries(r.body.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))
      .sort();
    const served = expressRoutes();
    expect(served.length).toBeGreaterThan(10);
    expect(documented).toEqual(served);
  });

  it('documents request bodies from the same schemas that validate them', async () => {
    const doc = (await apiClient(srv.url)('GET', '/openapi.json')).body;
    const body = doc.paths['/devices'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['name', 'address']));
    expect(body.properties.snmp.properties.authProtocol).toBeDefined();
    expect(doc.paths['/devices/{id}'].delete['x-required-role']).toBe('operator');
  });

  it('answers unknown API routes with a JSON 404 and malformed JSON with a 400, never a stack trace', async () => {
    const { token } = await login(srv.url, 'admin', srv.adminPassword);
    const call = apiClient(srv.url, token);
    const missing = await call('GET', '/no-such-thing');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    const bad = await call('POST', '/devices', '{"name": ');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: { code: 'bad_request', message: 'Request body is not valid JSON' } });
    expect(bad.text).not.toMatch(/at .*\.(ts|js):\d+/);
  });
});
