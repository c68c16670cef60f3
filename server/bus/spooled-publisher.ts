import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from '../config/config.schema.js';
import type { Logger } from '../log/logger.js';
import { BatchSpool, type BatchSpoolOptions } from './batch-spool.js';
import { NatsPublishError, type PublishResult } from './nats-publisher.js';
import { isBatchKind, siteProblem, type BatchKind } from './nats-subjects.js';

/** What `SpooledPublisher` needs of `NatsBatchPublisher`. */
export interface BatchPublisher {
  publishBatch(kind: BatchKind, batch: unknown[], msgId: string): Promise<PublishResult>;
}

export interface SpooledPublisherOptions {
  /** This collector's site: the first part of every msgId. */
  site: string;
  /** First pause after a failed replay; doubles up to `retryMaxMs` (default 200 ms). */
  retryMinMs?: number;
  /** Longest pause between replay attempts while NATS is away (default 5000 ms). */
  retryMaxMs?: number;
  log?: Logger;
}

/** Where a batch went: stored by NATS, kept in the spool, refused (spool full), or dropped as unsendable. */
export type PublishOutcome = 'direct' | 'spooled' | 'overflow' | 'invalid';

/** The spool of a collector from its config: `<dataDir>/spool`, `spoolMaxBytes`. */
export function spoolOptions(config: Config, log?: Logger): BatchSpoolOptions {
  return { dir: join(config.dataDir, 'spool'), maxBytes: config.spoolMaxBytes, log };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A collector's way to send batches: straight to JetStream while NATS takes
 * them, into the local `BatchSpool` while it does not, replayed oldest first
 * when it is back.
 *
 *   const spool = BatchSpool.open(spoolOptions(config, log));
 *   const out = new SpooledPublisher(natsPublisher, spool, { site: config.site, log });
 *   out.start();                                   // replays what a previous run left
 *   await out.publish('events', batch);            // 'direct' | 'spooled' | 'overflow' | 'invalid'
 *   await out.stop();                              // then natsPublisher.stop(), spool.close()
 *
 * Order: batches are published one at a time in the order `publish` was
 * called; while anything is spooled (or being replayed) new batches go to the
 * spool behind it, so none overtakes an older one. Each batch gets a msgId
 * `<site>:<boot id>:<sequence>` (the boot id is random per process start), so
 * ids never repeat across collectors or restarts and a replayed batch that
 * NATS had already stored is stored once.
 *
 * NATS `unavailable` or `refused` → spooled (the replay loop retries with
 * backoff, `retryMinMs` doubling to `retryMaxMs`); `invalid` (not JSON, too big
 * for NATS) → counted in `invalid`, logged, dropped — never spooled forever.
 *
 * Counters: `published_direct`, `spooled`, `replayed`, `invalid`,
 * `replay_failures`, `replaying` (1 while the replay loop runs), plus the spool's `spool_bytes`, `spool_records`,
 * `overflow`, `torn_dropped`, ….
 */
export class SpooledPublisher {
  private readonly bootId = randomBytes(8).toString('hex');
  private seq = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private draining: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private stopping = false;
  private publishedDirect = 0;
  private spooled = 0;
  private replayed = 0;
  private invalid = 0;
  private replayFailures = 0;

  constructor(
    private readonly publisher: BatchPublisher,
    private readonly spool: BatchSpool,
    private readonly opts: SpooledPublisherOptions,
  ) {
    const problem = siteProblem(opts.site);
    if (problem) throw new Error(`site: ${problem}`);
  }

  /** Starts replaying what the spool holds from an earlier run (if anything). */
  start(): void {
    this.stopping = false;
    this.ensureDrain();
  }

  /** Stops replaying (the record being sent finishes) and waits for publishes in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.chain;
    await this.draining;
  }

  /** Publishes one batch (in call order). Resolves with where it went; rejects only when the spool's disk write fails. */
  publish(kind: BatchKind, batch: unknown[]): Promise<PublishOutcome> {
    const run = this.chain.then(() => this.publishOne(kind, batch));
    this.chain = run.catch(() => undefined);
    return run;
  }

  counters(): Record<string, number> {
    return {
      published_direct: this.publishedDirect,
      spooled: this.spooled,
      replayed: this.replayed,
      invalid: this.invalid,
      replay_failures: this.replayFailures,
      replaying: this.draining ? 1 : 0,
      ...this.spool.counters(),
    };
  }

  private async publishOne(kind: BatchKind, batch: unknown[]): Promise<PublishOutcome> {
    if (!isBatchKind(kind) || !Array.isArray(batch)) return this.drop('not a batch kind and an array', kind);
    const msgId = `${this.opts.site}:${this.bootId}:${++this.seq}`;
    if (!this.stopping && this.spool.records === 0 && !this.draining) {
      try {
        await this.publisher.publishBatch(kind, batch, msgId);
        this.publishedDirect++;
        return 'direct';
      } catch (err) {
        if (!(err instanceof NatsPublishError)) throw err;
        if (err.code === 'invalid') return this.drop(err.message, kind, msgId, err);
        this.opts.log?.debug({ err, msgId }, 'NATS did not take the batch; spooling it');
      }
    }
    let payload: Uint8Array;
    try {
      payload = encoder.encode(JSON.stringify(batch));
    } catch (err) {
      return this.drop(`the batch cannot be encoded as JSON: ${(err as Error).message}`, kind, msgId, err);
    }
    const kept = await this.spool.append(kind, msgId, payload);
    if (!kept) {
      this.opts.log?.warn({ msgId, kind, overflow: this.spool.counters().overflow }, 'spool full: batch refused');
      return 'overflow';
    }
    this.spooled++;
    this.ensureDrain();
    return 'spooled';
  }

  private drop(reason: string, kind: unknown, msgId?: string, err?: unknown): 'invalid' {
    this.invalid++;
    this.opts.log?.error({ err, kind: String(kind), msgId, reason }, 'batch cannot be published; dropped');
    return 'invalid';
  }

  private ensureDrain(): void {
    if (this.draining || this.stopping || this.spool.records === 0) return;
    this.draining = this.drain()
      .catch((err) => this.opts.log?.error({ err }, 'spool replay stopped'))
      .finally(() => {
        this.draining = undefined;
        // An append that finished while the loop was ending.
        if (!this.stopping && this.spool.records > 0) this.ensureDrain();
      });
  }

  private async drain(): Promise<void> {
    const min = this.opts.retryMinMs ?? 200;
    const max = this.opts.retryMaxMs ?? 5000;
    let pause = min;
    while (!this.stopping) {
      let r;
      try {
        r = await this.spool.peek();
      } catch (err) {
        // A disk error: keep the records, try again later rather than spin.
        this.replayFailures++;
        this.opts.log?.error({ err }, 'spool replay: cannot read the spool; trying again');
        await this.sleep(max);
        continue;
      }
      if (!r) return;
      let items: unknown;
      try {
        items = JSON.parse(decoder.decode(r.payload));
      } catch {
        items = undefined;
      }
      if (!Array.isArray(items)) {
        this.drop('spooled payload is not a JSON array', r.kind, r.msgId);
        await this.spool.ack();
        continue;
      }
      try {
        await this.publisher.publishBatch(r.kind, items, r.msgId);
        this.replayed++;
        pause = min;
        await this.spool.ack();
      } catch (err) {
        if (err instanceof NatsPublishError && err.code === 'invalid') {
          this.drop(err.message, r.kind, r.msgId, err);
          await this.spool.ack();
          continue;
        }
        if (this.stopping) return;
        this.replayFailures++;
        if (this.replayFailures === 1 || this.replayFailures % 100 === 0) this.opts.log?.warn({ err, msgId: r.msgId, records: this.spool.records }, 'spool replay: NATS did not take the batch; trying again');
        await this.sleep(pause);
        pause = Math.min(max, pause * 2);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
