import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Sampling interval of the delay histogram: the figures include up to this much (a healthy loop reads ~5 ms). */
const RESOLUTION_MS = 5;
const WINDOW_MS = 10_000;
/** `delay_max_ms` covers this many windows (one minute). */
const WINDOWS = 6;

const ms = (ns: number) => Math.round(ns / 1e4) / 100;

/**
 * How long the main thread's event loop is held: the gap between its turns,
 * sampled every 5 ms by `perf_hooks.monitorEventLoopDelay`. Every request,
 * intake batch and socket push waits for the loop, so its longest gap is the
 * longest any of them was kept waiting by other work.
 * Counters: `delay_p99_ms` (last 10 s), `delay_max_ms` (last minute),
 * `delay_max_ms_since_start`.
 */
export class EventLoopMonitor {
  private readonly h: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private readonly maxes: number[] = [];
  private lastP99 = 0;
  private maxSinceStart = 0;
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    this.h.enable();
    this.timer = setInterval(() => this.roll(), WINDOW_MS);
    this.timer.unref();
  }

  private roll(): void {
    const count = this.h.count;
    this.lastP99 = count ? ms(this.h.percentile(99)) : 0;
    const max = count ? ms(this.h.max) : 0;
    this.maxSinceStart = Math.max(this.maxSinceStart, max);
    this.maxes.push(max);
    if (this.maxes.length > WINDOWS - 1) this.maxes.shift();
    this.h.reset();
  }

  counters(): Record<string, number> {
    const current = this.h.count ? ms(this.h.max) : 0;
    return {
      delay_p99_ms: this.lastP99 || (this.h.count ? ms(this.h.percentile(99)) : 0),
      delay_max_ms: Math.max(current, ...this.maxes),
      delay_max_ms_since_start: Math.max(this.maxSinceStart, current),
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.h.disable();
  }
}
