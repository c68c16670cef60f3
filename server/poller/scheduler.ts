import { systemClock, type Clock } from './clock.js';

/**
 * Runs each job (one per device) every `intervalMs`:
 * - start times are spread over the interval by a stable hash of the key, so
 *   a fleet does not fire at once (and keeps its phase across restarts);
 * - at most `concurrency` jobs run at a time; due jobs wait in
 *   earliest-deadline-first order, so no device starves;
 * - a device is never polled twice at once: a slot that comes due while its
 *   previous poll still runs (or waits) is skipped and counted, and the next
 *   slot stays on the device's phase grid.
 */
export type JobKey = string | number;

export interface SchedulerOptions<T> {
  run: (key: JobKey, data: T) => Promise<unknown>;
  concurrency: number;
  clock?: Clock;
  /** Called when `run` rejects (the scheduler itself never throws). */
  onError?: (key: JobKey, error: unknown) => void;
}

export interface SchedulerStats {
  jobs: number;
  running: number;
  waiting: number;
  started: number;
  completed: number;
  failed: number;
  /** Slots skipped because the device's previous poll had not finished. */
  skipped: number;
  /** Sum of start delays (ms) beyond the due time, for `started` jobs. */
  totalLagMs: number;
  maxLagMs: number;
}

interface Job<T> {
  key: JobKey;
  intervalMs: number;
  data: T;
  due: number;
  state: 'idle' | 'waiting' | 'running';
  removed: boolean;
  inflight: Promise<void> | null;
}

/** FNV-1a, for a stable phase per key. */
export function phaseOf(key: JobKey, intervalMs: number): number {
  let h = 0x811c9dc5;
  const s = String(key);
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Spread well even for sequential keys: mix once more.
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h % Math.max(1, Math.floor(intervalMs));
}

export class PollScheduler<T = unknown> {
  private readonly jobs = new Map<JobKey, Job<T>>();
  private readonly waiting: Job<T>[] = [];
  private readonly clock: Clock;
  private timer: unknown = null;
  private timerAt = Infinity;
  private running = 0;
  private started = false;
  private readonly s: SchedulerStats = { jobs: 0, running: 0, waiting: 0, started: 0, completed: 0, failed: 0, skipped: 0, totalLagMs: 0, maxLagMs: 0 };

  constructor(private readonly opts: SchedulerOptions<T>) {
    this.clock = opts.clock ?? systemClock;
    if (!(opts.concurrency >= 1)) throw new Error('concurrency must be >= 1');
  }

  /** Adds a job or updates its interval/data (an interval change re-phases it). */
  upsert(key: JobKey, intervalMs: number, data: T): void {
    if (!(intervalMs > 0)) throw new Error(`interval must be > 0 for ${String(key)}`);
    const now = this.clock.now();
    const j = this.jobs.get(key);
    if (j) {
      j.data = data;
      if (j.intervalMs !== intervalMs) {
        j.intervalMs = intervalMs;
        j.due = this.firstDue(key, intervalMs, now);
      }
    } else {
      this.jobs.set(key, { key, intervalMs, data, due: this.firstDue(key, intervalMs, now), state: 'idle', removed: false, inflight: null });
    }
    this.arm();
  }

  remove(key: JobKey): void {
    const j = this.jobs.get(key);
    if (!j) return;
    j.removed = true;
    this.jobs.delete(key);
    const i = this.waiting.indexOf(j);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  has(key: JobKey): boolean {
    return this.jobs.has(key);
  }

  start(): void {
    this.started = true;
    this.arm();
  }

  stop(): void {
    this.started = false;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  /**
   * Polls a device now, outside its slot and the concurrency bound ("poll
   * now" from the API). If it is already running, joins that poll.
   */
  runNow(key: JobKey): Promise<void> {
    const j = this.jobs.get(key);
    if (!j) return Promise.reject(new Error(`unknown job ${String(key)}`));
    if (j.state === 'running' && j.inflight) return j.inflight;
    if (j.state === 'waiting') this.waiting.splice(this.waiting.indexOf(j), 1);
    return this.launch(j, this.clock.now(), true);
  }

  stats(): SchedulerStats {
    return { ...this.s, jobs: this.jobs.size, running: this.running, waiting: this.waiting.length };
  }

  private firstDue(key: JobKey, intervalMs: number, now: number): number {
    // Next point on this key's phase grid at or after now.
    const phase = phaseOf(key, intervalMs);
    const base = now - (now % intervalMs) + phase;
    return base >= now ? base : base + intervalMs;
  }

  private arm(): void {
    if (!this.started) return;
    let next = Infinity;
    for (const j of this.jobs.values()) if (j.state === 'idle' && j.due < next) next = j.due;
    if (next === this.timerAt && this.timer !== null) return;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = next;
    if (next === Infinity) return;
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.tick();
    }, next - this.clock.now());
  }

  private tick(): void {
    const now = this.clock.now();
    for (const j of this.jobs.values()) {
      if (j.due > now) continue;
      if (j.state === 'idle') {
        j.state = 'waiting';
        this.waiting.push(j);
      }
    }
    this.waiting.sort((a, b) => a.due - b.due);
    this.dispatch();
    this.arm();
  }

  private dispatch(): void {
    while (this.running < this.opts.concurrency && this.waiting.length > 0) {
      const j = this.waiting.shift()!;
      void this.launch(j, this.clock.now());
    }
  }

  private launch(j: Job<T>, now: number, manual = false): Promise<void> {
    j.state = 'running';
    this.running++;
    this.s.started++;
    const lag = manual ? 0 : Math.max(0, now - j.due);
    this.s.totalLagMs += lag;
    if (lag > this.s.maxLagMs) this.s.maxLagMs = lag;
    let p: Promise<unknown>;
    try {
      p = Promise.resolve(this.opts.run(j.key, j.data));
    } catch (e) {
      p = Promise.reject(e);
    }
    j.inflight = p.then(
      () => {
        this.s.completed++;
      },
      (e) => {
        this.s.failed++;
        try {
          this.opts.onError?.(j.key, e);
        } catch {
          /* a failing error handler must not stop the scheduler */
        }
      },
    ).finally(() => this.finished(j, manual));
    return j.inflight;
  }

  private finished(j: Job<T>, manual: boolean): void {
    this.running--;
    j.inflight = null;
    j.state = 'idle';
    // A manual poll before the slot leaves the slot where it was.
    if (!j.removed && !(manual && j.due > this.clock.now())) {
      const now = this.clock.now();
      // Next slot on the phase grid; slots missed while it ran are skipped.
      let due = j.due + j.intervalMs;
      if (due <= now) {
        const missed = Math.floor((now - due) / j.intervalMs) + 1;
        this.s.skipped += missed;
        due += missed * j.intervalMs;
      }
      j.due = due;
    }
    this.dispatch();
    this.arm();
  }
}
