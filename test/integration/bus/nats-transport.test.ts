import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { freeTcpPort, startNatsServer, type NatsServerHandle } from '../../helpers/nats-server.js';
import { NatsBatchPublisher, NatsPublishError } from '../../../server/bus/nats-publisher.js';
import { NatsBatchConsumer, type ReceivedBatch } from '../../../server/bus/nats-consumer.js';
import { NatsLink, type NatsLinkOptions } from '../../../server/bus/nats-link.js';
import { STREAM_NAME } from '../../../server/bus/nats-subjects.js';

const linkOptions = (server: NatsServerHandle, site: string): NatsLinkOptions => ({
  servers: [server.url],
  site,
  streamMaxBytes: 64 * 2 ** 20,
  duplicateWindowMs: 120_000,
  reconnectWaitMs: 100,
});

const until = (check: () => void | Promise<void>) => vi.waitFor(check, { timeout: 20_000, interval: 50 });

describe('NATS JetStream transport between a site and the centre', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  async function setup(handler?: (b: ReceivedBatch) => Promise<void>, consumerExtra: { nakDelayMs?: number } = {}) {
    const server = await startNatsServer();
    cleanups.push(() => server.stop());
    const got: ReceivedBatch[] = [];
    const pub = new NatsBatchPublisher({ ...linkOptions(server, 'site-a'), ackTimeoutMs: 2000 });
    await pub.start();
    cleanups.push(() => pub.stop());
    const consumer = new NatsBatchConsumer({ ...linkOptions(server, 'central'), ...consumerExtra }, async (b) => {
      await handler?.(b);
      got.push(b);
    });
    await consumer.start();
    cleanups.push(() => consumer.stop());
    return { server, pub, consumer, got };
  }

  it('delivers a published batch once, with its site, kind and msgId, and acks it', async () => {
    const { server, pub, consumer, got } = await setup();
    const items = [{ msg: 'link down', ifIndex: 3 }, { msg: 'link up', ifIndex: 3 }];
    const r = await pub.publishBatch('events', items, 'site-a-0001');
    expect(r.duplicate).toBe(false);
    await until(() => expect(consumer.counters().acked).toBe(1));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ site: 'site-a', kind: 'events', msgId: 'site-a-0001', items, redelivered: false });
    expect(pub.counters()).toMatchObject({ published: 1, acked: 1, failed: 0, connected: 1 });
    expect(pub.counters().bytes).toBe(Buffer.byteLength(JSON.stringify(items)));
    // Work queue: the acked batch is gone from the stream.
    const nc = await connect({ servers: server.url });
    cleanups.push(() => nc.close());
    const jsm = await jetstreamManager(nc);
    await until(async () => expect((await jsm.streams.info(STREAM_NAME)).state.messages).toBe(0));
  });

  it('handles several batches at once, started in stream order, each acked once its handler resolved', async () => {
    const started: string[] = [];
    let running = 0;
    let most = 0;
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => (open = r));
    const { pub, consumer } = await setup(async (b) => {
      started.push(b.msgId);
      running++;
      most = Math.max(most, running);
      // Hold the first handlers until several run together (one at a time, the second would never start).
      if (running >= 4) open();
      await Promise.race([gate, new Promise((r) => setTimeout(r, 5000))]);
      running--;
    });
    const ids = Array.from({ length: 40 }, (_, i) => `site-a-c${String(i).padStart(3, '0')}`);
    for (const id of ids) await pub.publishBatch('events', [{ n: id }], id);
    await until(() => expect(consumer.counters().acked).toBe(40));
    expect(most).toBeGreaterThanOrEqual(4);
    expect(most).toBeLessThanOrEqual(16);
    expect(started).toEqual(ids);
    expect(consumer.counters()).toMatchObject({ received: 40, redelivered: 0, handler_errors: 0 });
  });

  it('stores a batch republished with the same msgId once', async () => {
    const { pub, consumer, got } = await setup();
    const first = await pub.publishBatch('samples', [{ v: 1 }], 'batch-7');
    const again = await pub.publishBatch('samples', [{ v: 1 }], 'batch-7');
    expect(again).toEqual({ seq: first.seq, duplicate: true });
    await pub.publishBatch('samples', [{ v: 2 }], 'batch-8');
    await until(() => expect(got.map((b) => b.msgId)).toContain('batch-8'));
    expect(got.map((b) => b.msgId)).toEqual(['batch-7', 'batch-8']);
    expect(pub.counters()).toMatchObject({ acked: 3, duplicates: 1 });
    await until(() => expect(consumer.counters()).toMatchObject({ received: 2, acked: 2, redelivered: 0 }));
  });

  it('delivers a batch again after its handler failed, and acks it when the handler succeeds', async () => {
    let calls = 0;
    const seen: { msgId: string; redelivered: boolean }[] = [];
    const { consumer, pub, got, server } = await setup(
      async (b) => {
        seen.push({ msgId: b.msgId, redelivered: b.redelivered });
        if (++calls === 1) throw new Error('database busy');
      },
      { nakDelayMs: 100 },
    );
    await pub.publishBatch('status', [{ device: 1, up: true }], 'st-1');
    await until(() => expect(got).toHaveLength(1));
    expect(seen).toEqual([
      { msgId: 'st-1', redelivered: false },
      { msgId: 'st-1', redelivered: true },
    ]);
    await until(() => expect(consumer.counters()).toMatchObject({ handler_errors: 1, acked: 1, redelivered: 1 }));
    const nc = await connect({ servers: server.url });
    cleanups.push(() => nc.close());
    const info = await (await jetstreamManager(nc)).consumers.info(STREAM_NAME, 'netwatch-centre');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it('rejects publishing while NATS is down, and after a restart on the same store the durable consumer continues without redelivering acked batches', async () => {
    const first = await startNatsServer();
    const { port, storeDir } = first;
    let server = first;
    cleanups.push(() => server.stop());
    const got: ReceivedBatch[] = [];
    const pub = new NatsBatchPublisher({ ...linkOptions(first, 'site-b'), ackTimeoutMs: 2000 });
    await pub.start();
    cleanups.push(() => pub.stop());
    const consumer = new NatsBatchConsumer(linkOptions(first, 'central'), async (b) => void got.push(b));
    await consumer.start();
    cleanups.push(() => consumer.stop());

    await pub.publishBatch('neighbours', [{ local: 'ge-0/0/1', remote: 'sw2' }], 'nb-1');
    await pub.publishBatch('events', [{ msg: 'one' }], 'ev-1');
    await until(() => expect(consumer.counters().acked).toBe(2));

    await first.stop({ keepStore: true });
    await until(() => expect(pub.counters().connected).toBe(0));
    const err = await pub.publishBatch('events', [{ msg: 'while down' }], 'ev-2').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NatsPublishError);
    expect((err as NatsPublishError).code).toBe('unavailable');
    expect(pub.counters().failed).toBe(1);

    server = await startNatsServer({ port, storeDir });
    await until(() => expect(pub.counters().connected).toBe(1));
    // The caller republishes what it kept, then sends more.
    await pub.publishBatch('events', [{ msg: 'while down' }], 'ev-2');
    await pub.publishBatch('events', [{ msg: 'after' }], 'ev-3');
    await until(() => expect(got.map((b) => b.msgId)).toContain('ev-3'));
    expect(got.map((b) => b.msgId)).toEqual(['nb-1', 'ev-1', 'ev-2', 'ev-3']);
    await until(() => expect(consumer.counters()).toMatchObject({ redelivered: 0, acked: 4 }));
    expect(consumer.counters().reconnects).toBeGreaterThanOrEqual(1);

    // A consumer process that starts again resumes where the durable consumer was.
    await consumer.stop();
    const later: ReceivedBatch[] = [];
    const again = new NatsBatchConsumer(linkOptions(server, 'central'), async (b) => void later.push(b));
    await again.start();
    cleanups.push(() => again.stop());
    await pub.publishBatch('events', [{ msg: 'next' }], 'ev-4');
    await until(() => expect(later.map((b) => b.msgId)).toEqual(['ev-4']));
  });

  it('counts and terminates messages that are not batches, and goes on with the next one', async () => {
    const { server, consumer, got } = await setup();
    const nc = await connect({ servers: server.url });
    cleanups.push(() => nc.close());
    const js = jetstream(nc);
    const enc = new TextEncoder();
    await js.publish('netwatch.site-x.events', enc.encode('{not json'), { msgID: 'g-1' });
    await js.publish('netwatch.site-x.events', enc.encode('{"__proto__":{"polluted":1},"constructor":1}'), { msgID: 'g-2' });
    await js.publish('netwatch.site-x.samples', new Uint8Array([0xff, 0xfe, 0x5b, 0x5d]), { msgID: 'g-3' });
    await js.publish('netwatch.site-x.status', enc.encode('[1,2]')); // no Nats-Msg-Id
    const h = headers();
    h.set('Nats-Msg-Id', 'g-5');
    await js.publish('netwatch.site-x.events', enc.encode('[{"__proto__":{"polluted":1}}]'), { headers: h });
    await js.publish('netwatch.site-x.events', enc.encode('[{"msg":"fine"}]'), { msgID: 'ok-1' });
    await until(() => expect(got.map((b) => b.msgId)).toEqual(['g-5', 'ok-1']));
    await until(() => expect(consumer.counters()).toMatchObject({ invalid: 4, received: 6, acked: 2, handler_errors: 0 }));
    // The parsed `__proto__` stays an own property of the item and reaches no prototype.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(got[0]!.items[0])).toBe(Object.prototype);
    const info = await (await jetstreamManager(nc)).consumers.info(STREAM_NAME, 'netwatch-centre');
    expect(info.num_ack_pending).toBe(0);
  });

  it('refuses a bad site name and a bad batch before sending anything', async () => {
    expect(() => new NatsLink({ servers: ['nats://127.0.0.1:4222'], site: 'a.b', streamMaxBytes: 1 << 20, duplicateWindowMs: 120_000 })).toThrow(/site/);
    expect(() => new NatsLink({ servers: ['nats://127.0.0.1:4222'], site: 'x'.repeat(65), streamMaxBytes: 1 << 20, duplicateWindowMs: 120_000 })).toThrow(/site/);
    const { pub } = await setup();
    await expect(pub.publishBatch('events', [{}], 'has space')).rejects.toMatchObject({ code: 'invalid' });
    await expect(pub.publishBatch('alarms' as never, [{}], 'id-1')).rejects.toMatchObject({ code: 'invalid' });
    await expect(pub.publishBatch('events', { not: 'an array' } as never, 'id-2')).rejects.toMatchObject({ code: 'invalid' });
    await expect(pub.publishBatch('events', [10n], 'id-3')).rejects.toMatchObject({ code: 'invalid' });
    expect(pub.counters()).toMatchObject({ published: 0, failed: 4 });
  });

  it('makes its durable consumer again when it was deleted, and gets the batches not yet acked', async () => {
    const { server, pub, consumer, got } = await setup();
    await pub.publishBatch('events', [{ n: 1 }], 'd-1');
    await until(() => expect(consumer.counters().acked).toBe(1));
    const nc = await connect({ servers: server.url });
    cleanups.push(() => nc.close());
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.delete(STREAM_NAME, 'netwatch-centre');
    await pub.publishBatch('events', [{ n: 2 }], 'd-2');
    await until(() => expect(got.map((b) => b.msgId)).toEqual(['d-1', 'd-2']));
    expect((await jsm.consumers.info(STREAM_NAME, 'netwatch-centre')).config.durable_name).toBe('netwatch-centre');
  });

  it('keeps trying to connect while NATS is not there yet, refusing batches meanwhile, and starts when it comes', async () => {
    const port = await freeTcpPort();
    const opts = { servers: [`nats://127.0.0.1:${port}`], site: 'site-c', streamMaxBytes: 1 << 24, duplicateWindowMs: 120_000, reconnectWaitMs: 100 };
    const pub = new NatsBatchPublisher(opts);
    cleanups.push(() => pub.stop());
    const started = pub.start();
    await until(() => expect(pub.counters().connect_failures).toBeGreaterThanOrEqual(2));
    await expect(pub.publishBatch('events', [{ msg: 'early' }], 'early-1')).rejects.toMatchObject({ code: 'unavailable' });
    const server = await startNatsServer({ port });
    cleanups.push(() => server.stop());
    await started;
    expect(await pub.publishBatch('events', [{ msg: 'early' }], 'early-1')).toMatchObject({ duplicate: false });
    expect(pub.counters()).toMatchObject({ connected: 1, acked: 1, failed: 1 });

    // stop() ends a start that is still waiting for NATS.
    const nowhere = new NatsBatchConsumer({ ...opts, servers: [`nats://127.0.0.1:${await freeTcpPort()}`] }, async () => undefined);
    const pending = nowhere.start().catch((e: unknown) => e);
    await until(() => expect(nowhere.counters().connect_failures).toBeGreaterThanOrEqual(1));
    await nowhere.stop();
    expect(await pending).toBeInstanceOf(Error);
  });

  it('names an unreadable credentials file', async () => {
    const pub = new NatsBatchPublisher({ servers: ['nats://127.0.0.1:4222'], site: 'a', streamMaxBytes: 1 << 20, duplicateWindowMs: 120_000, credsFile: '/nonexistent/site.creds' });
    await expect(pub.start()).rejects.toThrow(/natsCredsFile: cannot read \/nonexistent\/site.creds/);
  });
});
