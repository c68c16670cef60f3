import type { NormalizedEvent, StoredEvent } from '../contracts/events.js';
import type { Logger } from '../log/logger.js';
import { eventRows, type EventRepository } from '../store/event.repository.js';
import type { EventRowSink } from '../store/event-store-thread.js';
import type { IntakeOutcome, KeyedIntake, OnSettled } from './event-intake.js';

export interface EventWriterOptions {
  /** Flush at least this often (ms). */
  flushIntervalMs: number;
  /** Flush as soon as this many are queued; also the transaction size. */
  batchSize: number;
  /** Beyond this many queued events, new ones are dropped and counted. */
  maxQueue: number;
  /** Fills deviceId from the sender's address when the collector did not. */
  resolveDevice?: (address: string) => number | null;
  /**
   * Runs on each batch before it is stored (the rule engine classifies events
   * here and may drop some); returns the events to store.
   */
  preprocess?: (events: NormalizedEvent[]) => NormalizedEvent[];
  /** Called with each stored batch, the same objects with ids (the alarm engine and the console consume these). */
  onStored: (events: StoredEvent[]) => void;
  /**
   * Store off the main thread: ids are assigned here, counting up from
   * `nextId` (this writer must be the only one adding events), or taken one
   * by one from `nextId()` (PostgreSQL: blocks of ids reserved per writer, so
   * several writers share one database; see EventStoreThread.nextId), rows go to the
   * sink (the event store thread) and `onStored` runs once the sink has
   * committed them, batch by batch in order. Without it, batches are written
   * with `repo` on this thread.
   */
  sink?: { rows: EventRowSink; nextId: number | (() => number) };
}

/** A call to `submit` waiting for its events (sequence numbers start..end-1) to settle. */
interface Waiter {
  start: number;
  end: number;
  failed: boolean;
  onSettled: OnSettled;
  /** A keyed call: its events go in one batch, committed with the key. */
  key?: string;
}

/** A batch taken off the queue (sequence numbers up to end-1) and whether it is committed yet. */
interface BatchMark {
  end: number;
  state: 'pending' | 'committed' | 'failed';
}

/**
 * Takes events off the intake path and writes them in batches, one transaction
 * per batch, so receive loops never wait on SQLite. Sustained overload shows up
 * as counted drops, never as silent loss or unbounded memory.
 *
 * As an `EventIntake` it tells each caller that asks when its events are
 * committed: every accepted event gets a sequence number, each batch the range
 * it covers; batches settle in order, and a call settles once the batches
 * holding its events have.
 */
export class EventWriter implements KeyedIntake {
  private queue: NormalizedEvent[] = [];
  /** Sequence number of the next accepted event; `taken` of the next one a batch takes. */
  private accepted = 0;
  private taken = 0;
  private readonly waiters: Waiter[] = [];
  private readonly marks: BatchMark[] = [];
  private closed = false;
  /** Events handed to the sink and not yet committed (count towards maxQueue). */
  private inFlight = 0;
  private inFlightDone: Promise<void> = Promise.resolve();
  /** The id of the next event handed to the sink. */
  private readonly takeId: () => number;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private readonly stats = { queued: 0, stored: 0, dropped: 0, dropped_by_rules: 0, write_errors: 0, preprocess_errors: 0, resolve_errors: 0, batches: 0 };

  constructor(
    private readonly repo: EventRepository,
    private readonly opts: EventWriterOptions,
    private readonly log: Logger,
  ) {
    const first = opts.sink?.nextId ?? 0;
    if (typeof first === 'function') this.takeId = first;
    else {
      let next = first;
      this.takeId = () => next++;
    }
    this.timer = setInterval(() => this.flush(), opts.flushIntervalMs);
    this.timer.unref();
  }

  /** Never blocks and never throws. */
  push(event: NormalizedEvent): void {
    if (this.queue.length + this.inFlight >= this.opts.maxQueue) {
      this.stats.dropped++;
      return;
    }
    this.queue.push(event);
    this.accepted++;
    this.stats.queued++;
    this.scheduleFull();
  }

  /** See `EventIntake.submit`: with `onSettled`, all or nothing, settled once committed. */
  submit(events: NormalizedEvent[], onSettled?: OnSettled, key?: string): void {
    if (!onSettled) {
      for (const e of events) this.push(e);
      return;
    }
    if (this.closed || this.queue.length + this.inFlight + events.length > this.opts.maxQueue) {
      this.stats.dropped += events.length;
      const outcome = this.closed ? 'failed' : 'dropped';
      queueMicrotask(() => this.settle(onSettled, outcome));
      return;
    }
    if (events.length === 0) {
      queueMicrotask(() => this.settle(onSettled, 'committed'));
      return;
    }
    const start = this.accepted;
    for (const e of events) this.queue.push(e);
    this.accepted += events.length;
    this.stats.queued += events.length;
    this.waiters.push({ start, end: this.accepted, failed: false, onSettled, key });
    this.scheduleFull();
  }

  /** Whether a keyed call was committed before (its key is in remote_batches). */
  committedBefore(key: string): boolean {
    return this.repo.batchStored(key);
  }

  /**
   * How many queued events the next batch takes: `batchSize`, or more so that a keyed call's
   * events are not split (its key commits with the batch holding all of them), and the keys of
   * the calls it completes.
   */
  private nextBatch(): { size: number; keys: string[] } {
    let size = Math.min(this.queue.length, this.opts.batchSize);
    const keys: string[] = [];
    for (const w of this.waiters) {
      if (w.start >= this.taken + size) break;
      if (w.key === undefined || w.end <= this.taken) continue;
      size = Math.max(size, w.end - this.taken);
      keys.push(w.key);
    }
    return { size, keys };
  }

  /**
   * A full batch is written on the next turn rather than at the next interval; what is queued behind
   * it follows a batch per turn (a storm queueing 5,000 events at once was classified and handed over
   * in one turn: ~0.5 s of the main thread, PERFORMANCE.md "Alarm storm"). Same batches, same order.
   */
  private scheduleFull(): void {
    if (this.queue.length >= this.opts.batchSize && !this.scheduled) this.scheduleNext();
  }

  private scheduleNext(): void {
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush(1);
      if (this.queue.length > 0 && !this.scheduled) this.scheduleNext();
    });
  }

  /** Writes everything queued now (at most `maxBatches` batches; the rest stays queued, in order). */
  flush(maxBatches = Infinity): void {
    for (let n = 0; this.queue.length > 0 && n < maxBatches; n++) {
      const { size, keys } = this.nextBatch();
      const batch = this.queue.length <= size ? this.queue : this.queue.slice(0, size);
      this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
      this.taken += batch.length;
      const mark: BatchMark = { end: this.taken, state: 'pending' };
      this.marks.push(mark);
      const resolve = this.opts.resolveDevice;
      if (resolve) {
        for (const e of batch) {
          if (e.deviceId !== null || !e.sourceAddress) continue;
          try {
            e.deviceId = resolve(e.sourceAddress);
          } catch (err) {
            this.stats.resolve_errors++;
            this.log.warn({ err, address: e.sourceAddress }, 'device lookup failed; event stored without a device');
          }
        }
      }
      let stored: StoredEvent[];
      try {
        let toStore = batch;
        if (this.opts.preprocess) {
          try {
            toStore = this.opts.preprocess(batch);
            this.stats.dropped_by_rules += batch.length - toStore.length;
          } catch (err) {
            // Classification failed for the batch as a whole: store it unclassified rather than lose it.
            this.stats.preprocess_errors += batch.length;
            this.log.error({ err, count: batch.length }, 'event classification failed; batch stored unclassified');
          }
        }
        if (this.opts.sink) {
          this.handOver(toStore, mark, keys);
          continue;
        }
        stored = this.repo.insertBatch(toStore, keys);
      } catch (err) {
        // A failed batch is counted and logged; a poisoned event must not block the next ones.
        this.stats.write_errors += batch.length;
        this.log.error({ err, count: batch.length }, 'event batch write failed');
        this.batchDone(mark, 'failed');
        continue;
      }
      this.announce(stored);
      this.batchDone(mark, 'committed');
    }
  }

  /** Records a batch's outcome and settles, in order, every call whose events are all settled now. */
  private batchDone(mark: BatchMark, state: 'committed' | 'failed'): void {
    mark.state = state;
    while (this.marks.length > 0 && this.marks[0]!.state !== 'pending') {
      const m = this.marks.shift()!;
      while (this.waiters.length > 0 && this.waiters[0]!.start < m.end) {
        const w = this.waiters[0]!;
        if (m.state === 'failed') w.failed = true;
        if (w.end > m.end) break; // its last events are in a later batch
        this.waiters.shift();
        this.settle(w.onSettled, w.failed ? 'failed' : 'committed');
      }
    }
  }

  private settle(onSettled: OnSettled, outcome: IntakeOutcome): void {
    try {
      onSettled(outcome);
    } catch (err) {
      this.log.error({ err, outcome }, 'intake settle callback failed');
    }
  }

  private announce(stored: StoredEvent[]): void {
    this.stats.stored += stored.length;
    this.stats.batches++;
    try {
      this.opts.onStored(stored);
    } catch (err) {
      this.log.error({ err }, 'event consumer failed');
    }
  }

  /** Assigns ids and posts the rows to the sink; announces the batch once committed. */
  private handOver(events: NormalizedEvent[], mark: BatchMark, keys: string[]): void {
    if (events.length === 0) {
      this.batchDone(mark, 'committed'); // rules discarded all of them: nothing to wait for
      return;
    }
    const stored = events as StoredEvent[];
    for (const e of stored) e.id = this.takeId();
    const rows = eventRows(stored);
    this.inFlight += stored.length;
    const done = this.opts.sink!.rows.insert(rows, keys).then(
      () => {
        this.inFlight -= stored.length;
        this.announce(stored);
        this.batchDone(mark, 'committed');
      },
      (err: unknown) => {
        this.inFlight -= stored.length;
        this.stats.write_errors += stored.length;
        this.log.error({ err, count: stored.length }, 'event batch write failed');
        this.batchDone(mark, 'failed');
      },
    );
    this.inFlightDone = this.inFlightDone.then(() => done);
  }

  counters(): Record<string, number> {
    return { ...this.stats, backlog: this.queue.length + this.inFlight };
  }

  /** Writes what is queued; resolves once everything handed to the sink is committed and announced. */
  close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
    return this.inFlightDone;
  }
}
