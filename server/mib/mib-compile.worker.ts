/**
 * Worker thread entry: runs one MIB load (parse, compile, save the index) off
 * the main thread and posts the result back (structured clone). With a
 * `bundle` it first unpacks and stores that archive (mib-bundle.load.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MibBundleError } from './mib-bundle.js';
import { loadBundle, type BundleLoadInput } from './mib-bundle.load.js';
import { loadMibs } from './mib.loader.js';

type Input = Parameters<typeof loadMibs>[0] & { bundle?: Omit<BundleLoadInput, 'opts'> };

const { bundle, ...opts } = workerData as Input;
try {
  if (bundle) {
    const r = await loadBundle({ ...bundle, opts });
    parentPort!.postMessage({ ok: true, loaded: r.loaded, report: r.report });
  } else {
    parentPort!.postMessage({ ok: true, loaded: loadMibs(opts) });
  }
} catch (err) {
  if (err instanceof MibBundleError) parentPort!.postMessage({ ok: false, refused: { message: err.message, status: err.status } });
  else parentPort!.postMessage({ ok: false, message: (err as Error).stack ?? String(err) });
}
