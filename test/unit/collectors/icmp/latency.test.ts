import { describe, expect, it } from 'vitest';
import { summariseRtts } from '../../../../server/collectors/icmp/fping.parser.js';
import { quantile, rttPercentiles } from '../../../../server/collectors/icmp/latency.js';
import { fpingInterval, MIN_FPING_INTERVAL_MS } from '../../../../server/collectors/icmp/icmp.pinger.js';

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

  it('paces fping so a round of every host fits in the per-host period, never below the floor', () => {
    const o = { count: 20, periodMs: 200, intervalMs: 1 };
    expect(fpingInterval(100, o)).toBe(1);
    expect(fpingInterval(1000, o)).toBe(0.2);
    expect(fpingInterval(2500, o)).toBe(0.08);
    expect(fpingInterval(100_000, o)).toBe(MIN_FPING_INTERVAL_MS);
    // A one-probe sweep (discovery) keeps the configured gap.
    expect(fpingInterval(4096, { ...o, count: 1 })).toBe(1);
  });
});
