/**
 * Runs a MIB load in a worker thread so a cold compile (seconds for the full
 * IETF set) never blocks the HTTP server. From TypeScript sources (vitest, tsx)
 * the worker registers tsx's loader first, as the poll workers do.
 */
import type { MibBundleReport } from '../contracts/mib.js';
import { startWorker } from '../worker-thread.js';
import { MibBundleError } from './mib-bundle.js';
import type { BundleLoadInput } from './mib-bundle.load.js';
import type { loadMibs, MibLoadResult } from './mib.loader.js';

type Reply =
  | { ok: true; loaded: MibLoadResult; report?: MibBundleReport }
  | { ok: false; message: string; refused?: undefined }
  | { ok: false; refused: { message: string; status: 400 | 413 | 415 }; message?: undefined };

function run(workerData: unknown, signal?: AbortSignal): Promise<{ loaded: MibLoadResult; report?: MibBundleReport }> {
  if (signal?.aborted) return Promise.reject(new Error('MIB load aborted'));
  const worker = startWorker(import.meta.url, 'mib-compile.worker', workerData);
  return new Promise((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (!settled) reject(new Error('MIB load aborted'));
      settled = true;
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // One listener per run on the service's long-lived signal: removed when the worker is gone.
    worker.once('exit', () => signal?.removeEventListener('abort', onAbort));
    worker.once('message', (msg: Reply) => {
      settled = true;
      if (msg.ok) resolve({ loaded: msg.loaded, report: msg.report });
      else if (msg.refused) reject(new MibBundleError(msg.refused.message, msg.refused.status));
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

/** `signal` aborts the compile: the worker is terminated and the promise rejects. */
export async function loadMibsInWorker(opts: Parameters<typeof loadMibs>[0], signal?: AbortSignal): Promise<MibLoadResult> {
  return (await run(opts, signal)).loaded;
}

/** Unpacks, stores and compiles a bundle in a worker; a refused archive rejects with MibBundleError. */
export async function loadBundleInWorker(input: BundleLoadInput, signal?: AbortSignal): Promise<{ loaded: MibLoadResult; report: MibBundleReport }> {
  const { opts, ...bundle } = input;
  const r = await run({ ...opts, bundle }, signal);
  return { loaded: r.loaded, report: r.report! };
}
