/**
 * The bench's reference: the collector's PublishedIntake as it was before batch merging (commit 8c7ad5c), kept
 * verbatim but for import paths: what one turn of the event loop gathered is one batch (split only at NATS'
 * payload limit), and every such batch is queued for publishing on its own.
 */
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import type { EventIntake, IntakeOutcome, OnSettled } from '../../../server/events/event-intake.js';
import type { Logger } from '../../../server/log/logger.js';
import type { PublishOutcome } from '../../../server/bus/spooled-publisher.js';

/** What `PublishedIntake` needs of `SpooledPublisher`. */
export interface EventBatchPublisher {
  publish(kind: 'events', batch: unknown[]): Promise<PublishOutcome>;
}

export interface PublishedIntakeOptions {
  /** Largest batch payload (JSON bytes); NATS' max_payload less some room for headers. */
  maxBatchBytes: () => number;
  /** Events accepted but not yet published or spooled; beyond it new ones are dropped (default 200,000). */
  maxPending?: number;
  log?: Logger;
}

interface Call {
  count: number;
  onSettled?: OnSettled;
  /** Chunks holding events of this call that have not settled yet. */
  open: number;
  worst: IntakeOutcome;
}

const RANK: Record<IntakeOutcome, number> = { committed: 0, dropped: 1, failed: 2 };
const encoder = new TextEncoder();

/**
 * A collector's `EventIntake`: what the syslog and trap listeners submit in one turn of the event loop
 * is gathered and published as one or more `events` batches (each under NATS' payload limit) through
 * the `SpooledPublisher`. `committed` means durable off this process's memory: JetStream acked the
 * batch (`direct`) or the spool fsynced it (`spooled`). `dropped`: too many pending, spool full
 * (`overflow`) or unsendable (`invalid`, e.g. one event bigger than a NATS message); `failed`: the spool's
 * disk write failed. So an INFORM is answered only once its event is durable.
 *
 * Counters: `submitted`, `published` (events directly to JetStream), `spooled`, `dropped`, `failed`, `pending`.
 */
export class PublishedIntakeBefore implements EventIntake {
  private calls: Call[] = [];
  private events: NormalizedEvent[] = [];
  private scheduled = false;
  private pending = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly stats = { submitted: 0, published: 0, spooled: 0, dropped: 0, failed: 0 };

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
    this.pending += events.length;
    this.calls.push({ count: events.length, onSettled, open: 0, worst: 'committed' });
    for (const e of events) this.events.push(e);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Publishes what is gathered; resolves once everything submitted so far is settled. */
  flush(): Promise<void> {
    this.scheduled = false;
    const calls = this.calls;
    const events = this.events;
    this.calls = [];
    this.events = [];
    if (events.length > 0) {
      const done = this.publishAll(calls, events).catch((err: unknown) => this.opts.log?.error({ err }, 'publishing events failed'));
      this.inFlight = this.inFlight.then(() => done);
    }
    return this.inFlight;
  }

  counters(): Record<string, number> {
    return { ...this.stats, pending: this.pending };
  }

  private async publishAll(calls: Call[], events: NormalizedEvent[]): Promise<void> {
    // Chunks under the byte limit; each remembers the calls it holds events of.
    const limit = Math.max(1024, this.opts.maxBatchBytes());
    const chunks: { events: NormalizedEvent[]; calls: Set<Call> }[] = [];
    let cur: { events: NormalizedEvent[]; calls: Set<Call> } | undefined;
    let bytes = 2;
    let callIdx = 0;
    let leftInCall = calls[0]!.count;
    for (const e of events) {
      const call = calls[callIdx]!;
      let size: number;
      try {
        size = encoder.encode(JSON.stringify(e)).length + 1;
      } catch {
        size = Number.POSITIVE_INFINITY; // not JSON: its chunk is refused as invalid and counted
      }
      if (!cur || (cur.events.length > 0 && bytes + size > limit)) {
        cur = { events: [], calls: new Set() };
        chunks.push(cur);
        bytes = 2;
      }
      cur.events.push(e);
      bytes += size;
      if (!cur.calls.has(call)) {
        cur.calls.add(call);
        call.open++;
      }
      if (--leftInCall === 0 && callIdx + 1 < calls.length) leftInCall = calls[++callIdx]!.count;
    }
    for (const chunk of chunks) {
      let outcome: IntakeOutcome;
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
