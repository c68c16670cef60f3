import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NatsBatchConsumer, type ReceivedBatch } from '../../../server/bus/nats-consumer.js';
import type { NatsLinkOptions } from '../../../server/bus/nats-link.js';
import { NatsBatchPublisher } from '../../../server/bus/nats-publisher.js';
import { PROJECT_ROOT } from '../../../server/paths.js';
import { natsServerAvailable, startNatsServer, type NatsServerHandle } from '../../helpers/nats-server.js';

const link = (server: NatsServerHandle, site: string): NatsLinkOptions => ({ servers: [server.url], site, streamMaxBytes: 64 * 2 ** 20, duplicateWindowMs: 120_000, reconnectWaitMs: 100 });
const until = (check: () => void | Promise<void>, timeout = 20_000) => vi.waitFor(check, { timeout, interval: 50 });

/**
 * One evaluation per event with several central nodes: every node consumes collector batches
 * through the same durable pull consumer (`netwatch-centre`), so JetStream hands each batch to one
 * of them. A real nats-server, real consumers (one in a child process that is killed).
 */
describe.skipIf(!natsServerAvailable())('central nodes sharing the durable consumer netwatch-centre', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  const publisher = async (server: NatsServerHandle) => {
    const pub = new NatsBatchPublisher({ ...link(server, 'branch-1'), ackTimeoutMs: 5000 });
    await pub.start();
    cleanups.push(() => pub.stop());
    return pub;
  };
  const consumer = async (server: NatsServerHandle, got: ReceivedBatch[], ackWaitMs?: number) => {
    // A handler that takes a moment, like storing a batch: the other node's pulls get their turn.
    const c = new NatsBatchConsumer({ ...link(server, 'central'), ackWaitMs }, async (b) => {
      got.push(b);
      await new Promise((r) => setTimeout(r, 5));
    });
    await c.start();
    cleanups.push(() => c.stop());
    return c;
  };

  it('each batch goes to one node; together they get all of them', async () => {
    const server = await startNatsServer();
    cleanups.push(() => server.stop());
    const gotA: ReceivedBatch[] = [];
    const gotB: ReceivedBatch[] = [];
    const a = await consumer(server, gotA);
    const b = await consumer(server, gotB);
    const pub = await publisher(server);
    const N = 400;
    for (let i = 0; i < N; i++) await pub.publishBatch('events', [{ n: i }], `branch-1:boot:${i}`);
    await until(() => expect(a.counters().acked + b.counters().acked).toBe(N));
    const idsA = new Set(gotA.map((x) => x.msgId));
    const idsB = new Set(gotB.map((x) => x.msgId));
    expect(gotA.length + gotB.length).toBe(N);
    expect([...idsA].filter((id) => idsB.has(id))).toEqual([]);
    expect(new Set([...idsA, ...idsB]).size).toBe(N);
    // Both nodes did a share of the work.
    expect(gotA.length).toBeGreaterThan(0);
    expect(gotB.length).toBeGreaterThan(0);
    expect(a.counters().redelivered + b.counters().redelivered).toBe(0);
  }, 60_000);

  it('the batches a killed node had not acknowledged go to another node after ack_wait', async () => {
    const server = await startNatsServer();
    cleanups.push(() => server.stop());
    const ackWaitMs = 3000;
    // Node K: takes batches and never finishes them (killed mid-batch).
    const k: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/cluster/consumer-node.ts', server.url, String(ackWaitMs)], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((r) => k.once('exit', () => r()));
    cleanups.push(async () => {
      if (k.exitCode === null && k.signalCode === null) k.kill('SIGKILL');
      await exited;
    });
    const heldByK: string[] = [];
    let kReady = false;
    createInterface({ input: k.stdout! }).on('line', (l) => {
      const m = JSON.parse(l) as { msgId?: string; ready?: boolean };
      if (m.ready) kReady = true;
      if (m.msgId) heldByK.push(m.msgId);
    });
    await until(() => expect(kReady).toBe(true));
    const pub = await publisher(server);
    // Fewer than K fetches ahead (16): K gets them all.
    for (let i = 0; i < 8; i++) await pub.publishBatch('events', [{ n: i }], `branch-1:boot:k${i}`);
    await until(() => expect(heldByK).toHaveLength(8));

    // Node B joins; more batches go to either node. K keeps what it holds (its handler is still running
    // and says so to NATS), so B gets none of those while K lives.
    const gotB: ReceivedBatch[] = [];
    const b = await consumer(server, gotB, ackWaitMs);
    for (let i = 0; i < 8; i++) await pub.publishBatch('events', [{ n: i }], `branch-1:boot:after${i}`);
    await until(() => expect(heldByK.length + gotB.length).toBe(16));
    expect(gotB.filter((x) => heldByK.includes(x.msgId))).toEqual([]);

    k.kill('SIGKILL');
    await exited;
    const killedHeld = [...heldByK];
    // After ack_wait, every batch K had taken comes to B, marked as redelivered; none is lost, none doubled.
    await until(() => expect(gotB).toHaveLength(16), 30_000);
    expect(gotB.filter((x) => x.redelivered).map((x) => x.msgId).sort()).toEqual(killedHeld.sort());
    expect(new Set(gotB.map((x) => x.msgId)).size).toBe(16);
    await until(() => expect(b.counters().acked).toBe(16));
  }, 90_000);
});
