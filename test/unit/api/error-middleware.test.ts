import express from 'express';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { errorMiddleware } from '../../../server/api/error-middleware.js';
import { ValidationError } from '../../../server/api/errors.js';
import { nulPath } from '../../../server/api/registry.js';
import { createLogger } from '../../../server/log/logger.js';
import { PgSyncError } from '../../../server/store/pg/pg-sync.js';

async function answer(err: unknown): Promise<{ status: number; body: any }> {
  const app = express();
  app.get('/x', () => {
    throw err;
  });
  app.use(errorMiddleware(createLogger({ level: 'silent', format: 'json' })));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
    return { status: res.status, body: await res.json() };
  } finally {
    server.close();
  }
}

describe('errorMiddleware', () => {
  it('answers text PostgreSQL cannot store with a 400, other database errors with a bare 500', async () => {
    const nul = await answer(new PgSyncError('invalid byte sequence for encoding "UTF8": 0x00', '22021'));
    expect(nul).toEqual({ status: 400, body: { error: { code: 'bad_request', message: expect.stringMatching(/NUL/) } } });
    const other = await answer(new PgSyncError('relation "secret_table" does not exist', '42P01'));
    expect(other).toEqual({ status: 500, body: { error: { code: 'internal', message: 'An unexpected error occurred' } } });
    expect((await answer(new ValidationError('bad'))).status).toBe(400);
  });
});

describe('nulPath', () => {
  it('names the first string or key holding U+0000, at any depth, and null when there is none', () => {
    expect(nulPath({ a: 'x', b: [{ c: 'ok' }, { d: 'n\u0000' }] })).toBe('b.1.d');
    expect(nulPath({ ['k\u0000']: 1 })).toBe('k\u0000');
    expect(nulPath('\u0000')).toBe('');
    expect(nulPath({ a: ['x', 1, null, true], b: { c: 'y' } })).toBeNull();
    expect(nulPath(JSON.parse('{"__proto__": {"x": "a\\u0000"}}'))).toBe('__proto__.x');
  });
});
