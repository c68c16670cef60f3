import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { waitForFlag } from '../../../server/store/pg/pg-sync.js';

/**
 * The caller of a PgDb statement sleeps until the connection thread sets the flag. A notify that
 * arrives without the flag set (the late wake-up of the previous statement) must not end the wait:
 * the caller would read an empty port ("woke without an answer") and fail a statement that succeeds.
 */
describe('waitForFlag', () => {
  it('keeps sleeping through a wake-up that comes without the flag, and returns when the flag is set', async () => {
    const sab = new SharedArrayBuffer(8);
    const flag = new Int32Array(sab, 0, 1);
    const go = new Int32Array(sab, 4, 1);
    // Another thread: a stray notify at once, then the real answer 300 ms later.
    const w = new Worker(
      `const { workerData } = require('node:worker_threads');
       const flag = new Int32Array(workerData, 0, 1), go = new Int32Array(workerData, 4, 1);
       Atomics.wait(go, 0, 0);
       const until = Date.now() + 30; while (Date.now() < until) {}
       Atomics.notify(flag, 0);
       Atomics.wait(go, 0, 1, 300);
       Atomics.store(flag, 0, 1);
       Atomics.notify(flag, 0);`,
      { eval: true, workerData: sab },
    );
    await new Promise((r) => w.once('online', r));
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    expect(waitForFlag(flag, 10_000)).toBe(true);
    // Returned for the answer, not for the stray wake-up.
    expect(Atomics.load(flag, 0)).toBe(1);
    await w.terminate();
  });

  it('gives up after the timeout when the flag is never set', () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    expect(waitForFlag(flag, 50)).toBe(false);
  });

  it('returns at once when the answer came before the wait', () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(flag, 0, 1);
    expect(waitForFlag(flag, 10_000)).toBe(true);
  });
});
