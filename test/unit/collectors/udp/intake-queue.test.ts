import { describe, expect, it } from 'vitest';
import { IntakeQueue } from '../../../../server/collectors/udp/intake-queue.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('intake queue', () => {
  it('hands items on later, in order, in batches of at most batchSize', async () => {
    const batches: number[][] = [];
    const q = new IntakeQueue<number>({ capacity: 100, batchSize: 4, process: (b) => batches.push(b) });
    for (let i = 0; i < 10; i++) q.push(i);
    expect(batches).toEqual([]);
    for (let i = 0; i < 5; i++) await tick();
    expect(batches).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(q.length).toBe(0);
  });

  it('drops and counts beyond capacity instead of growing', () => {
    const q = new IntakeQueue<number>({ capacity: 3, batchSize: 10, process: () => undefined });
    expect([1, 2, 3, 4, 5].map((i) => q.push(i))).toEqual([true, true, true, false, false]);
    expect(q.dropped).toBe(2);
    expect(q.highWater).toBe(3);
    q.flush();
    expect(q.length).toBe(0);
  });

  it('keeps going after a batch throws, reporting how many were lost', async () => {
    const seen: number[] = [];
    const errors: number[] = [];
    const q = new IntakeQueue<number>({
      capacity: 100, batchSize: 2,
      process: (b) => {
        if (b.includes(2)) throw new Error('boom');
        seen.push(...b);
      },
      onError: (_e, lost) => errors.push(lost),
    });
    for (let i = 0; i < 6; i++) q.push(i);
    for (let i = 0; i < 4; i++) await tick();
    expect(seen).toEqual([0, 1, 4, 5]);
    expect(errors).toEqual([2]);
  });

  it('flush processes everything synchronously', () => {
    const seen: number[] = [];
    const q = new IntakeQueue<number>({ capacity: 100_000, batchSize: 1000, process: (b) => seen.push(...b) });
    for (let i = 0; i < 2500; i++) q.push(i);
    q.flush();
    expect(seen.length).toBe(2500);
  });

  it('with a byte budget, holds many small items but few large ones, and frees the bytes once processed', () => {
    const seen: string[] = [];
    const q = new IntakeQueue<string>({ capacityBytes: 1000, sizeOf: (s) => s.length, batchSize: 100, process: (b) => seen.push(...b) });
    const small = Array.from({ length: 20 }, (_, i) => `s${String(i).padStart(49, '0')}`); // 50 bytes each
    expect(small.map((s) => q.push(s)).every(Boolean)).toBe(true);
    expect(q.bytes).toBe(1000);
    expect(q.push('x')).toBe(false);
    expect(q.dropped).toBe(1);
    q.flush();
    expect(q.bytes).toBe(0);
    expect(seen.length).toBe(20);
    const large = 'L'.repeat(400);
    expect([large, large, large].map((s) => q.push(s))).toEqual([true, true, false]);
    expect(q.bytes).toBe(800);
    expect(q.highWaterBytes).toBe(1000);
    expect(q.dropped).toBe(2);
  });

  it('applies the count bound and the byte budget together, and refuses to be unbounded', () => {
    const q = new IntakeQueue<string>({ capacity: 2, capacityBytes: 1000, sizeOf: (s) => s.length, batchSize: 10, process: () => undefined });
    expect(['a', 'b', 'c'].map((s) => q.push(s))).toEqual([true, true, false]);
    expect(() => new IntakeQueue<string>({ batchSize: 1, process: () => undefined })).toThrow(/capacity/);
    expect(() => new IntakeQueue<string>({ capacityBytes: 10, batchSize: 1, process: () => undefined })).toThrow(/sizeOf/);
  });
});
