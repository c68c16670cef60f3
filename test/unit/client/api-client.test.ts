import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, ApiError, errorMessage, setUnauthorizedHandler } from '../../../client/src/api/client.js';

// The console calls relative URLs (/api/v1/...). Here they go to a real local
// HTTP server that answers like the Netwatch API does.
let server: Server;
let base = '';
const realFetch = globalThis.fetch;
const seen: { method: string; url: string; body: string; contentType?: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body, contentType: req.headers['content-type'] });
      const send = (status: number, payload?: unknown, type = 'application/json') => {
        res.writeHead(status, payload === undefined ? {} : { 'content-type': type });
        res.end(payload === undefined ? undefined : typeof payload === 'string' ? payload : JSON.stringify(payload));
      };
      switch (req.url) {
        case '/api/v1/devices':
          return req.method === 'POST' ? send(201, { id: 1, ...JSON.parse(body) }) : send(200, { items: [] });
        case '/api/v1/devices/1':
          return send(204);
        case '/api/v1/invalid':
          return send(400, { error: { code: 'validation_failed', message: 'Invalid body: name: Required', details: [{ path: 'name', message: 'Required' }] } });
        case '/api/v1/private':
          return send(401, { error: { code: 'unauthorized', message: 'Not logged in' } });
        case '/api/v1/limited':
          return send(429, 'Too many requests', 'text/plain');
        default:
          return send(404, { error: { code: 'not_found', message: 'No route' } });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  globalThis.fetch = ((input: string, init?: RequestInit) => realFetch(base + input, init)) as typeof fetch;
});

afterAll(async () => {
  globalThis.fetch = realFetch;
  await new Promise<void>((r) => server.close(() => r()));
});

afterEach(() => {
  setUnauthorizedHandler(null);
  seen.length = 0;
});

describe('console API client', () => {
  it('sends JSON and returns the parsed answer', async () => {
    const d = await api.post<{ id: number; name: string }>('/devices', { name: 'sw1' });
    expect(d).toEqual({ id: 1, name: 'sw1' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/v1/devices', contentType: 'application/json', body: '{"name":"sw1"}' });
  });

  it('returns nothing for 204 No Content', async () => {
    await expect(api.delete('/devices/1')).resolves.toBeUndefined();
  });

  it("throws the server's error code, message and validation details", async () => {
    const err = await api.get('/invalid').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'validation_failed', message: 'Invalid body: name: Required' });
    expect((err as ApiError).details).toEqual([{ path: 'name', message: 'Required' }]);
    expect(errorMessage(err)).toBe('Invalid body: name: Required');
  });

  it('gives a readable message when the error body is not JSON', async () => {
    await expect(api.get('/limited')).rejects.toMatchObject({ status: 429, code: 'rate_limited', message: 'Too many attempts; wait a moment and try again' });
  });

  it('reports a 401 to the app (go to login) unless the caller expects it', async () => {
    let calls = 0;
    setUnauthorizedHandler(() => calls++);
    await expect(api.get('/private')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(calls).toBe(1);
    await expect(api.get('/private', { allowUnauthorized: true })).rejects.toMatchObject({ status: 401 });
    expect(calls).toBe(1);
  });

  it('says the server cannot be reached when the connection fails', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const saved = globalThis.fetch;
    globalThis.fetch = ((input: string, init?: RequestInit) => realFetch(`http://127.0.0.1:${port}${input}`, init)) as typeof fetch;
    try {
      await expect(api.get('/devices')).rejects.toMatchObject({ status: 0, code: 'network', message: 'The server cannot be reached' });
    } finally {
      globalThis.fetch = saved;
    }
  });
});
