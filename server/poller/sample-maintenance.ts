import type { Logger } from '../log/logger.js';
import type { LatencyRepository } from '../store/latency.repository.js';
import type { Resolution, SampleRepository } from '../store/sample.repository.js';

export interface SampleRetentionDays {
  raw: number;
  '5m': number;
  '1h': number;
}

const yieldLoop = () => new Promise((r) => setImmediate(r));

/**
 * Rolls raw samples up into 5-minute and 1-hour min/avg/max and removes data
 * past each resolution's retention, in small steps that yield to the event
 * loop, so intake and the API never wait long on the database.
 */
export class SampleMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  readonly stats = { rollup_steps: 0, rows_removed: 0, raw_partitions_dropped: 0, errors: 0 };

  constructor(
    private readonly samples: SampleRepository,
    private readonly keepDays: SampleRetentionDays,
    private readonly log: Logger,
    /** ICMP latency distributions: rolled up and pruned with the same retention, in the same pass. */
    private readonly latency?: LatencyRepository,
  ) {}

  start(intervalMs = 300_000): void {
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
  }

  async runOnce(nowMs = Date.now()): Promise<void> {
    if (this.running) return;
    this.running = true;
    const nowSec = Math.floor(nowMs / 1000);
    try {
      for (const res of ['5m', '1h'] as const) {
        while (this.samples.rollupStep(res, nowSec)) {
          this.stats.rollup_steps++;
          await yieldLoop();
        }
        this.stats.rollup_steps++;
      }
      for (const res of ['raw', '5m', '1h'] as Resolution[]) {
        const cutoff = nowSec - Math.floor(this.keepDays[res] * 86_400);
        // PostgreSQL: raw samples are partitioned by day; whole days go (no row DELETE per metric).
        if (res === 'raw' && this.samples.rawPartitioned) {
          this.stats.raw_partitions_dropped += this.samples.dropRawBefore(cutoff);
          continue;
        }
        for (const id of this.samples.allMetricIds()) {
          this.stats.rows_removed += this.samples.deleteOlderThan(res, id, cutoff);
          if (id % 200 === 0) await yieldLoop();
        }
      }
      if (this.latency) await this.latencyPass(nowSec);
    } catch (err) {
      this.stats.errors++;
      this.log.error({ err }, 'sample rollup/retention failed');
    } finally {
      this.running = false;
    }
  }

  private async latencyPass(nowSec: number): Promise<void> {
    const latency = this.latency!;
    for (const res of ['5m', '1h'] as const) {
      while (latency.rollupStep(res, nowSec)) {
        this.stats.rollup_steps++;
        await yieldLoop();
      }
      this.stats.rollup_steps++;
    }
    for (const res of ['raw', '5m', '1h'] as Resolution[]) {
      const cutoff = nowSec - Math.floor(this.keepDays[res] * 86_400);
      for (const id of latency.deviceIds()) {
        this.stats.rows_removed += latency.deleteOlderThan(res, id, cutoff);
        if (id % 200 === 0) await yieldLoop();
      }
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
