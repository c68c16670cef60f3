import type { NormalizedEvent } from '../contracts/events.js';
import type { EventIntake, IntakeOutcome, OnSettled } from '../events/event-intake.js';
import type { Logger } from '../log/logger.js';
import type { PublishOutcome } from './spooled-publisher.js';

/** What `PublishedIntake` needs of `SpooledPublisher`. */
export interface EventBatchPublisher {
  publish(kind: 'events', batch: unknown[]): Promise<PublishOutcome>;
}

export interface PublishedIntakeOptions {
  /** Largest batch payload (JSON bytes); NATS' max_payload less some room for headers. */
  maxBatchBytes: () => number;
  /** Events accepted but not yet published or spooled; beyond it new ones are dropped (default 200,000). */
  maxPending?: number;
  /**
   * Batch merging: small submits (a syslog datagram, a few traps) wait up to this long for more before they
   * are published, so one NATS message carries many of them (default 50 ms; 0 = publish at the next turn).
   */
  lingerMs?: number;
  /** At most this many events in one batch; this many waiting are published at once (default 1,000). */
  maxEvents?: number;
  /** At most this many JSON bytes in one batch (and NATS' limit, `maxBatchBytes`); this many waiting are published at once (default 512 KiB). */
  maxBytes?: number;
  log?: Logger;
}

export const DEFAULT_LINGER_MS = 50;
export const DEFAULT_MAX_EVENTS = 1000;
export const DEFAULT_MAX_BYTES = 512 * 1024;

interface Call {
  onSettled?: OnSettled;
  /** Events of this call not settled yet; the call settles (with its worst outcome) when none are left. */
  unsettled: number;
  worst: IntakeOutcome;
}

interface Waiting {
  event: NormalizedEvent;
  /** JSON bytes + 1 (the comma), measured once at submit. */
  size: number;
  call: Call;
}

const RANK: Record<IntakeOutcome, number> = { committed: 0, dropped: 1, failed: 2 };
const encoder = new TextEncoder();

/**
 * A collector's `EventIntake`: what the syslog and trap listeners submit is gathered and published as
 * `events` batches through the `SpooledPublisher`. Batches are merged: submits wait up to `lingerMs`
 * (50 ms) for more, and are published at once when `maxEvents` (1,000) events or `maxBytes` (512 KiB)
 * are waiting; each batch holds at most `maxEvents` events and `min(maxBytes, maxBatchBytes())` bytes.
 * One batch is published at a time: what arrives while one is in flight waits and goes with the next
 * (so slow acks make fuller batches, not a queue of small ones). Order is kept (events in submit order,
 * batches one after the other), and each merged batch is one `publish`,
 * so it gets one msgId from the SpooledPublisher, kept with it in the spool: a batch published again
 * (lost ack, spool replay) is the same batch under the same id, stored once by JetStream's dedup and
 * the centre's `remote_batches`. `committed` means durable off this process's memory: JetStream acked the
 * batch (`direct`) or the spool fsynced it (`spooled`). `dropped`: too many pending, spool full
 * (`overflow`) or unsendable (`invalid`, e.g. one event bigger than a NATS message); `failed`: the spool's
 * disk write failed. So an INFORM is answered only once its event is durable.
 *
 * Counters: `submitted`, `published` (events directly to JetStream), `spooled`, `dropped`, `failed`, `pending`;
 * merging: `submits` (calls with events), `batches` (batches handed to the publisher: NATS messages or spool
 * records), `flushes_linger` (batches published because the linger ran out or `flush` was called),
 * `flushes_full` (because the count or byte limit was reached).
 */
export class PublishedIntake implements EventIntake {
  /** Submitted events not yet handed to the publisher, in submit order (`head` is the first). */
  private waiting: Waiting[] = [];
  private head = 0;
  private waitingBytes = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** The linger ran out (or `flush` was called): publish what waits without waiting for the limits. */
  private due = false;
  private pumping: Promise<void> | undefined;
  private pending = 0;
  private readonly stats = { submitted: 0, published: 0, spooled: 0, dropped: 0, failed: 0, submits: 0, batches: 0, flushes_linger: 0, flushes_full: 0 };

  constructor(
    private readonly publisher: EventBatchPublisher,
    private readonly opts: PublishedIntakeOptions,
  ) {}

  submit(events: NormalizedEvent[], onSettled?: OnSettled): void {
    const max = this.opts.maxPending ?? 200_000;
    if (events.length === 0) {
      if (onSettled) queueMicrotask(() => this.settle(onSettled, 'committed'));
      return;
    }
    if (this.pending + events.length > max) {
      this.stats.dropped += events.length;
      if (onSettled) queueMicrotask(() => this.settle(onSettled, 'dropped'));
      return;
    }
    this.stats.submitted += events.length;
    this.stats.submits++;
    this.pending += events.length;
    const call: Call = { onSettled, unsettled: events.length, worst: 'committed' };
    for (const event of events) {
      let size: number;
      try {
        size = encoder.encode(JSON.stringify(event)).length + 1;
      } catch {
        size = Number.POSITIVE_INFINITY; // not JSON: its batch is refused as invalid and counted
      }
      this.waiting.push({ event, size, call });
      this.waitingBytes += size;
    }
    if (this.full()) this.pump();
    else this.startLinger();
  }

  /** Publishes everything submitted so far without waiting for the linger; resolves once it has all settled. */
  async flush(): Promise<void> {
    while (this.waitingCount() > 0 || this.pumping) {
      if (this.waitingCount() > 0) this.due = true;
      this.pump();
      await this.pumping;
    }
  }

  counters(): Record<string, number> {
    return { ...this.stats, pending: this.pending };
  }

  private waitingCount(): number {
    return this.waiting.length - this.head;
  }

  private maxEvents(): number {
    return Math.max(1, this.opts.maxEvents ?? DEFAULT_MAX_EVENTS);
  }

  /** Bytes of one batch at most: the merging limit, and never more than NATS takes. */
  private maxBytes(): number {
    return Math.min(Math.max(1024, this.opts.maxBytes ?? DEFAULT_MAX_BYTES), Math.max(1024, this.opts.maxBatchBytes()));
  }

  private full(): boolean {
    return this.waitingCount() >= this.maxEvents() || this.waitingBytes >= this.maxBytes();
  }

  private startLinger(): void {
    if (this.timer || this.due || this.waitingCount() === 0) return;
    const linger = this.opts.lingerMs ?? DEFAULT_LINGER_MS;
    const due = () => {
      this.timer = undefined;
      this.due = true;
      this.pump();
    };
    this.timer = linger > 0 ? setTimeout(due, linger) : setImmediate(due);
  }

  private stopLinger(): void {
    if (!this.timer) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  /** Starts the publishing loop unless it runs (it picks up what was added meanwhile). */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = this.run()
      .catch((err: unknown) => this.opts.log?.error({ err }, 'publishing events failed'))
      .finally(() => {
        this.pumping = undefined;
        if (this.waitingCount() > 0 && (this.due || this.full())) this.pump();
        else this.startLinger();
      });
  }

  private async run(): Promise<void> {
    while (this.waitingCount() > 0 && (this.due || this.full())) {
      if (this.full()) this.stats.flushes_full++;
      else this.stats.flushes_linger++;
      const batch = this.take();
      if (this.waitingCount() === 0) {
        this.due = false;
        this.stopLinger();
      }
      await this.publishBatch(batch);
    }
  }

  /** The oldest waiting events, up to `maxEvents` and the byte limit (at least one). */
  private take(): Waiting[] {
    const limit = this.maxBytes();
    const maxEvents = this.maxEvents();
    let bytes = 2;
    let end = this.head;
    while (end < this.waiting.length && end - this.head < maxEvents) {
      const size = this.waiting[end]!.size;
      if (end > this.head && bytes + size > limit) break;
      bytes += size;
      end++;
    }
    const batch = this.waiting.slice(this.head, end);
    this.head = end;
    this.waitingBytes -= batch.reduce((n, w) => n + w.size, 0);
    // An event that is not JSON counts as infinitely big (its batch is refused as invalid): Infinity - Infinity is NaN.
    if (!Number.isFinite(this.waitingBytes)) this.waitingBytes = this.waiting.slice(end).reduce((n, w) => n + w.size, 0);
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
      this.waitingBytes = 0;
    } else if (this.head > 4096 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private async publishBatch(batch: Waiting[]): Promise<void> {
    const events = batch.map((w) => w.event);
    let outcome: IntakeOutcome;
    this.stats.batches++;
    try {
      const r = await this.publisher.publish('events', events);
      if (r === 'direct') this.stats.published += events.length;
      else if (r === 'spooled') this.stats.spooled += events.length;
      else this.stats.dropped += events.length;
      outcome = r === 'direct' || r === 'spooled' ? 'committed' : 'dropped';
    } catch (err) {
      this.stats.failed += events.length;
      this.opts.log?.error({ err, count: events.length }, 'events could not be spooled; not acknowledged');
      outcome = 'failed';
    }
    this.pending -= events.length;
    for (const { call } of batch) {
      if (RANK[outcome] > RANK[call.worst]) call.worst = outcome;
      if (--call.unsettled === 0 && call.onSettled) this.settle(call.onSettled, call.worst);
    }
  }

  private settle(onSettled: OnSettled, outcome: IntakeOutcome): void {
    try {
      onSettled(outcome);
    } catch (err) {
      this.opts.log?.error({ err, outcome }, 'intake settle callback failed');
    }
  }
}
