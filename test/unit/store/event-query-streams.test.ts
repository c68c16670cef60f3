import { describe, expect, it } from 'vitest';
import { ChunkedStream, Intersection, Meter, ScanLimit, UnionStream, type Chunk } from '../../../server/store/event-query.js';

/** A stream over `ids` (ascending) in chunks, counting reads. */
function source(ids: number[], lo = 1) {
  const reads: number[] = [];
  const read = (ceiling: number, n: number): Chunk => {
    reads.push(n);
    const out = ids.filter((i) => i <= ceiling && i >= lo).reverse().slice(0, n);
    return { ids: out, floor: out.length === n ? out.at(-1)! : lo };
  };
  return { reads, read };
}

/** Every id a walk over `stream` gives, newest first, from `hi`. */
function walkAll(walk: Intersection): number[] {
  const out: number[] = [];
  for (let id = walk.next(); id !== null; id = walk.next()) {
    out.push(id);
    walk.x = id - 1;
  }
  return out;
}

describe('ChunkedStream', () => {
  it('reads on in growing chunks while it is walked in order (a few reads for 100,000 ids, not one per 32)', () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => i + 1);
    const s = source(ids);
    const got = walkAll(new Intersection([new ChunkedStream(s.read, 1, new Meter(Infinity))], 100_000));
    expect(got).toHaveLength(100_000);
    expect(got[0]).toBe(100_000);
    expect(got.at(-1)).toBe(1);
    // 32, 128, 512, 2048, then 4096 at a time.
    expect(s.reads.slice(0, 5)).toEqual([32, 128, 512, 2048, 4096]);
    expect(s.reads.length).toBeLessThan(30);
  });

  it('says how far it got when its budget runs out on a read that found nothing, and gives an id found before the walk decided one', () => {
    const s = source([5, 38_500]);
    const windowed = (ceiling: number, n: number): Chunk => {
      const c = s.read(ceiling, n);
      // A read in id order covers a window of 1,000 ids.
      const floor = Math.max(1, ceiling - 999);
      return { ids: c.ids.filter((i) => i >= floor), floor };
    };
    const meter = new Meter(10);
    const stream = new ChunkedStream(windowed, 1, meter, () => 20);
    // Nothing in [39001, 40000]: stopped there, with the window decided.
    let stop: unknown;
    try {
      stream.seek(40_000);
    } catch (err) {
      stop = err;
    }
    expect(stop).toBeInstanceOf(ScanLimit);
    expect((stop as ScanLimit).undecided).toBe(39_000);
    // Over budget but not armed: a read that found an id answers it (the call moves on by at least that id).
    expect(stream.seek(39_000)).toBe(38_500);
    meter.armed = true;
    try {
      stream.seek(38_499);
      stop = null;
    } catch (err) {
      stop = err;
    }
    expect((stop as ScanLimit).undecided).toBe(37_000);
  });
});

describe('UnionStream', () => {
  it('answers an id above the bound a stopped part reached, and otherwise stops at the highest bound', () => {
    const meter = new Meter(0);
    const stopped = { seek: (x: number) => { const e = new ScanLimit('x'); e.undecided = x - 100; throw e; } };
    const a = { seek: (x: number) => (x >= 950 ? 950 : null) };
    expect(new UnionStream([stopped, a]).seek(1000)).toBe(950);
    expect(new UnionStream([a, stopped]).seek(1000)).toBe(950);
    try {
      new UnionStream([stopped, a]).seek(940);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ScanLimit);
      expect((err as ScanLimit).undecided).toBe(840);
    }
    expect(meter.n).toBe(0);
  });
});
