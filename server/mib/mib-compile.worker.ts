/**
 * Worker thread entry: runs one MIB load (parse, compile, save the index) off
 * the main thread and posts the result back (structured clone).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadMibs } from './mib.loader.js';

const opts = workerData as Parameters<typeof loadMibs>[0];
try {
  parentPort!.postMessage({ ok: true, loaded: loadMibs(opts) });
} catch (err) {
  parentPort!.postMessage({ ok: false, message: (err as Error).stack ?? String(err) });
}
