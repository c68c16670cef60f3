import type { HeartbeatSink } from '../contracts/collectors.js';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchSpool } from '../bus/batch-spool.js';
import { NatsBatchConsumer, type ReceivedBatch } from '../bus/nats-consumer.js';
import { natsLinkOptions } from '../bus/nats-link.js';
import { NatsBatchPublisher } from '../bus/nats-publisher.js';
import { HEARTBEAT_SUBSCRIPTION, heartbeatSubject } from '../bus/nats-subjects.js';
import { collectorId } from '../bus/node-identity.js';
import { collectorKeys } from '../remote/sealed-secret.js';
import { PublishedIntake } from '../bus/published-intake.js';
import { SpooledPublisher, spoolOptions } from '../bus/spooled-publisher.js';
import { HEARTBEAT_INTERVAL_MS, type CollectorHeartbeat } from '../contracts/collectors.js';
import { submitDurably, type EventIntake } from '../events/event-intake.js';
import { checkRemoteEvents } from '../events/remote-event.schema.js';
import { Late, type AppContext, type Module } from './module.js';

/** Where the centre hands collector heartbeats (the collector registry validates and stores them). */
export type { HeartbeatSink };

export interface TransportDeps {
  /** `collector`: publish events and heartbeats; `centre`: consume batches and heartbeats. */
  side: 'collector' | 'centre';
  version: string;
  /** Centre: where consumed events go (the events module's writer). */
  writer?: () => EventIntake;
  /** Centre: who takes heartbeats (absent or null: they are counted and dropped). */
  heartbeats?: () => HeartbeatSink | null;
  /** Collector: pause between heartbeats (default HEARTBEAT_INTERVAL_MS). */
  heartbeatIntervalMs?: number;
}

export interface TransportModule extends Module {
  /** Collector: the EventIntake the listeners submit to (durable once JetStream or the spool has it). */
  readonly intake: EventIntake;
}

/** Heartbeats larger than this are dropped and counted. */
export const MAX_HEARTBEAT_BYTES = 65_536;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

interface CollectorSide {
  kind: 'collector';
  publisher: NatsBatchPublisher;
  spool: BatchSpool;
  spooled: SpooledPublisher;
  intake: PublishedIntake;
  timer: NodeJS.Timeout | undefined;
  /** This collector's X25519 public key (the centre seals secrets for it). */
  publicKey: string;
}
interface CentreSide {
  kind: 'centre';
  consumer: NatsBatchConsumer;
  unsubscribe: () => void;
}

/**
 * The NATS link between a site's collector and the centre (started only when `natsUrl` is set).
 *
 * Collector: events go through a `PublishedIntake` -> `SpooledPublisher` (spool in `<dataDir>/spool`)
 * -> JetStream `netwatch.<site>.events`; a `CollectorHeartbeat` goes every interval on core NATS
 * `netwatch.<site>.heartbeat` (fire and forget; not a stream subject). Neither waits for NATS to start:
 * while it is away, events are spooled and heartbeats skipped.
 *
 * Centre: a durable `NatsBatchConsumer`; an `events` batch is checked event by event (bad ones dropped
 * and counted) and submitted to the writer; the batch is acked once committed, naked (and comes again)
 * when the writer drops or fails it. Heartbeats from every site go to `deps.heartbeats()`.
 */
export function transportModule(ctx: AppContext, deps: TransportDeps): TransportModule {
  const { config } = ctx;
  const log = ctx.log('transport');
  const side = new Late<CollectorSide | CentreSide>('the NATS transport');
  const stats = { remote_events: 0, invalid_events: 0, invalid_batches: 0, unhandled_batches: 0, heartbeats_sent: 0, heartbeats_skipped: 0, heartbeats_received: 0, heartbeats_invalid: 0, heartbeats_unclaimed: 0 };
  const startedAt = Date.now();
  let startup: Promise<void> = Promise.resolve();
  const stopped = new AbortController();

  /** Runs `start` until it succeeds or the module stops (a stream that cannot be made now may be makeable later). */
  async function keepStarting(what: string, start: () => Promise<void>): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await start();
        return true;
      } catch (err) {
        if (stopped.signal.aborted) return false;
        if (attempt % 12 === 0) log.error({ err }, `${what} did not start; trying again every 5 s`);
        await sleep(5000, undefined, { signal: stopped.signal }).catch(() => undefined);
        if (stopped.signal.aborted) return false;
      }
    }
  }

  async function handleBatch(batch: ReceivedBatch): Promise<void> {
    if (batch.kind !== 'events') {
      // Nothing publishes samples/status/neighbours yet (polling at collectors comes later): ack and count.
      stats.unhandled_batches++;
      return;
    }
    const checked = checkRemoteEvents(batch.items);
    if (checked.invalid > 0) {
      stats.invalid_events += checked.invalid;
      if (checked.events.length === 0) stats.invalid_batches++;
      log.warn({ site: batch.site, msgId: batch.msgId, invalid: checked.invalid, kept: checked.events.length, reasons: checked.reasons }, 'invalid events in a batch from a collector: dropped');
    }
    if (checked.events.length === 0) return;
    const outcome = await submitDurably(deps.writer!(), checked.events);
    if (outcome !== 'committed') throw new Error(`the event writer ${outcome === 'dropped' ? 'is full (dropped)' : 'failed'}: ${checked.events.length} events not stored`);
    stats.remote_events += checked.events.length;
  }

  function onHeartbeat(_subject: string, data: Uint8Array): void {
    stats.heartbeats_received++;
    if (data.length > MAX_HEARTBEAT_BYTES) {
      stats.heartbeats_invalid++;
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(data));
    } catch {
      stats.heartbeats_invalid++;
      return;
    }
    const sink = deps.heartbeats?.() ?? null;
    if (!sink) {
      stats.heartbeats_unclaimed++;
      return;
    }
    sink.heartbeat(parsed, null);
  }

  function sendHeartbeat(s: CollectorSide, id: string): void {
    const spool = s.spool.counters();
    const h: CollectorHeartbeat = {
      id,
      site: config.site,
      version: deps.version,
      hostname: hostname(),
      startedAt,
      sentAt: Date.now(),
      counters: ctx.metrics.snapshot(),
      spoolRecords: spool.spool_records ?? 0,
      spoolBytes: spool.spool_bytes ?? 0,
      publicKey: s.publicKey,
    };
    if (s.publisher.link.publishCore(heartbeatSubject(config.site), encoder.encode(JSON.stringify(h)))) stats.heartbeats_sent++;
    else stats.heartbeats_skipped++;
  }

  return {
    name: 'transport',
    get intake() {
      const s = side.get();
      if (s.kind !== 'collector') throw new Error('the transport takes events only at a collector');
      return s.intake;
    },
    async start() {
      const linkOpts = natsLinkOptions(config, log);
      if (deps.side === 'collector') {
        const id = collectorId(config.dataDir);
        const spool = BatchSpool.open(spoolOptions(config, ctx.log('spool')));
        const publisher = new NatsBatchPublisher(linkOpts);
        const spooled = new SpooledPublisher(publisher, spool, { site: config.site, log });
        // Room for the headers and the JSON array around the events.
        const intake = new PublishedIntake(spooled, { maxBatchBytes: () => publisher.link.maxPayload() - 4096, log });
        const s: CollectorSide = { kind: 'collector', publisher, spool, spooled, intake, timer: undefined, publicKey: collectorKeys(config.dataDir).publicKey };
        side.set(s);
        spooled.start();
        // Not awaited: a collector takes (and spools) events while NATS is away.
        startup = keepStarting('the NATS link (events stay in the spool meanwhile)', () => publisher.start()).then((ok) => {
          if (ok && !stopped.signal.aborted) sendHeartbeat(s, id);
        });
        s.timer = setInterval(() => sendHeartbeat(s, id), deps.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
        s.timer.unref();
        log.info({ site: config.site, id, spool: spoolOptions(config).dir }, 'collector transport started: events go to NATS (spooled while it is away)');
      } else {
        const consumer = new NatsBatchConsumer(linkOpts, handleBatch);
        const s: CentreSide = { kind: 'centre', consumer, unsubscribe: () => {} };
        side.set(s);
        startup = keepStarting('the NATS consumer', () => consumer.start()).then((ok) => {
          if (!ok || stopped.signal.aborted) return;
          s.unsubscribe = consumer.link.subscribeCore(HEARTBEAT_SUBSCRIPTION, onHeartbeat);
          log.info({ site: config.site }, 'centre transport started: consuming collector batches and heartbeats');
        });
      }
    },
    async stop() {
      stopped.abort();
      const s = side.get();
      if (s.kind === 'collector') {
        clearInterval(s.timer);
        await s.intake.flush();
        await s.spooled.stop();
        await s.publisher.stop();
        await startup;
        await s.spool.close();
      } else {
        s.unsubscribe();
        await s.consumer.stop();
        await startup;
      }
    },
    counters() {
      const s = side.get();
      if (s.kind === 'collector') {
        return [
          { name: 'transport', counters: () => ({ heartbeats_sent: stats.heartbeats_sent, heartbeats_skipped: stats.heartbeats_skipped, ...s.intake.counters() }) },
          { name: 'nats_publisher', counters: () => s.publisher.counters() },
          { name: 'spool', counters: () => s.spooled.counters() },
        ];
      }
      return [
        { name: 'transport', counters: () => ({ remote_events: stats.remote_events, invalid_events: stats.invalid_events, invalid_batches: stats.invalid_batches, unhandled_batches: stats.unhandled_batches, heartbeats_received: stats.heartbeats_received, heartbeats_invalid: stats.heartbeats_invalid, heartbeats_unclaimed: stats.heartbeats_unclaimed }) },
        { name: 'nats_consumer', counters: () => s.consumer.counters() },
      ];
    },
  };
}
