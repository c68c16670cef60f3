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
  count: number;
  onSettled?: OnSettled;
  /** Chunks holding events of this call that have not settled yet. */
  open: number;
  worst: IntakeOutcome;
}

interface Chunk {
  events: NormalizedEvent[];
  calls: Set<Call>;
}

const RANK: Record<IntakeOutcome, number> = { committed: 0, dropped: 1, failed: 2 };
const encoder = new TextEncoder();

/**
 * A collector's `EventIntake`: what the syslog and trap listeners submit is gathered and published as
 * `events` batches through the `SpooledPublisher`. Batches are merged: submits wait up to `lingerMs`
 * (50 ms) for more, and are published at once when `maxEvents` (1,000) events or `maxBytes` (512 KiB)
 * are waiting; each batch holds at most `maxEvents` events and `min(maxBytes, maxBatchBytes())` bytes.
 * Order is kept (one publish chain, events in submit order), and each merged batch is one `publish`,
 * so it gets one msgId from the SpooledPublisher, kept with it in the spool: a batch published again
 * (lost ack, spool replay) is the same batch under the same id, stored once by JetStream's dedup and
 * the centre's `remote_batches`. `committed` means durable off this process's memory: JetStream acked the
 * batch (`direct`) or the spool fsynced it (`spooled`). `dropped`: too many pending, spool full
 * (`overflow`) or unsendable (`invalid`, e.g. one event bigger than a NATS message); `failed`: the spool's
 * disk write failed. So an INFORM is answered only once its event is durable.
 *
 * Counters: `submitted`, `published` (events directly to JetStream), `spooled`, `dropped`, `failed`, `pending`;
 * merging: `submits` (calls with events), `batches` (batches handed to the publisher: NATS messages or spool
 * records), `flushes_linger` (published when the linger ran out), `flushes_full` (when the count or byte limit was reached).
 */
export class PublishedIntake implements EventIntake {
  private calls: Call[] = [];
  private events: NormalizedEvent[] = [];
  /** JSON size (+1 for the comma) of each event in `events`, measured once at submit. */
  private sizes: number[] = [];
  private waitingBytes = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private pending = 0;
  private inFlight: Promise<void> = Promise.resolve();
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
    this.calls.push({ count: events.length, onSettled, open: 0, worst: 'committed' });
    for (const e of events) {
      let size: number;
      try {
        size = encoder.encode(JSON.stringify(e)).length + 1;
      } catch {
        size = Number.POSITIVE_INFINITY; // not JSON: its batch is refused as invalid and counted
      }
      this.events.push(e);
      this.sizes.push(size);
      this.waitingBytes += size;
    }
    if (this.events.length >= this.maxEvents() || this.waitingBytes >= this.maxBytes()) {
      this.stats.flushes_full++;
      void this.flush();
    } else if (!this.timer) {
      const linger = this.opts.lingerMs ?? DEFAULT_LINGER_MS;
      const due = () => {
        this.stats.flushes_linger++;
        void this.flush();
      };
      this.timer = linger > 0 ? setTimeout(due, linger) : setImmediate(due);
    }
  }

  /** Publishes what is gathered; resolves once everything submitted so far is settled. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = undefined;
    }
    const calls = this.calls;
    const events = this.events;
    const sizes = this.sizes;
    this.calls = [];
    this.events = [];
    this.sizes = [];
    this.waitingBytes = 0;
    if (events.length > 0) {
      // Chunked now, in submit order; published in that order behind the batches before them.
      const chunks = this.chunk(calls, events, sizes);
      const done = this.inFlight.then(() => this.publishAll(chunks)).catch((err: unknown) => this.opts.log?.error({ err }, 'publishing events failed'));
      this.inFlight = done;
    }
    return this.inFlight;
  }

  counters(): Record<string, number> {
    return { ...this.stats, pending: this.pending };
  }

  private maxEvents(): number {
    return Math.max(1, this.opts.maxEvents ?? DEFAULT_MAX_EVENTS);
  }

  private maxBytes(): number {
    return Math.max(1024, this.opts.maxBytes ?? DEFAULT_MAX_BYTES);
  }

  /** Batches of at most `maxEvents` events and the byte limit; each remembers the calls it holds events of. */
  private chunk(calls: Call[], events: NormalizedEvent[], sizes: number[]): Chunk[] {
    const limit = Math.min(this.maxBytes(), Math.max(1024, this.opts.maxBatchBytes()));
    const maxEvents = this.maxEvents();
    const chunks: Chunk[] = [];
    let cur: Chunk | undefined;
    let bytes = 2;
    let callIdx = 0;
    let leftInCall = calls[0]!.count;
    for (let i = 0; i < events.length; i++) {
      const call = calls[callIdx]!;
      const size = sizes[i]!;
      if (!cur || (cur.events.length > 0 && (bytes + size > limit || cur.events.length >= maxEvents))) {
        cur = { events: [], calls: new Set() };
        chunks.push(cur);
        bytes = 2;
      }
      cur.events.push(events[i]!);
      bytes += size;
      if (!cur.calls.has(call)) {
        cur.calls.add(call);
        call.open++;
      }
      if (--leftInCall === 0 && callIdx + 1 < calls.length) leftInCall = calls[++callIdx]!.count;
    }
    return chunks;
  }

  private async publishAll(chunks: Chunk[]): Promise<void> {
    for (const chunk of chunks) {
      let outcome: IntakeOutcome;
      this.stats.batches++;
      try {
        const r = await this.publisher.publish('events', chunk.events);
        if (r === 'direct') this.stats.published += chunk.events.length;
        else if (r === 'spooled') this.stats.spooled += chunk.events.length;
        else this.stats.dropped += chunk.events.length;
        outcome = r === 'direct' || r === 'spooled' ? 'committed' : 'dropped';
      } catch (err) {
        this.stats.failed += chunk.events.length;
        this.opts.log?.error({ err, count: chunk.events.length }, 'events could not be spooled; not acknowledged');
        outcome = 'failed';
      }
      this.pending -= chunk.events.length;
      for (const call of chunk.calls) {
        if (RANK[outcome] > RANK[call.worst]) call.worst = outcome;
        if (--call.open === 0 && call.onSettled) this.settle(call.onSettled, call.worst);
      }
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
