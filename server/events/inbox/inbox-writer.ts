import type { Logger } from '../../log/logger.js';
import type { InboxDelta, InboxRepository } from '../../store/inbox.repository.js';
import type { InboxCollector } from './inbox-collector.js';

export interface InboxOptions {
  flushIntervalMs: number;
  maxRows: number;
  /** A dismissed type is listed again when seen this long after its dismissal. */
  dismissMs: number;
  /** Types not seen for this long are forgotten (dismissed ones are kept). */
  retentionMs: number;
}

export const INBOX_DEFAULTS: InboxOptions = { flushIntervalMs: 2000, maxRows: 5000, dismissMs: 7 * 86_400_000, retentionMs: 30 * 86_400_000 };

/**
 * A flush writes at most this many types per transaction, the rest after giving the event loop back
 * (2,000 types at once held the main thread for ~140 ms in test/bench/inbox.bench.ts).
 */
const CHUNK = 200;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Writes what the collector gathered in preprocess to the inbox table: on a timer in chunks, or
 * at once (`flush(true)`: before GET /inbox answers, at close). A failed write is kept for the
 * next flush, bounded by `maxRows`, so a busy database does not lose the counts.
 */
export class InboxWriter {
  private backlog: InboxDelta[] = [];
  private chunkQueued = false;
  private prunedAt = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly repo: InboxRepository,
    private readonly collector: InboxCollector,
    private readonly opts: InboxOptions,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => this.flush(false), opts.flushIntervalMs);
    this.timer.unref();
  }

  /** `now`: write everything before returning; else in chunks across event-loop turns. */
  flush(now: boolean): void {
    this.backlog.push(...this.collector.drain());
    if (this.backlog.length === 0) return;
    if (now) {
      const all = this.backlog;
      this.backlog = [];
      this.apply(all);
    } else this.queueChunk();
    try {
      const t = Date.now();
      if (t - this.prunedAt > PRUNE_EVERY_MS) {
        this.prunedAt = t;
        this.repo.prune(t - this.opts.retentionMs);
      }
    } catch (err) {
      this.collector.stats.flush_errors++;
      this.log.error({ err }, 'inbox prune failed');
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush(true);
  }

  private queueChunk(): void {
    if (this.chunkQueued) return;
    this.chunkQueued = true;
    setImmediate(() => {
      this.chunkQueued = false;
      if (this.backlog.length === 0) return;
      this.apply(this.backlog.splice(0, CHUNK));
      if (this.backlog.length) this.queueChunk();
    });
  }

  private apply(deltas: InboxDelta[]): void {
    const stats = this.collector.stats;
    try {
      stats.stored_overflow += this.repo.apply(deltas, { maxRows: this.opts.maxRows, dismissMs: this.opts.dismissMs });
    } catch (err) {
      stats.flush_errors++;
      if (this.backlog.length + deltas.length <= this.opts.maxRows) this.backlog.push(...deltas);
      else stats.overflow += deltas.length;
      this.log.error({ err, types: deltas.length }, 'inbox flush failed');
    }
  }
}
