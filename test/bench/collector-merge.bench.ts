/**
 * Collector batch merging (issue 15): a collector's real publishing path in this process — `PublishedIntake` ->
 * `SpooledPublisher` (spool in a temp dir) -> `NatsBatchPublisher` -> a real nats-server with JetStream — fed the
 * way a quiet listener feeds it: many small batches. Side by side: `before` (the reference: PublishedIntake before
 * merging, lib/published-intake-before.ts: each turn of the event loop one batch), `lingerMs` 0 (no linger; what
 * arrives while a batch is in flight is merged into the next) and 50 (the default); other limits at their defaults.
 *
 * - paced: BENCH_RATE small batches/s (default 2,000) of one event each for BENCH_SECONDS (default 5): NATS
 *   messages (the stream's sequence), events per message, and submit -> durable (JetStream ack) latency p50/p99.
 * - burst: BENCH_BURST batches of 5 events (default 10,000), one per turn of the event loop, as fast as they go:
 *   events/s until all are acked, NATS messages.
 * One JSON line per figure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { BatchSpool } from '../../server/bus/batch-spool.js';
import { NatsBatchPublisher } from '../../server/bus/nats-publisher.js';
import { STREAM_NAME } from '../../server/bus/nats-subjects.js';
import { PublishedIntake } from '../../server/bus/published-intake.js';
import { SpooledPublisher } from '../../server/bus/spooled-publisher.js';
import type { NormalizedEvent } from '../../server/contracts/events.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { PublishedIntakeBefore } from './lib/published-intake-before.js';

const RATE = Number(process.env.BENCH_RATE ?? 2000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const BURST = Number(process.env.BENCH_BURST ?? 10_000);

const nats = await startNatsServer();
const spy = await connect({ servers: nats.url });
const lastSeq = async () => (await (await jetstreamManager(spy)).streams.info(STREAM_NAME)).state.last_seq;

const line = (i: number): NormalizedEvent => ({
  receivedAt: Date.now(), reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.10', deviceId: null, severity: 'info', type: 'bench-edge',
  message: `%LINK-3-UPDOWN: Interface GigabitEthernet0/${i % 48}, changed state to down (bench line ${i})`, params: { facility: 'local7', host: 'edge-sw1' },
});

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'collector-merge', ...o })}\n`);

type Variant = 'before' | 0 | 50;

async function path(variant: Variant) {
  const dir = mkdtempSync(join(tmpdir(), 'nw-bench-merge-'));
  const publisher = new NatsBatchPublisher({ servers: [nats.url], site: 'bench-site', streamMaxBytes: 512 * 2 ** 20, duplicateWindowMs: 120_000 });
  await publisher.start();
  const spool = BatchSpool.open({ dir, maxBytes: 256 * 2 ** 20 });
  const spooled = new SpooledPublisher(publisher, spool, { site: 'bench-site' });
  spooled.start();
  const maxBatchBytes = () => publisher.link.maxPayload() - 4096;
  const intake = variant === 'before' ? new PublishedIntakeBefore(spooled, { maxBatchBytes }) : new PublishedIntake(spooled, { maxBatchBytes, lingerMs: variant });
  return {
    intake,
    async close() {
      await intake.flush();
      await spooled.stop();
      await publisher.stop();
      await spool.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

for (const variant of ['before', 0, 50] as const) {
  const lingerMs = variant; // 'before' = the reference
  // paced
  {
    const p = await path(variant);
    const seq0 = await lastSeq();
    const latencies: number[] = [];
    let bad = 0;
    const total = RATE * SECONDS;
    const t0 = performance.now();
    for (let i = 0; i < total; ) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * RATE) / 1000));
      for (; i < due; i++) {
        const at = performance.now();
        p.intake.submit([line(i)], (o) => (o === 'committed' ? latencies.push(performance.now() - at) : bad++));
        await turn();
      }
      await sleep(1);
    }
    await p.intake.flush();
    const messages = (await lastSeq()) - seq0;
    await p.close();
    latencies.sort((a, b) => a - b);
    emit({ figure: 'paced', lingerMs, rate: RATE, seconds: SECONDS, events: total, submits: total, natsMessages: messages, eventsPerMessage: +(total / messages).toFixed(1), notCommitted: bad, durableP50Ms: +pct(latencies, 50).toFixed(1), durableP99Ms: +pct(latencies, 99).toFixed(1) });
  }
  // burst
  {
    const p = await path(variant);
    const seq0 = await lastSeq();
    let done = 0;
    const t0 = performance.now();
    for (let i = 0; i < BURST; i++) {
      p.intake.submit([line(i * 5), line(i * 5 + 1), line(i * 5 + 2), line(i * 5 + 3), line(i * 5 + 4)], () => done++);
      await turn();
    }
    await p.intake.flush();
    const seconds = (performance.now() - t0) / 1000;
    const messages = (await lastSeq()) - seq0;
    await p.close();
    emit({ figure: 'burst', lingerMs, events: BURST * 5, submits: BURST, settled: done, natsMessages: messages, eventsPerMessage: +((BURST * 5) / messages).toFixed(1), eventsPerSec: Math.round((BURST * 5) / seconds) });
  }
}

await spy.close();
await nats.stop();
