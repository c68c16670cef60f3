import type { NormalizedEvent, StoredEvent } from '../contracts/events.js';
import type { Logger } from '../log/logger.js';
import { eventRows, type EventRepository } from '../store/event.repository.js';
import type { EventRowSink } from '../store/event-store-thread.js';

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
   * `nextId` (this writer must be the only one adding events), rows go to the
   * sink (the event store thread) and `onStored` runs once the sink has
   * committed them, batch by batch in order. Without it, batches are written
   * with `repo` on this thread.
   */
  sink?: { rows: EventRowSink; nextId: number };
}

/**
 * Takes events off the intake path and writes them in batches, one transaction
 * per batch, so receive loops never wait on SQLite. Sustained overload shows up
 * as counted drops, never as silent loss or unbounded memory.
 */
export class EventWriter {
  private queue: NormalizedEvent[] = [];
  /** Events handed to the sink and not yet committed (count towards maxQueue). */
  private inFlight = 0;
  private inFlightDone: Promise<void> = Promise.resolve();
  private nextId: number;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private readonly stats = { queued: 0, stored: 0, dropped: 0, dropped_by_rules: 0, write_errors: 0, preprocess_errors: 0, resolve_errors: 0, batches: 0 };

  constructor(
    private readonly repo: EventRepository,
    private readonly opts: EventWriterOptions,
    private readonly log: Logger,
  ) {
    this.nextId = opts.sink?.nextId ?? 0;
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
    this.stats.queued++;
    if (this.queue.length >= this.opts.batchSize && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Writes everything queued now. */
  flush(): void {
    while (this.queue.length > 0) {
      const batch = this.queue.length <= this.opts.batchSize ? this.queue : this.queue.slice(0, this.opts.batchSize);
      this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
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
          this.handOver(toStore);
          continue;
        }
        stored = this.repo.insertBatch(toStore);
      } catch (err) {
        // A failed batch is counted and logged; a poisoned event must not block the next ones.
        this.stats.write_errors += batch.length;
        this.log.error({ err, count: batch.length }, 'event batch write failed');
        continue;
      }
      this.announce(stored);
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
  private handOver(events: NormalizedEvent[]): void {
    if (events.length === 0) return;
    const stored = events as StoredEvent[];
    for (const e of stored) e.id = this.nextId++;
    const rows = eventRows(stored);
    this.inFlight += stored.length;
    const done = this.opts.sink!.rows.insert(rows).then(
      () => {
        this.inFlight -= stored.length;
        this.announce(stored);
      },
      (err: unknown) => {
        this.inFlight -= stored.length;
        this.stats.write_errors += stored.length;
        this.log.error({ err, count: stored.length }, 'event batch write failed');
      },
    );
    this.inFlightDone = this.inFlightDone.then(() => done);
  }

  counters(): Record<string, number> {
    return { ...this.stats, backlog: this.queue.length + this.inFlight };
  }

  /** Writes what is queued; resolves once everything handed to the sink is committed and announced. */
  close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
    return this.inFlightDone;
  }
}
