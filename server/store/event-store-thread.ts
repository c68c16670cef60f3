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
}

export interface EventStoreThread extends EventRowSink {
  counters(): Record<string, number>;
  /** Runs one round of upkeep now; resolves with the counters when it is done (tests, tools). */
  maintain(): Promise<Record<string, number>>;
  /** Called with the message of a failed upkeep step (the thread goes on). */
  onError?: (message: string) => void;
}

/** Where the event store thread writes: a SQLite file, or a PostgreSQL database. */
export type EventStoreTarget = string | { postgresUrl: string };

/**
 * The event store thread on its own connection to `target`: the SQLite file
 * (event-store.worker.ts), or PostgreSQL (pg/pg-event-store.worker.ts), both
 * speaking the protocol below, so the caller does not know which.
 */
export async function openEventStoreThread(target: EventStoreTarget, options: EventStoreOptions = {}): Promise<EventStoreThread> {
  const worker: Worker =
    typeof target === 'string'
      ? startWorker(import.meta.url, 'event-store.worker', { file: target, options })
      : startWorker(import.meta.url, 'pg/pg-event-store.worker', { url: target.postgresUrl, options });
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  const maintaining: ((s: Record<string, number>) => void)[] = [];
  let seq = 0;
  let closed: (() => void) | null = null;
  let failure: Error | null = null;
  let stats: Record<string, number> = {};
  const failAll = (err: Error) => {
    failure = err;
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
    counters: () => ({ ...stats }),
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
    worker.on('message', (m: { type: string; seq?: number; message?: string; stats?: Record<string, number> }) => {
      if (m.type === 'stored' || m.type === 'failed') {
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
  return thread;
}
