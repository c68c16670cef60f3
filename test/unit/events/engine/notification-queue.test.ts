import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmNotificationPayload } from '../../../../server/contracts/alarms.js';
import { createLogger } from '../../../../server/log/logger.js';
import { backoffMs, NotificationQueue } from '../../../../server/notify/notification-queue.js';
import { NotificationRepository } from '../../../../server/store/notification.repository.js';
import { tempDb } from './helpers.js';
import { testSecretBox } from '../../../helpers/secrets.js';

const log = createLogger({ level: 'silent', format: 'json' });
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const payload = { kind: 'test', alarm: { id: 1 }, sentAt: 0 } as unknown as AlarmNotificationPayload;
const until = async (fn: () => boolean) => {
  for (let i = 0; i < 3000 && !fn(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(fn()).toBe(true);
};

function setup(failures: number) {
  const { db, cleanup } = tempDb();
  cleanups.push(cleanup);
  const channels = new NotificationRepository(db, testSecretBox());
  const ch = channels.create({ name: 'hook', type: 'webhook', enabled: true, config: { url: 'http://127.0.0.1:9/' } });
  let calls = 0;
  const queue = new NotificationQueue(channels, log, { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 }, {
    webhook: async () => {
      calls++;
      if (calls <= failures) throw new Error(`boom ${calls}`);
    },
  });
  cleanups.push(() => queue.close());
  return { channels, ch, queue, calls: () => calls };
}

describe('notification queue', () => {
  it('doubles the back-off on each retry up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(a, { baseDelayMs: 1000, maxDelayMs: 5000 }))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it('retries a failed delivery and shows the last error on the channel until it succeeds', async () => {
    const s = setup(2);
    s.queue.enqueue(s.ch.id, payload);
    await until(() => s.queue.stats.sent === 1);
    expect(s.calls()).toBe(3);
    expect(s.channels.dto(s.ch.id)).toMatchObject({ sentCount: 1, failedCount: 0, lastError: 'boom 2' });
  });

  it('gives up after the last attempt and counts the failure on the channel', async () => {
    const s = setup(99);
    s.queue.enqueue(s.ch.id, payload);
    await until(() => s.queue.stats.failed === 1);
    expect(s.calls()).toBe(3);
    expect(s.channels.dto(s.ch.id)).toMatchObject({ sentCount: 0, failedCount: 1, lastError: 'boom 3' });
  });

  it('never blocks the caller: enqueue returns before any delivery runs', () => {
    const s = setup(0);
    for (let i = 0; i < 100; i++) s.queue.enqueue(s.ch.id, payload);
    expect(s.calls()).toBeLessThanOrEqual(4);
  });
});
