import type { AlarmNotificationPayload } from '../contracts/alarms.js';
import type { Logger } from '../log/logger.js';
import type { ChannelRecord, NotificationRepository } from '../store/notification.repository.js';
import type { Sender } from './senders.js';

export interface QueueOptions {
  /** Attempts per notification, the first included. */
  maxAttempts: number;
  /** First retry after this long, doubling each time, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  concurrency: number;
  /** Beyond this many waiting, new notifications are dropped and counted. */
  maxQueue: number;
}

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = { maxAttempts: 5, baseDelayMs: 2000, maxDelayMs: 300_000, concurrency: 4, maxQueue: 10_000 };

interface Job {
  channelId: number;
  payload: AlarmNotificationPayload;
  attempt: number;
  dueAt: number;
}

/** Back-off before retry `attempt` (1-based count of failures so far). */
export function backoffMs(attempt: number, o: Pick<QueueOptions, 'baseDelayMs' | 'maxDelayMs'>): number {
  return Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
}

/**
 * Delivers notifications off the intake path: `enqueue` only appends. Failed
 * deliveries are retried with exponential back-off; each failed attempt shows
 * on the channel (last error), a notification given up counts as failed.
 */
export class NotificationQueue {
  private readonly opts: QueueOptions;
  private readonly waiting: Job[] = [];
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly inflight = new Set<Promise<void>>();
  readonly stats = { queued: 0, sent: 0, failed: 0, retries: 0, dropped: 0 };

  constructor(
    private readonly channels: NotificationRepository,
    private readonly log: Logger,
    opts: Partial<QueueOptions> = {},
    /** Per channel type; `createSenders(policy)` in production. */
    private readonly senders: Record<string, Sender>,
  ) {
    this.opts = { ...DEFAULT_QUEUE_OPTIONS, ...opts };
  }

  enqueue(channelId: number, payload: AlarmNotificationPayload): void {
    if (this.closed) return;
    if (this.waiting.length >= this.opts.maxQueue) {
      this.stats.dropped++;
      return;
    }
    this.stats.queued++;
    this.waiting.push({ channelId, payload, attempt: 0, dueAt: 0 });
    this.pump();
  }

  /** Sends once, now, bypassing the queue; throws the delivery error (the "send test" button). */
  async sendNow(channelId: number, payload: AlarmNotificationPayload): Promise<void> {
    try {
      const ch = this.channels.record(channelId);
      if (!ch) throw new Error('no such channel');
      await this.senders[ch.type]!(ch.config, payload);
      this.channels.recordSuccess(channelId);
    } catch (err) {
      this.channels.recordFailure(channelId, (err as Error).message);
      throw err;
    }
  }

  get pending(): number {
    return this.waiting.length + this.running;
  }

  private pump(): void {
    if (this.closed) return;
    const now = Date.now();
    while (this.running < this.opts.concurrency) {
      const i = this.waiting.findIndex((j) => j.dueAt <= now);
      if (i < 0) break;
      const job = this.waiting.splice(i, 1)[0]!;
      this.running++;
      const p = this.deliver(job).finally(() => {
        this.running--;
        this.inflight.delete(p);
        this.pump();
      });
      this.inflight.add(p);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting.length && this.running < this.opts.concurrency) {
      const next = Math.min(...this.waiting.map((j) => j.dueAt));
      this.timer = setTimeout(() => this.pump(), Math.max(0, next - now));
      this.timer.unref();
    }
  }

  private async deliver(job: Job): Promise<void> {
    let ch: ChannelRecord | undefined;
    try {
      ch = this.channels.record(job.channelId);
    } catch (err) {
      // Settings that cannot be decrypted: nothing is sent, the channel shows why.
      this.channels.recordFailure(job.channelId, (err as Error).message);
      this.stats.failed++;
      this.log.error({ err, channelId: job.channelId }, 'notification not sent: channel settings unreadable');
      return;
    }
    if (!ch || !ch.enabled) return;
    job.attempt++;
    try {
      await this.senders[ch.type]!(ch.config, job.payload);
      this.channels.recordSuccess(ch.id);
      this.stats.sent++;
    } catch (err) {
      const message = (err as Error).message;
      if (this.closed) return;
      if (job.attempt < this.opts.maxAttempts) {
        this.channels.recordAttemptError(ch.id, message);
        this.stats.retries++;
        job.dueAt = Date.now() + backoffMs(job.attempt, this.opts);
        this.waiting.push(job);
        this.log.warn({ err, channel: ch.name, attempt: job.attempt }, 'notification failed, will retry');
      } else {
        this.channels.recordFailure(ch.id, message);
        this.stats.failed++;
        this.log.error({ err, channel: ch.name, attempts: job.attempt }, 'notification failed, giving up');
      }
    }
  }

  /** Stops retrying; waits (briefly) for deliveries in flight. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.waiting.length = 0;
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}
