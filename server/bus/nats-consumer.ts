import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { NatsLink, type NatsLinkOptions } from './nats-link.js';
import { STREAM_NAME, parseSubject, MSG_ID_PATTERN, type BatchKind } from './nats-subjects.js';

/** One batch as a site published it. `items` is whatever the JSON array held: the handler validates each item. */
export interface ReceivedBatch {
  site: string;
  kind: BatchKind;
  /** The publisher's `Nats-Msg-Id`: the same batch delivered twice has the same id. */
  msgId: string;
  items: unknown[];
  /** Stream sequence. */
  seq: number;
  /** True when this batch was delivered before and not acked (handler failure, restart, ack lost). */
  redelivered: boolean;
}

/** Stores or forwards a batch; resolving acks it, rejecting makes it come back after `nakDelayMs`. */
export type BatchHandler = (batch: ReceivedBatch) => Promise<void>;

export interface NatsConsumerOptions extends NatsLinkOptions {
  /** Durable consumer name (default `netwatch-centre`); centre processes that share it share the work. */
  durable?: string;
  /** A batch whose handler failed is delivered again after this long (default 5000 ms). */
  nakDelayMs?: number;
  /** Unacked batches come back after this long; a running handler keeps its batch (default 30000 ms). */
  ackWaitMs?: number;
  /** Batches fetched ahead of the handler (default 16). */
  prefetch?: number;
  /**
   * Batches handled at once (default 16). Handlers are started in stream order (a handler that
   * hands its batch on synchronously, as the centre's does to the event writer, keeps that order)
   * and each batch is acked on its own once its handler resolved: one at a time, the ack round trip
   * and the store's commit wait capped the centre at ~45 batches a second.
   */
  concurrency?: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The centre's side: a durable pull consumer (explicit ack) over every
 * `netwatch.<site>.<kind>` subject. Each batch goes to the handler, started in
 * stream order, up to `concurrency` at once; it is acked only after its handler resolved
 * (at-least-once: the handler may see a batch again, with the same msgId), a
 * handler failure naks it with a delay. After a restart the durable consumer
 * resumes where it was. A message that is not a batch (bad subject, no
 * `Nats-Msg-Id`, not UTF-8 JSON, not an array) is counted in `invalid` and
 * terminated: never redelivered, never handed on.
 *
 *   const c = new NatsBatchConsumer(natsLinkOptions(config, log), async (b) => { ...store b.items... });
 *   await c.start(); ... c.counters(); await c.stop();
 *
 * Counters: `received`, `acked`, `redelivered`, `handler_errors`, `invalid`,
 * `ack_errors` (ack not confirmed: the batch will come again), `consume_errors`,
 * `bytes`, `lag` (batches in the stream not yet delivered, as of the last one), plus the link's.
 */
export class NatsBatchConsumer {
  readonly link: NatsLink;
  private readonly durable: string;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private received = 0;
  private acked = 0;
  private redelivered = 0;
  private handlerErrors = 0;
  private invalid = 0;
  private ackErrors = 0;
  private consumeErrors = 0;
  private bytes = 0;
  private lag = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private maxInFlight = 0;

  constructor(
    private readonly opts: NatsConsumerOptions,
    private readonly handler: BatchHandler,
  ) {
    this.link = new NatsLink(opts);
    this.durable = opts.durable ?? 'netwatch-centre';
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(this.durable)) throw new Error(`durable consumer name "${this.durable.slice(0, 80)}": use 1-64 letters, digits, "_" or "-"`);
  }

  /** Resolves once connected with the stream and the durable consumer in place; batches then flow to the handler. */
  async start(): Promise<void> {
    this.stopping = false;
    await this.link.start();
    await this.ensureConsumer();
    this.loop = this.run();
  }

  /** Stops fetching, lets the running handler finish (its batch is acked or naked), closes the link. */
  async stop(): Promise<void> {
    this.stopping = true;
    const closed = this.messages?.close().catch(() => undefined);
    await this.loop;
    await closed;
    await this.link.stop();
  }

  counters(): Record<string, number> {
    return {
      received: this.received,
      acked: this.acked,
      redelivered: this.redelivered,
      handler_errors: this.handlerErrors,
      invalid: this.invalid,
      ack_errors: this.ackErrors,
      consume_errors: this.consumeErrors,
      bytes: this.bytes,
      lag: this.lag,
      in_flight: this.inFlight.size,
      max_in_flight: this.maxInFlight,
      ...this.link.counters(),
    };
  }

  private async ensureConsumer(): Promise<void> {
    const jsm = this.link.manager();
    const ackWait = (this.opts.ackWaitMs ?? 30_000) * 1e6;
    try {
      const info = await jsm.consumers.info(STREAM_NAME, this.durable);
      if (info.config.ack_wait !== ackWait) await jsm.consumers.update(STREAM_NAME, this.durable, { ack_wait: ackWait });
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw new Error(`NATS consumer ${this.durable}: ${(err as Error).message}`, { cause: err });
      await jsm.consumers.add(STREAM_NAME, {
        durable_name: this.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: ackWait,
        max_deliver: -1,
      });
      this.opts.log?.info({ stream: STREAM_NAME, durable: this.durable }, 'created the NATS consumer');
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        const consumer = await this.link.jetstream().consumers.get(STREAM_NAME, this.durable);
        const messages = await consumer.consume({ max_messages: this.opts.prefetch ?? 16 });
        this.messages = messages;
        this.watch(messages);
        // close() settles only once the iterator below has ended: never await it before iterating.
        if (this.stopping) void messages.close().catch(() => undefined);
        const limit = Math.max(1, this.opts.concurrency ?? 16);
        for await (const m of messages) {
          const p: Promise<void> = this.handle(m).finally(() => this.inFlight.delete(p));
          this.inFlight.add(p);
          if (this.inFlight.size > this.maxInFlight) this.maxInFlight = this.inFlight.size;
          if (this.inFlight.size >= limit) await Promise.race(this.inFlight);
          if (this.stopping) break;
        }
        await Promise.all(this.inFlight);
      } catch (err) {
        await Promise.all(this.inFlight);
        if (this.stopping) break;
        this.consumeErrors++;
        this.opts.log?.warn({ err, durable: this.durable }, 'NATS consume failed; trying again');
      }
      if (this.stopping) break;
      // The iterator ended without stop(): wait, make sure of the consumer, consume again.
      await sleep(1000);
      if (this.stopping) break;
      await this.link
        .ensureStream()
        .then(() => this.ensureConsumer())
        .catch((err) => this.opts.log?.warn({ err }, 'could not make sure of the NATS stream and consumer'));
    }
  }

  /** The client keeps pulling from a consumer or stream that is gone; end the iterator so run() makes them again. */
  private watch(messages: ConsumerMessages): void {
    void (async () => {
      for await (const s of messages.status()) {
        if (s.type === 'consumer_deleted' || s.type === 'consumer_not_found' || s.type === 'stream_not_found') {
          this.opts.log?.warn({ status: s.type, durable: this.durable }, 'NATS consumer or stream gone; making it again');
          this.consumeErrors++;
          void messages.close().catch(() => undefined);
          return;
        }
      }
    })().catch(() => undefined);
  }

  private async handle(m: JsMsg): Promise<void> {
    this.received++;
    if (m.redelivered) this.redelivered++;
    this.lag = m.info.pending;
    const batch = this.decode(m);
    if (!batch) {
      this.invalid++;
      m.term();
      return;
    }
    this.bytes += m.data.length;
    // A handler slower than ack_wait keeps its batch instead of it being sent again meanwhile.
    const keep = setInterval(() => m.working(), Math.max(100, Math.floor((this.opts.ackWaitMs ?? 30_000) / 3)));
    let ok = false;
    try {
      await this.handler(batch);
      ok = true;
    } catch (err) {
      this.handlerErrors++;
      this.opts.log?.warn({ err, site: batch.site, kind: batch.kind, msgId: batch.msgId }, 'batch handler failed; the batch comes again');
      m.nak(this.opts.nakDelayMs ?? 5000);
    } finally {
      clearInterval(keep);
    }
    if (!ok) return;
    try {
      if (await m.ackAck()) this.acked++;
      else this.ackErrors++;
    } catch (err) {
      this.ackErrors++;
      this.opts.log?.warn({ err, msgId: batch.msgId }, 'ack of a batch not confirmed; it may come again');
    }
  }

  private decode(m: JsMsg): ReceivedBatch | undefined {
    const where = parseSubject(m.subject);
    const msgId = m.headers?.get('Nats-Msg-Id') ?? '';
    if (!where || !MSG_ID_PATTERN.test(msgId)) return undefined;
    let items: unknown;
    try {
      items = JSON.parse(decoder.decode(m.data));
    } catch {
      return undefined;
    }
    if (!Array.isArray(items)) return undefined;
    return { site: where.site, kind: where.kind, msgId, items, seq: m.seq, redelivered: m.redelivered };
  }
}
