import type { Worker } from 'node:worker_threads';
import { AppError, QueryTimeoutError, ReadsBusyError } from '../api/errors.js';
import type { Logger } from '../log/logger.js';
import { startWorker } from '../worker-thread.js';
import type { ReadArgs, ReadOp, ReadResult, Reads } from './read-ops.js';

/**
 * Messages between the pool and read.worker.ts:
 *   pool -> reader: {type:'run', id, op, args} | {type:'close'}
 *   reader -> pool: {type:'ready'} | {type:'open-error', message}
 *                 | {type:'done', id, result} | {type:'failed', id, error}
 */
type ReaderMessage =
  | { type: 'ready' }
  | { type: 'open-error'; message: string }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'failed'; id: number; error: { status?: number; code?: string; message: string; details?: unknown; stack?: string } };

export interface ReadPoolOptions {
  /**
   * The database file (opened read-only by each reader), or a PostgreSQL
   * database (pg/pg-read.worker.ts: the events reads only, so far).
   */
  file: string | { postgresUrl: string };
  /** Reader threads. */
  threads: number;
  /** Budget of one read, queue wait included: past it the read answers 503 and its reader is stopped. */
  queryTimeoutMs: number;
  /** Reads that may wait for a free reader; beyond it `run` rejects at once with 503 reads_busy. */
  maxQueue: number;
  log: Logger;
}

interface Job {
  id: number;
  op: ReadOp;
  args: unknown;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  slot: Slot | null;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
  /** Terminated by the pool (time budget, close): its exit is expected. */
  retired: boolean;
  /** Told once whether the reader opened the database (the pool's first readers). */
  onOpen?: (err?: Error) => void;
}

/** Delay before starting a reader again after one failed to open the database. */
const REOPEN_DELAY_MS = 1000;

/**
 * Reads off the main thread: `threads` reader threads, each with its own
 * read-only connection, take reads in arrival order. A read past its budget
 * is answered QueryTimeoutError and its reader is terminated (it stops at its
 * next return to JavaScript) while a fresh reader takes its place at once, so
 * the pool is never short and no request is left waiting. When every reader
 * is busy and `maxQueue` reads already wait, a read is refused at once
 * (ReadsBusyError) instead of piling up.
 */
export class ReadPool implements Reads {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private seq = 0;
  private closed = false;
  /** Terminated readers that have not exited yet (still inside a query). */
  private stopping = 0;
  private readonly stats = { reads: 0, failed: 0, timeouts: 0, refused_busy: 0, reader_restarts: 0, open_errors: 0, queue_high_water: 0 };

  private constructor(private readonly opts: ReadPoolOptions) {}

  /** Starts the readers; resolves once each has opened the database (rejects if the first cannot). */
  static async open(opts: ReadPoolOptions): Promise<ReadPool> {
    const pool = new ReadPool(opts);
    const n = Math.max(1, opts.threads);
    const first = await Promise.allSettled(Array.from({ length: n }, () => pool.spawnReady()));
    const failed = first.find((r) => r.status === 'rejected');
    if (failed) {
      await pool.close();
      throw (failed as PromiseRejectedResult).reason;
    }
    return pool;
  }

  private spawnReady(): Promise<void> {
    return new Promise((resolve, reject) => {
      const slot = this.spawn((err) => (err ? reject(err) : resolve()));
      this.slots.push(slot);
    });
  }

  /** Starts one reader; `onOpen` learns whether it opened the database. */
  private spawn(onOpen?: (err?: Error) => void): Slot {
    const target = this.opts.file;
    const worker =
      typeof target === 'string'
        ? startWorker(import.meta.url, 'read.worker', { file: target })
        : startWorker(import.meta.url, 'pg/pg-read.worker', { url: target.postgresUrl, statementTimeoutMs: this.opts.queryTimeoutMs });
    const slot: Slot = { worker, ready: false, job: null, retired: false, onOpen };
    worker.on('message', (m: ReaderMessage) => this.onMessage(slot, m));
    worker.on('error', (err) => this.onDeath(slot, err));
    worker.on('exit', (code) => {
      if (!slot.retired) this.onDeath(slot, new Error(`reader thread exited with code ${code}`));
    });
    return slot;
  }

  private onMessage(slot: Slot, m: ReaderMessage): void {
    if (m.type === 'ready') {
      slot.ready = true;
      slot.onOpen?.();
      slot.onOpen = undefined;
      this.dispatch();
      return;
    }
    if (m.type === 'open-error') {
      this.failedToOpen(slot, new Error(`reader cannot open the database: ${m.message}`));
      return;
    }
    const job = slot.job;
    if (!job || job.id !== m.id) return; // a late answer to a read already given up
    slot.job = null;
    clearTimeout(job.timer);
    if (m.type === 'done') {
      this.stats.reads++;
      job.resolve(m.result);
    } else {
      this.stats.failed++;
      job.reject(this.rebuild(job.op, m.error));
    }
    this.dispatch();
  }

  /** A domain error (status and code) keeps its answer; anything else is logged and becomes a generic 500. */
  private rebuild(op: string, e: { status?: number; code?: string; message: string; details?: unknown; stack?: string }): Error {
    if (typeof e.status === 'number' && typeof e.code === 'string') return new AppError(e.status, e.code, e.message, e.details);
    const err = Object.assign(new Error(e.message), { code: e.code, stack: e.stack ?? `Error: ${e.message}` });
    this.opts.log.error({ err, op }, 'read failed in a reader thread');
    return err;
  }

  /**
   * A reader that never became ready: the pool's first readers fail `open`; a
   * replacement is tried again after a pause (no busy loop when the file is gone).
   */
  private failedToOpen(slot: Slot, err: Error): void {
    this.stats.open_errors++;
    this.opts.log.error({ err }, 'reader thread cannot open the database');
    this.retire(slot);
    if (slot.onOpen) slot.onOpen(err);
    else setTimeout(() => this.replace(slot), REOPEN_DELAY_MS).unref();
  }

  /** A reader died unexpectedly: its read fails (500), a new reader takes its place. */
  private onDeath(slot: Slot, err: Error): void {
    if (slot.retired) return;
    if (!slot.ready) {
      this.failedToOpen(slot, err);
      return;
    }
    this.retire(slot);
    const job = slot.job;
    slot.job = null;
    if (job) {
      clearTimeout(job.timer);
      this.stats.failed++;
      job.reject(err);
    }
    if (!this.closed) {
      this.opts.log.error({ err }, 'reader thread died; starting a new one');
      this.replace(slot);
    }
  }

  /** Stops a reader's thread (it ends at its next return to JavaScript). */
  private retire(slot: Slot): void {
    if (slot.retired) return;
    slot.retired = true;
    slot.ready = false;
    this.stopping++;
    void slot.worker.terminate().finally(() => this.stopping--);
  }

  private replace(old: Slot): void {
    if (this.closed) return;
    const i = this.slots.indexOf(old);
    if (i < 0) return;
    this.stats.reader_restarts++;
    this.slots[i] = this.spawn();
  }

  run<K extends ReadOp>(op: K, args: ReadArgs<K>): Promise<ReadResult<K>> {
    if (this.closed) return Promise.reject(new Error('read pool closed'));
    const idle = this.slots.some((s) => s.ready && !s.job);
    if (!idle && this.queue.length >= this.opts.maxQueue) {
      this.stats.refused_busy++;
      return Promise.reject(new ReadsBusyError());
    }
    return new Promise<ReadResult<K>>((resolve, reject) => {
      const job: Job = { id: ++this.seq, op, args, resolve: resolve as (v: unknown) => void, reject, slot: null, timer: undefined as unknown as NodeJS.Timeout };
      job.timer = setTimeout(() => this.timeOut(job), this.opts.queryTimeoutMs);
      this.queue.push(job);
      this.stats.queue_high_water = Math.max(this.stats.queue_high_water, this.queue.length);
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.job) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      job.slot = slot;
      try {
        slot.worker.postMessage({ type: 'run', id: job.id, op: job.op, args: job.args });
      } catch (err) {
        // Arguments that cannot be cloned: our bug, answered as one.
        slot.job = null;
        clearTimeout(job.timer);
        this.stats.failed++;
        job.reject(err as Error);
      }
    }
  }

  /** Budget spent: a waiting read leaves the queue; a running one is stopped with its reader, and a new reader starts. */
  private timeOut(job: Job): void {
    this.stats.timeouts++;
    const slot = job.slot;
    if (!slot) {
      const i = this.queue.indexOf(job);
      if (i >= 0) this.queue.splice(i, 1);
    } else if (slot.job === job) {
      slot.job = null;
      this.retire(slot);
      this.opts.log.warn({ op: job.op, timeoutMs: this.opts.queryTimeoutMs }, 'read over its time budget: reader stopped, a new one started');
      this.replace(slot);
    }
    job.reject(new QueryTimeoutError(this.opts.queryTimeoutMs));
  }

  counters(): Record<string, number> {
    return {
      threads: this.slots.length,
      ready: this.slots.filter((s) => s.ready).length,
      busy: this.slots.filter((s) => s.job).length,
      queued: this.queue.length,
      stopping: this.stopping,
      ...this.stats,
    };
  }

  /** Stops every reader; reads not answered yet fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error('read pool closed');
    for (const job of this.queue.splice(0)) {
      clearTimeout(job.timer);
      job.reject(err);
    }
    await Promise.all(
      this.slots.map(async (slot) => {
        const job = slot.job;
        slot.job = null;
        if (job) {
          clearTimeout(job.timer);
          job.reject(err);
        }
        if (slot.retired) return;
        slot.retired = true;
        // Readers that are idle close their connection; a busy one is terminated.
        const exited = new Promise<void>((r) => slot.worker.once('exit', () => r()));
        if (job || !slot.ready) void slot.worker.terminate();
        else slot.worker.postMessage({ type: 'close' });
        const t = setTimeout(() => void slot.worker.terminate(), 2000);
        await exited;
        clearTimeout(t);
      }),
    );
  }
}
