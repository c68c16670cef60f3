import type { Worker } from 'node:worker_threads';
import { startWorker as startThreadWorker, workerEntry as threadWorkerEntry } from '../worker-thread.js';
import type { PollResult } from '../contracts/poll.js';
import type { SnmpClientOptions, SnmpTarget } from '../collectors/snmp/snmp.client.js';
import type { CollectOptions } from '../collectors/snmp/snmp.collect.js';

/** Messages between the pool and `poll.worker`. */
export type WorkerRequest =
  | { type: 'poll'; id: number; target: SnmpTarget; options?: Omit<CollectOptions, 'now'> }
  | { type: 'forget'; deviceId: number; current?: SnmpTarget }
  | { type: 'sessions'; id: number }
  | { type: 'close' };
export type WorkerReply =
  | { id: number; result: PollResult; error?: undefined; sessions?: undefined }
  | { id: number; error: string; result?: undefined; sessions?: undefined }
  | { id: number; sessions: number; result?: undefined; error?: undefined };

export interface WorkerPoolOptions {
  /** Worker threads (default 2: the machines have two cores). */
  workers?: number;
  /** Passed to each worker's SnmpClient (sockets per worker, bulk sizes...). */
  client?: SnmpClientOptions;
  log?: { warn(obj: object, msg: string): void };
}

interface Slot {
  worker: Worker;
  inflight: Map<number, { resolve: (r: PollResult) => void; reject: (e: Error) => void }>;
  /** Open-session queries waiting for this worker's answer. */
  queries: Map<number, (n: number) => void>;
}

/** Where `poll.worker` lives (see worker-thread.ts). */
export function workerEntry(base = import.meta.url): { url: URL; fromTs: boolean } {
  return threadWorkerEntry(base, 'poll.worker');
}

function startWorker(workerData: unknown): Worker {
  return startThreadWorker(import.meta.url, 'poll.worker', workerData);
}

/** SNMP polls in `worker_threads`, dispatched to the least busy worker; a crashed worker is replaced. */
export class PollWorkerPool {
  private readonly slots: Slot[] = [];
  private seq = 0;
  private closed = false;
  readonly stats = { polls: 0, failures: 0, workerRestarts: 0 };

  constructor(private readonly opts: WorkerPoolOptions = {}) {
    const n = Math.max(1, opts.workers ?? 2);
    for (let i = 0; i < n; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = startWorker({ client: this.opts.client ?? {} });
    const slot: Slot = { worker, inflight: new Map(), queries: new Map() };
    worker.on('message', (m: WorkerReply) => {
      if (m.sessions !== undefined) {
        slot.queries.get(m.id)?.(m.sessions);
        slot.queries.delete(m.id);
        return;
      }
      const p = slot.inflight.get(m.id);
      if (!p) return;
      slot.inflight.delete(m.id);
      if (m.result) p.resolve(m.result);
      else {
        this.stats.failures++;
        p.reject(new Error(m.error ?? 'poll failed'));
      }
    });
    const fail = (why: Error) => {
      for (const p of slot.inflight.values()) p.reject(why);
      slot.inflight.clear();
      for (const q of slot.queries.values()) q(0); // a dead worker's sessions died with it
      slot.queries.clear();
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) {
        this.opts.log?.warn({ err: why }, 'poll worker died, starting a new one');
        this.stats.workerRestarts++;
        this.slots[i] = this.spawn();
      }
    };
    worker.on('error', (e) => fail(e));
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`poll worker exited with code ${code}`));
    });
    return slot;
  }

  /** Polls one device in a worker. Resolves with the PollResult (errors inside it); rejects only if the worker died. */
  poll(target: SnmpTarget, options?: Omit<CollectOptions, 'now'>): Promise<PollResult> {
    if (this.closed) return Promise.reject(new Error('worker pool closed'));
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.inflight.size < slot.inflight.size) slot = s;
    const id = ++this.seq;
    this.stats.polls++;
    return new Promise<PollResult>((resolve, reject) => {
      slot.inflight.set(id, { resolve, reject });
      slot.worker.postMessage({ type: 'poll', id, target, options } satisfies WorkerRequest);
    });
  }

  /**
   * Closes the cached session of a device in every worker (after it was deleted; with `current`, its
   * edited target, only where the cached session has other settings).
   */
  forget(deviceId: number, current?: SnmpTarget): void {
    if (this.closed) return;
    for (const s of this.slots) s.worker.postMessage({ type: 'forget', deviceId, current } satisfies WorkerRequest);
  }

  /** SNMP sessions open in all workers together (asked after every message sent before, e.g. a forget). */
  async openSessions(): Promise<number> {
    if (this.closed) return 0;
    const counts = await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<number>((resolve) => {
            const id = ++this.seq;
            s.queries.set(id, resolve);
            s.worker.postMessage({ type: 'sessions', id } satisfies WorkerRequest);
          }),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  inflight(): number {
    return this.slots.reduce((n, s) => n + s.inflight.size, 0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map(async (s) => {
        for (const p of s.inflight.values()) p.reject(new Error('worker pool closed'));
        s.inflight.clear();
        for (const q of s.queries.values()) q(0);
        s.queries.clear();
        s.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
        const t = setTimeout(() => void s.worker.terminate(), 2000);
        await new Promise<void>((r) => s.worker.once('exit', () => r()));
        clearTimeout(t);
      }),
    );
  }
}
