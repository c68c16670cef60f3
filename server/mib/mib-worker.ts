/**
 * Runs a MIB load in a worker thread so a cold compile (seconds for the full
 * IETF set) never blocks the HTTP server. From TypeScript sources (vitest, tsx)
 * the worker registers tsx's loader first, as the poll workers do.
 */
import { startWorker } from '../worker-thread.js';
import type { loadMibs, MibLoadResult } from './mib.loader.js';

/** `signal` aborts the compile: the worker is terminated and the promise rejects. */
export function loadMibsInWorker(opts: Parameters<typeof loadMibs>[0], signal?: AbortSignal): Promise<MibLoadResult> {
  if (signal?.aborted) return Promise.reject(new Error('MIB load aborted'));
  const worker = startWorker(import.meta.url, 'mib-compile.worker', opts);
  return new Promise((resolve, reject) => {
    let settled = false;
    signal?.addEventListener('abort', () => {
      if (!settled) reject(new Error('MIB load aborted'));
      settled = true;
      void worker.terminate();
    });
    worker.once('message', (msg: { ok: true; loaded: MibLoadResult } | { ok: false; message: string }) => {
      settled = true;
      if (msg.ok) resolve(msg.loaded);
      else reject(new Error(`MIB compile worker failed: ${msg.message}`));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`MIB compile worker exited with code ${code}`));
      settled = true;
    });
  });
}
