import type { Logger } from '../log/logger.js';
import type { EventRepository } from '../store/event.repository.js';

/**
 * Removes old events in small batches, yielding between them, so intake
 * never waits long for the write lock.
 */
export class EventRetention {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  removed = 0;

  constructor(
    private readonly repo: EventRepository,
    private readonly opts: { maxAgeMs: number; maxRows: number; batch?: number; intervalMs?: number },
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.opts.intervalMs ?? 60_000);
    this.timer.unref();
  }

  /** One pass: age first, then the row cap. Resolves with the number removed. */
  async runOnce(now = Date.now()): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    const batch = this.opts.batch ?? 2000;
    let total = 0;
    try {
      for (const step of [() => this.repo.deleteOlderThan(now - this.opts.maxAgeMs, batch), () => this.repo.deleteBeyondCap(this.opts.maxRows, batch)]) {
        for (;;) {
          const n = step();
          total += n;
          if (n < batch) break;
          await new Promise((r) => setImmediate(r));
        }
      }
    } catch (err) {
      this.log.error({ err }, 'event retention failed');
    } finally {
      this.running = false;
    }
    this.removed += total;
    if (total) this.log.info({ removed: total }, 'old events removed');
    return total;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
