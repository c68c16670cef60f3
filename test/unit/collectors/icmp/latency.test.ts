import { describe, expect, it } from 'vitest';
import { summariseRtts } from '../../../../server/collectors/icmp/fping.parser.js';
import { quantile, rttPercentiles } from '../../../../server/collectors/icmp/latency.js';

describe('latency distribution of one ICMP cycle', () => {
  it('gives p0 = min, p50 = median, p100 = max of the replies, interpolating between ranks', () => {
    const p = rttPercentiles([5, 1, null, 3, 2, 4]);
    expect(p).toEqual({ p0: 1, p10: 1.4, p25: 2, p50: 3, p75: 4, p90: 4.6, p95: 4.8, p100: 5 });
  });

  it('has no percentiles when every probe was lost, and one value everywhere for a single reply', () => {
    expect(Object.values(rttPercentiles([null, null]))).toEqual(Array(8).fill(null));
    expect(Object.values(rttPercentiles([0.25, null]))).toEqual(Array(8).fill(0.25));
  });

  it('quantile of a sorted list', () => {
    expect(quantile([10, 20], 0.5)).toBe(15);
    expect(quantile([10], 0.9)).toBe(10);
  });

  it('keeps one RTT per probe sent, in order, with lost probes as null', () => {
    expect(summariseRtts('h', [0.1, null, 0.3], 3).rtts).toEqual([0.1, null, 0.3]);
    // fping printed fewer values than probes sent: the missing ones are lost.
    expect(summariseRtts('h', [0.1], 3)).toMatchObject({ received: 1, lossPct: 66.667, rtts: [0.1, null, null] });
  });
});
