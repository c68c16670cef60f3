import { describe, expect, it } from 'vitest';
import { FTS_PARTITION_ROWS, partitionRowsFor } from '../../../server/store/event-fts.js';

describe('full-text partition size', () => {
  it('keeps the number of partitions a search reads bounded at any row cap', () => {
    expect(partitionRowsFor(1_000_000)).toBe(FTS_PARTITION_ROWS);
    expect(partitionRowsFor(10_000_000)).toBe(312_500);
    for (const cap of [1e6, 1e7, 5e7, 2e8]) expect(Math.ceil(cap / partitionRowsFor(cap))).toBeLessThanOrEqual(32);
  });
});
