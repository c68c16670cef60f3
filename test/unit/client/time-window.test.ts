import { describe, expect, it } from 'vitest';
import { timeWindow, xScaleRange } from '../../../client/src/lib/time-window.js';
import { describePoint, latencyColumns, lossClass, LOSS_CLASSES } from '../../../client/src/lib/latency-chart.js';

const NOW = Date.UTC(2026, 11, 7, 8, 0, 0);

describe('device graph time axis', () => {
  it('spans exactly the chosen window, whatever the data (one first sample included)', () => {
    const w = timeWindow(3_600_000, NOW);
    expect(w).toEqual({ from: NOW - 3_600_000, to: NOW });
    const [min, max] = xScaleRange(w);
    expect(max - min).toBe(3600);
    expect(new Date(min * 1000).getUTCFullYear()).toBe(2026);
    expect(new Date(max * 1000).toISOString()).toBe('2026-12-07T08:00:00.000Z');
    expect(xScaleRange(timeWindow(365 * 86_400_000, NOW))[1] - xScaleRange(timeWindow(365 * 86_400_000, NOW))[0]).toBe(365 * 86_400);
  });

  it('falls back to an hour for a nonsense range', () => {
    expect(timeWindow(Number.NaN, NOW)).toEqual({ from: NOW - 3_600_000, to: NOW });
    expect(timeWindow(-5, NOW).to - timeWindow(-5, NOW).from).toBe(3_600_000);
  });
});

describe('SmokePing-style latency graph data', () => {
  it('puts each loss amount in its colour class', () => {
    expect([0, 5, 5.01, 10, 25, 50, 60, 99.9, 100].map(lossClass)).toEqual([0, 1, 2, 2, 3, 4, 5, 5, 6]);
    expect(LOSS_CLASSES[lossClass(100)]!.label).toBe('100%');
  });

  it('builds the median, band and loss columns', () => {
    const pts = [
      { ts: 1000, sent: 20, received: 20, lossPct: 0, p10: 1, p25: 2, p50: 3, p75: 4, p90: 5 },
      { ts: 2000, sent: 20, received: 15, lossPct: 25, p10: 1, p25: 2, p50: 3, p75: 4, p90: 6 },
      { ts: 3000, sent: 20, received: 0, lossPct: 100, p10: null, p25: null, p50: null, p75: null, p90: null },
    ];
    const cols = latencyColumns(pts);
    expect(cols[0]).toEqual([1, 2, 3]);
    expect(cols[2]).toEqual([5, 6, null]); // p90
    expect(cols[5]).toEqual([3, 3, null]); // median
    expect(cols[6 + 3]).toEqual([null, 25, null]); // ≤ 25% class
    expect(cols[6 + 6]).toEqual([null, null, 100]); // total loss
    expect(cols[6]).toEqual([null, null, null]); // no loss: no marker
    expect(describePoint(pts[1]!)).toBe('median 3.000 ms · p25–p75 2.000 ms – 4.000 ms · p10–p90 1.000 ms – 6.000 ms · loss 25% (5/20 probes)');
  });
});
