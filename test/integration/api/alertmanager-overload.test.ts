import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerIntakeStats, registerAlertmanagerIntake } from '../../../server/api/alertmanager-intake.routes.js';
import { errorMiddleware } from '../../../server/api/error-middleware.js';
import { ApiRegistry } from '../../../server/api/registry.js';
import type { StoredEvent } from '../../../server/contracts/events.js';
import { EventWriter } from '../../../server/events/event-writer.js';
import { createLogger } from '../../../server/log/logger.js';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { openDatabase } from '../../../server/store/database.js';
import { EventRepository } from '../../../server/store/event.repository.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';

const TOKEN = 'overload-token-0123456789';
const log = createLogger({ level: 'silent', format: 'json' });

const body = (n: number, tag: string) => ({
  version: '4', status: 'firing', receiver: 'r', groupLabels: {}, commonLabels: {}, commonAnnotations: {},
  alerts: Array.from({ length: n }, (_, i) => ({ status: 'firing', labels: { alertname: tag, i: String(i) }, annotations: {} })),
});

/**
 * The route in front of a real event writer on a real SQLite file whose queue holds only 3 events:
 * what Alertmanager sees when the store cannot keep up, and when it is stopping.
 */
describe('Alertmanager intake under overload', () => {
  let server: Server;
  let url: string;
  let writer: EventWriter;
  const stored: StoredEvent[] = [];
  const stats = new AlertmanagerIntakeStats();

  beforeAll(async () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'nw-am-')), 'netwatch.db'));
    migrate(db, readMigrations(MIGRATIONS_DIR));
    // A long flush interval: events wait in the queue until the test flushes, as in a storm.
    writer = new EventWriter(new EventRepository(db), { flushIntervalMs: 60_000, batchSize: 1000, maxQueue: 3, onStored: (b) => stored.push(...b) }, log);
    const app = express();
    const router = Router();
    router.use(express.json({ limit: '1mb' }));
    const api = new ApiRegistry(router);
    registerAlertmanagerIntake(api, router, { token: TOKEN, intake: writer, findDevice: () => null, deviceLabels: ['instance'], defaultSeverity: 'warning', log }, stats);
    app.use('/api/v1', router);
    app.use(errorMiddleware(log));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/intake/alertmanager`;
  });
  afterAll(() => new Promise((r) => server?.close(r)));

  const post = (b: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(b) });

  it('answers 503 with Retry-After when the store queue cannot take the whole message, storing none of it', async () => {
    const res = await post(body(4, 'TooMany'));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('intake_busy');
    writer.flush();
    expect(stored.filter((e) => e.type === 'TooMany')).toEqual([]);
    expect(stats.counters()).toMatchObject({ busy: 1, alerts: 0 });
  });

  it('answers 200 only after the events are committed', async () => {
    const pending = post(body(3, 'Fits'));
    // Not answered while the events wait in the queue (the writer has not flushed).
    const early = await Promise.race([pending.then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 300))]);
    expect(early).toBe('waiting');
    expect(stored.filter((e) => e.type === 'Fits')).toEqual([]);
    writer.flush();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(stored.filter((e) => e.type === 'Fits')).toHaveLength(3);
  });

  it('answers 503 when the store is stopping', async () => {
    await writer.close();
    const res = await post(body(1, 'Closing'));
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('intake_failed');
    expect(stats.counters()).toMatchObject({ failed: 1 });
  });
});
