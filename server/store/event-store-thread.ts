import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-thread.js';

/**
 * Where events are written when they are not written on the main thread:
 * `insert` hands over rows (from `eventRows`, ids included) and resolves once
 * they are committed. Batches commit in the order they were handed over. A
 * remote store (PostgreSQL, a broker) can implement the same two methods.
 */
export interface EventRowSink {
  insert(rows: unknown[]): Promise<void>;
  close(): Promise<void>;
}

/** The event store thread (event-store.worker.ts) on its own connection to `file`. */
export async function openEventStoreThread(file: string): Promise<EventRowSink> {
  const worker: Worker = startWorker(import.meta.url, 'event-store.worker', { file });
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let seq = 0;
  let closed: (() => void) | null = null;
  let failure: Error | null = null;
  const failAll = (err: Error) => {
    failure = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
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
    worker.on('message', (m: { type: string; seq?: number; message?: string }) => {
      if (m.type === 'stored' || m.type === 'failed') {
        const p = pending.get(m.seq!);
        pending.delete(m.seq!);
        if (m.type === 'stored') p?.resolve();
        else p?.reject(new Error(m.message));
      } else if (m.type === 'ready') resolve();
      else if (m.type === 'open-error') {
        void worker.terminate();
        reject(new Error(m.message));
      }
    });
  });
  return {
    insert(rows) {
      if (failure) return Promise.reject(failure);
      const id = ++seq;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: 'insert', seq: id, rows });
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
  };
}
