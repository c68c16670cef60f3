import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { NatsBatchPublisher } from '../../../server/bus/nats-publisher.js';
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import { startNatsServer, type NatsServerHandle } from '../../helpers/nats-server.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

const until = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 30_000, interval: 100 });

/**
 * At-least-once delivery, stored once: a batch the centre stored but did not acknowledge (it stopped in
 * between) comes again. Here it comes again because NATS lost its store (and with it the publish-side
 * de-duplication) and the collector published the batch again with the same message id: what the
 * centre receives is exactly a redelivery of a stored batch.
 */
describe('a batch of events delivered to the centre again after it was stored', () => {
  let nats: NatsServerHandle | undefined;
  let srv: TestServer | undefined;
  afterAll(async () => {
    await srv?.stop();
    await nats?.stop();
    if (srv) rmSync(srv.dataDir, { recursive: true, force: true });
  });

  const events = (tag: string, n: number): NormalizedEvent[] =>
    Array.from({ length: n }, (_, i) => ({
      receivedAt: Date.now(), reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.7', deviceId: null,
      severity: 'notice' as never, type: tag, message: `${tag} ${i}`, params: { appName: tag },
    }));

  it('is acknowledged and not stored twice; a new batch is stored', async () => {
    nats = await startNatsServer();
    srv = await startTestServer({ env: { NMS_ROLE: 'central', NMS_NATS_URL: nats.url } });
    const call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
    const stored = async (tag: string) => (await call('GET', `/events?type=${tag}&limit=1000`)).body.items.length as number;
    const publish = async (msgId: string, tag: string, n: number) => {
      const pub = new NatsBatchPublisher({ servers: [nats!.url], site: 'branch-9', streamMaxBytes: 2 ** 26, duplicateWindowMs: 120_000, reconnectWaitMs: 100, ackTimeoutMs: 5000 });
      await pub.start();
      try {
        // `info`: a severity every rule pack stores.
        await pub.publishBatch('events', events(tag, n).map((e) => ({ ...e, severity: 'info' })), msgId);
      } finally {
        await pub.stop();
      }
    };

    await publish('branch-9:boot-1:1', 'redelivery-test', 250);
    await until(async () => expect(await stored('redelivery-test')).toBe(250));
    const counters = async () => (await call('GET', '/status')).body.counters as Record<string, number>;
    expect((await counters())['transport.duplicate_batches']).toBe(0);

    // NATS loses everything, the same batch arrives again.
    await nats.stop();
    nats = await startNatsServer({ port: nats.port });
    await publish('branch-9:boot-1:1', 'redelivery-test', 250);
    await until(async () => expect((await counters())['transport.duplicate_batches']).toBe(1));
    // And a batch that was never stored is stored, after it.
    await publish('branch-9:boot-1:2', 'redelivery-next', 10);
    await until(async () => expect(await stored('redelivery-next')).toBe(10));
    expect(await stored('redelivery-test')).toBe(250);
  });
});
