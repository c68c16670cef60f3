import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-thread.js';
import type { InserterOptions } from './event-row-inserter.js';

/**
 * Where events are written when they are not written on the main thread:
 * `insert` hands over rows (from `eventRows`, ids included) and resolves once
 * they are committed. Batches commit in the order they were handed over. A
 * remote store (PostgreSQL, a broker) can implement the same methods.
 */
export interface EventRowSink {
  /** `keys`: ids of remote batches that these rows complete, committed with them (see remote_batches). */
  insert(rows: unknown[], keys?: readonly string[]): Promise<void>;
  close(): Promise<void>;
  /** What the store does besides inserting (retention, index upkeep), for /metrics. */
  counters?(): Record<string, number>;
}

export interface EventStoreOptions extends InserterOptions {
  /** Retention run by the store thread: the row cap after every batch, age every maintenance interval. */
  retention?: { maxAgeMs: number; maxRows: number };
  /** How often age retention and the other upkeep run (default 10 s). */
  maintenanceIntervalMs?: number;
  /**
   * PostgreSQL only: retention runs only while `setRetentionHeld(true)` says this node holds the
   * `event-retention` singleton job (several central nodes on one database). Default: always.
   */
  retentionBySingleton?: boolean;
}

export interface EventStoreThread extends EventRowSink {
  counters(): Record<string, number>;
  /** Runs one round of upkeep now; resolves with the counters when it is done (tests, tools). */
  maintain(): Promise<Record<string, number>>;
  /** Called with the message of a failed upkeep step (the thread goes on). */
  onError?: (message: string) => void;
  /**
   * PostgreSQL only: the next event id of this writer (EventWriter's
   * `sink.nextId`). Ids come in blocks reserved from the database's sequence
   * (event_id_blocks), so several writers (central nodes) on one database
   * never assign the same id; ids increase per writer. Absent on SQLite,
   * where the single writer counts up from `EventRepository.nextId()`.
   * Throws when no block can be had within ID_BLOCK_WAIT_MS (the batch then fails).
   */
  nextId?: () => number;
  /** PostgreSQL only (with `retentionBySingleton`): whether this node runs retention now. */
  setRetentionHeld?: (held: boolean) => void;
}

/** How long `nextId` waits for a block from the store thread before it throws. */
export const ID_BLOCK_WAIT_MS = 10_000;

/**
 * Event ids from blocks the PostgreSQL store thread reserves (protocol
 * message `ids`). One block is in use and the next is fetched as soon as
 * the current one is entered, so a block is normally there when needed.
 * Should a burst use up both before the answer arrives as a message, the
 * caller waits for the answer on the shared buffer (Atomics.wait: the
 * store thread answers from its own event loop, on its own connection, not
 * behind the batches it is writing).
 */
class IdBlocks {
  private next = 0;
  private end = 0;
  private spare: { start: number; end: number } | null = null;
  /** Sequence number of the request waiting for an answer (0: none). */
  private pending = 0;
  private seq = 0;
  private readonly answered: Int32Array;
  private readonly block: Float64Array;
  private primed: ((err?: Error) => void) | null = null;
  readonly stats = { id_blocks: 0, id_block_waits: 0 };

  constructor(
    readonly shared: SharedArrayBuffer,
    private readonly post: (seq: number) => void,
  ) {
    this.answered = new Int32Array(shared, 0, 2);
    this.block = new Float64Array(shared, 8, 2);
  }

  /** Resolves once the first block is there. */
  prime(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.primed = (err) => (err ? reject(err) : resolve());
      this.request();
    });
  }

  take(): number {
    if (this.next >= this.end) {
      const b = this.spare ?? this.waitForBlock();
      this.spare = null;
      this.next = b.start;
      this.end = b.end;
    }
    if (!this.spare && !this.pending) this.request();
    return this.next++;
  }

  /** An `ids` answer that came as a message. */
  answer(m: { seq: number; start?: number; end?: number; message?: string }): void {
    if (m.seq !== this.pending) return; // taken already through the shared buffer
    this.pending = 0;
    const primed = this.primed;
    this.primed = null;
    if (m.message !== undefined || m.start === undefined || m.end === undefined) {
      primed?.(new Error(`event id block: ${m.message ?? 'no answer'}`));
      return;
    }
    this.stats.id_blocks++;
    this.spare = { start: m.start, end: m.end };
    primed?.();
  }

  /** The thread is gone: a caller waiting for the first block is told. */
  fail(err: Error): void {
    const primed = this.primed;
    this.primed = null;
    primed?.(err);
  }

  private request(): void {
    this.pending = ++this.seq;
    this.post(this.pending);
  }

  private waitForBlock(): { start: number; end: number } {
    if (!this.pending) this.request();
    const seq = this.pending;
    this.stats.id_block_waits++;
    const deadline = performance.now() + ID_BLOCK_WAIT_MS;
    for (;;) {
      const seen = Atomics.load(this.answered, 0);
      if (seen === seq) break;
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(this.answered, 0, seen, left) === 'timed-out') {
        this.pending = 0;
        throw new Error(`event id block: no answer from the event store thread within ${ID_BLOCK_WAIT_MS} ms`);
      }
    }
    this.pending = 0;
    const start = this.block[0]!;
    const end = this.block[1]!;
    if (!(end > start)) throw new Error('event id block: the event store thread could not reserve one (see its log)');
    this.stats.id_blocks++;
    return { start, end };
  }
}

/** Where the event store thread writes: a SQLite file, or a PostgreSQL database. */
export type EventStoreTarget = string | { postgresUrl: string };

/**
 * The event store thread on its own connection to `target`: the SQLite file
 * (event-store.worker.ts), or PostgreSQL (pg/pg-event-store.worker.ts), both
 * speaking the protocol below, so the caller does not know which.
 */
export async function openEventStoreThread(target: EventStoreTarget, options: EventStoreOptions = {}): Promise<EventStoreThread> {
  // PostgreSQL: ids in blocks (see IdBlocks); answers also land in this buffer: [seq, -, start, end].
  const idBuffer = typeof target === 'string' ? null : new SharedArrayBuffer(24);
  const worker: Worker =
    typeof target === 'string'
      ? startWorker(import.meta.url, 'event-store.worker', { file: target, options })
      : startWorker(import.meta.url, 'pg/pg-event-store.worker', { url: target.postgresUrl, options, idBuffer });
  const ids = idBuffer ? new IdBlocks(idBuffer, (seq) => worker.postMessage({ type: 'ids', seq })) : null;
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  const maintaining: ((s: Record<string, number>) => void)[] = [];
  let seq = 0;
  let closed: (() => void) | null = null;
  let failure: Error | null = null;
  let stats: Record<string, number> = {};
  const failAll = (err: Error) => {
    failure = err;
    ids?.fail(err);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    for (const m of maintaining.splice(0)) m(stats);
  };
  const thread: EventStoreThread = {
    insert(rows, keys = []) {
      if (failure) return Promise.reject(failure);
      const id = ++seq;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: 'insert', seq: id, rows, keys });
      });
    },
    close() {
      if (failure) return Promise.resolve();
      // Messages are handled in order: every insert posted before this one is committed first.
      return new Promise<void>((resolve) => {
        closed = resolve;
        worker.postMessage({ type: 'close' });
        setTimeout(() => void worker.terminate().then(() => resolve()), 10_000).unref();
      });
    },
    counters: () => (ids ? { ...stats, ...ids.stats } : { ...stats }),
    maintain() {
      if (failure) return Promise.resolve({ ...stats });
      return new Promise((resolve) => {
        maintaining.push(resolve);
        worker.postMessage({ type: 'maintain' });
      });
    },
  };
  await new Promise<void>((resolve, reject) => {
    worker.on('error', (err) => {
      failAll(err);
      reject(err);
    });
    worker.on('exit', () => {
      failAll(new Error('event store thread exited'));
      closed?.();
    });
    worker.on('message', (m: { type: string; seq?: number; message?: string; stats?: Record<string, number>; start?: number; end?: number }) => {
      if (m.type === 'ids') ids?.answer(m as { seq: number });
      else if (m.type === 'stored' || m.type === 'failed') {
        const p = pending.get(m.seq!);
        pending.delete(m.seq!);
        if (m.type === 'stored') p?.resolve();
        else p?.reject(new Error(m.message));
      } else if (m.type === 'stats') stats = m.stats!;
      else if (m.type === 'maintained') {
        stats = m.stats!;
        maintaining.shift()?.({ ...stats });
      } else if (m.type === 'maintenance-error') thread.onError?.(m.message!);
      else if (m.type === 'ready') resolve();
      else if (m.type === 'open-error') {
        void worker.terminate();
        reject(new Error(m.message));
      }
    });
  });
  if (ids) {
    await ids.prime().catch(async (err: unknown) => {
      await thread.close();
      throw err;
    });
    thread.nextId = () => ids.take();
  }
  if (typeof target !== 'string') {
    thread.setRetentionHeld = (held) => {
      if (!failure) worker.postMessage({ type: 'retention', held });
    };
  }
  return thread;
}
