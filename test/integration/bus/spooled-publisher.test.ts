import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freeTcpPort, startNatsServer, type NatsServerHandle } from '../../helpers/nats-server.js';
import { NatsBatchPublisher } from '../../../server/bus/nats-publisher.js';
import { NatsBatchConsumer, type ReceivedBatch } from '../../../server/bus/nats-consumer.js';
import type { NatsLinkOptions } from '../../../server/bus/nats-link.js';
import { BatchSpool } from '../../../server/bus/batch-spool.js';
import { SpooledPublisher } from '../../../server/bus/spooled-publisher.js';

const linkOptions = (url: string, site: string): NatsLinkOptions => ({
  servers: [url],
  site,
  streamMaxBytes: 64 * 2 ** 20,
  duplicateWindowMs: 120_000,
  reconnectWaitMs: 100,
});

const until = (check: () => void | Promise<void>, timeout = 30_000) => vi.waitFor(check, { timeout, interval: 50 });

const events = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ n: from + i, msg: `syslog line ${from + i}` }));
const numbers = (got: ReceivedBatch[]) => got.flatMap((b) => (b.items as { n: number }[]).map((e) => e.n));

describe('SpooledPublisher: a collector keeps batches while NATS is away and replays them in order', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  function spoolDir(): string {
    const d = mkdtempSync(join(tmpdir(), 'nw-spooled-'));
    cleanups.push(async () => rmSync(d, { recursive: true, force: true }));
    return join(d, 'spool');
  }

  async function collector(url: string, dir: string, maxBytes = 64 * 2 ** 20) {
    const nats = new NatsBatchPublisher({ ...linkOptions(url, 'seoul-dc1'), ackTimeoutMs: 2000 });
    const spool = BatchSpool.open({ dir, maxBytes });
    const out = new SpooledPublisher(nats, spool, { site: 'seoul-dc1', retryMinMs: 50, retryMaxMs: 200 });
    const stop = async () => {
      await out.stop();
      await nats.stop();
      await spool.close();
    };
    cleanups.push(stop);
    return { nats, spool, out, stop };
  }

  async function centre(server: NatsServerHandle) {
    const got: ReceivedBatch[] = [];
    const consumer = new NatsBatchConsumer(linkOptions(server.url, 'central'), async (b) => void got.push(b));
    await consumer.start();
    cleanups.push(() => consumer.stop());
    return { consumer, got };
  }

  it('publishes straight to NATS while it is up, then spools 10,000 events while it is down and delivers each once, in order, when it is back', async () => {
    let server = await startNatsServer();
    const { port, storeDir } = server;
    cleanups.push(() => server.stop());
    const dir = spoolDir();
    const { nats, out } = await collector(server.url, dir);
    await nats.start();
    out.start();
    const { consumer, got } = await centre(server);

    expect(await out.publish('events', events(-1, 1))).toBe('direct');
    await until(() => expect(numbers(got)).toEqual([-1]));
    expect(out.counters()).toMatchObject({ published_direct: 1, spooled: 0, spool_records: 0 });
    expect(got[0]!.msgId).toMatch(/^seoul-dc1:[0-9a-f]{16}:1$/);

    await server.stop({ keepStore: true });
    await until(() => expect(nats.counters().connected).toBe(0));
    const outcomes = [];
    for (let i = 0; i < 100; i++) outcomes.push(await out.publish('events', events(i * 100, 100)));
    expect(new Set(outcomes)).toEqual(new Set(['spooled']));
    expect(out.counters()).toMatchObject({ spooled: 100, spool_records: 100, overflow: 0 });
    const onDisk = readdirSync(dir).filter((f) => f.endsWith('.seg'));
    expect(onDisk.length).toBeGreaterThan(0);
    expect(onDisk.reduce((n, f) => n + statSync(join(dir, f)).size, 0)).toBe(out.counters().spool_bytes);
    await until(() => expect(out.counters().replay_failures).toBeGreaterThan(0));

    server = await startNatsServer({ port, storeDir });
    // A batch published while the replay runs queues behind the spooled ones.
    const late = await out.publish('events', events(10_000, 5));
    expect(['spooled', 'direct']).toContain(late);
    await until(() => expect(numbers(got).length).toBe(1 + 10_000 + 5));
    expect(numbers(got)).toEqual([-1, ...Array.from({ length: 10_005 }, (_, i) => i)]);
    expect(new Set(got.map((b) => b.msgId)).size).toBe(got.length);
    await until(() => expect(out.counters()).toMatchObject({ spool_records: 0, spool_bytes: 0, replaying: 0 }));
    expect(out.counters().replayed).toBeGreaterThanOrEqual(100);
    expect(consumer.counters().invalid).toBe(0);

    // Empty spool again: the next batch goes straight to NATS.
    expect(await out.publish('events', events(20_000, 1))).toBe('direct');
    await until(() => expect(numbers(got).at(-1)).toBe(20_000));
  }, 120_000);

  it('replays what an earlier run left in the spool when the collector starts again, minus a batch torn by a kill (counted)', async () => {
    const port = await freeTcpPort();
    const url = `nats://127.0.0.1:${port}`;
    const dir = spoolDir();
    const first = await collector(url, dir);
    // NATS is not there at all: never connected.
    for (let i = 0; i < 10; i++) expect(await first.out.publish('samples', events(i * 10, 10))).toBe('spooled');
    await first.stop();
    // As if the collector had been killed while writing the last batch.
    const last = readdirSync(dir).filter((f) => f.endsWith('.seg')).sort().at(-1)!;
    truncateSync(join(dir, last), statSync(join(dir, last)).size - 5);

    const server = await startNatsServer({ port });
    cleanups.push(() => server.stop());
    const { got } = await centre(server);
    const second = await collector(url, dir);
    expect(second.out.counters()).toMatchObject({ spool_records: 9, torn_dropped: 1 });
    await second.nats.start();
    // NATS is up, but older batches are still in the spool: a new one goes behind them, not past them.
    expect(await second.out.publish('samples', events(90, 1))).toBe('spooled');
    second.out.start();
    await until(() => expect(numbers(got)).toEqual(Array.from({ length: 91 }, (_, i) => i)));
    expect(got.every((b) => b.kind === 'samples')).toBe(true);
    await until(() => expect(second.out.counters()).toMatchObject({ replayed: 10, spool_records: 0, published_direct: 0, replaying: 0 }));
    // Spool empty: straight to NATS again.
    expect(await second.out.publish('samples', events(91, 1))).toBe('direct');
    await until(() => expect(got).toHaveLength(11));
    // msgIds carry a boot id: the second run's never collide with the first run's.
    const firstBoot = got[0]!.msgId.split(':')[1];
    expect(got[9]!.msgId.split(':')[1]).not.toBe(firstBoot);
    expect(got.slice(9).map((b) => b.msgId.split(':')[2])).toEqual(['1', '2']);
  }, 60_000);

  it('drops and counts a batch NATS can never take instead of spooling it forever, and goes on with the next', async () => {
    const port = await freeTcpPort();
    const url = `nats://127.0.0.1:${port}`;
    const { nats, out } = await collector(url, spoolDir());
    expect(await out.publish('events', [{ n: 1n }])).toBe('invalid');
    expect(await out.publish('events', events(0, 1))).toBe('spooled');
    // Bigger than NATS's default 1 MiB message limit: spooled now, refused as invalid on replay.
    expect(await out.publish('events', [{ blob: 'x'.repeat(2 * 2 ** 20) }])).toBe('spooled');
    expect(await out.publish('events', events(1, 1))).toBe('spooled');
    const server = await startNatsServer({ port });
    cleanups.push(() => server.stop());
    const { got } = await centre(server);
    await nats.start();
    out.start();
    await until(() => expect(numbers(got)).toEqual([0, 1]));
    await until(() => expect(out.counters()).toMatchObject({ invalid: 2, replayed: 2, spool_records: 0 }));
    // With NATS up, an unsendable batch is dropped at once.
    expect(await out.publish('events', [{ n: 2n }])).toBe('invalid');
    expect(out.counters().invalid).toBe(3);
  }, 60_000);

  it('refuses and counts batches once the spool is full, keeping the older ones', async () => {
    const url = `nats://127.0.0.1:${await freeTcpPort()}`;
    const { out } = await collector(url, spoolDir(), 4096);
    const outcomes = [];
    for (let i = 0; i < 10; i++) outcomes.push(await out.publish('events', events(i * 10, 10)));
    const spooled = outcomes.filter((o) => o === 'spooled').length;
    expect(spooled).toBeGreaterThan(0);
    expect(outcomes).toEqual([...Array(spooled).fill('spooled'), ...Array(10 - spooled).fill('overflow')]);
    expect(out.counters()).toMatchObject({ spooled, spool_records: spooled, overflow: 10 - spooled });
    expect(out.counters().spool_bytes).toBeLessThanOrEqual(4096);
  });
});
