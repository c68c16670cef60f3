import type { Worker } from 'node:worker_threads';
import type { SnmpTarget } from '../collectors/snmp/snmp.client.js';
import { startWorker } from '../worker-thread.js';
import { RmonReadError, type RmonHistoryRead, type RmonReadErrorKind, type RmonTablesRead, type RmonWalkRequest } from './rmon-walk.js';

/** Messages between RmonThread and rmon.worker. */
export type RmonWorkerRequest =
  | { type: 'tables'; id: number; req: RmonWalkRequest }
  | { type: 'history'; id: number; req: RmonWalkRequest; control?: number }
  | { type: 'forget'; target: SnmpTarget }
  | { type: 'close' };
export type RmonWorkerReply =
  | { id: number; result: RmonTablesRead | RmonHistoryRead; error?: undefined }
  | { id: number; error: { kind: RmonReadErrorKind; message: string }; result?: undefined };

/**
 * The RMON worker thread, started on the first read and stopped after `idleMs` without one (reads
 * are rare: an operator opening a device's RMON card, a trap from a device not read yet). A worker
 * that dies fails its reads (as `failed`) and the next read starts a new one.
 */
export class RmonThread {
  private worker: Worker | null = null;
  private readonly inflight = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  readonly stats = { starts: 0, deaths: 0 };

  constructor(private readonly idleMs = 60_000) {}

  tables(req: RmonWalkRequest): Promise<RmonTablesRead> {
    return this.send((id) => ({ type: 'tables', id, req })) as Promise<RmonTablesRead>;
  }

  history(req: RmonWalkRequest, control: number | undefined): Promise<RmonHistoryRead> {
    return this.send((id) => ({ type: 'history', id, req, control })) as Promise<RmonHistoryRead>;
  }

  /** Closes a device's cached session in the worker (nothing to do when no worker runs). */
  forget(target: SnmpTarget): void {
    this.worker?.postMessage({ type: 'forget', target } satisfies RmonWorkerRequest);
  }

  private send(make: (id: number) => RmonWorkerRequest): Promise<unknown> {
    if (this.closed) return Promise.reject(new RmonReadError('failed', 'the server is stopping'));
    const w = this.worker ?? this.start();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.inflight.set(id, { resolve, reject });
      w.postMessage(make(id));
    });
  }

  private start(): Worker {
    this.stats.starts++;
    const w = startWorker(import.meta.url, 'rmon.worker', {});
    w.unref();
    w.on('message', (m: RmonWorkerReply) => {
      const p = this.inflight.get(m.id);
      if (!p) return;
      this.inflight.delete(m.id);
      if (m.error) p.reject(new RmonReadError(m.error.kind, m.error.message));
      else p.resolve(m.result);
      this.armIdle();
    });
    const fail = (why: string) => {
      if (this.worker !== w) return;
      this.worker = null;
      if (!this.closed) this.stats.deaths++;
      for (const p of this.inflight.values()) p.reject(new RmonReadError('failed', why));
      this.inflight.clear();
    };
    w.on('error', (e) => fail(`RMON worker failed: ${e.message}`));
    w.on('exit', (code) => fail(`RMON worker exited with code ${code}`));
    this.worker = w;
    return w;
  }

  private armIdle(): void {
    if (this.inflight.size > 0 || this.closed) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.stopWorker(), this.idleMs);
    this.idleTimer.unref();
  }

  private async stopWorker(): Promise<void> {
    const w = this.worker;
    if (!w || this.inflight.size > 0) return;
    this.worker = null;
    const gone = new Promise<void>((r) => w.once('exit', () => r()));
    w.postMessage({ type: 'close' } satisfies RmonWorkerRequest);
    const t = setTimeout(() => void w.terminate(), 2000);
    await gone;
    clearTimeout(t);
  }

  running(): boolean {
    return this.worker !== null;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const p of this.inflight.values()) p.reject(new RmonReadError('failed', 'the server is stopping'));
    this.inflight.clear();
    await this.stopWorker();
  }
}
