/**
 * The latency distribution of one ICMP cycle (SmokePing-style): fixed
 * percentiles of the RTTs that came back, and the loss. Pure.
 */
export const LATENCY_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 100] as const;
export type LatencyPercentile = (typeof LATENCY_PERCENTILES)[number];

/** p0 … p100 in ms; null when no probe came back. */
export type Percentiles = Record<`p${LatencyPercentile}`, number | null>;

const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Percentiles of the received RTTs by linear interpolation between the
 * closest ranks (p0 = min, p50 = median, p100 = max).
 */
export function rttPercentiles(rtts: readonly (number | null)[]): Percentiles {
  const got = rtts.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  const out = {} as Percentiles;
  for (const p of LATENCY_PERCENTILES) out[`p${p}`] = got.length ? round(quantile(got, p / 100)) : null;
  return out;
}

/** Quantile q (0..1) of an ascending, non-empty list. */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Metric names the ICMP cycle publishes as ordinary samples (threshold rules use them). */
export const LATENCY_METRICS = {
  lossPct: 'icmp.loss_pct',
  p50: 'icmp.rtt_p50',
  p90: 'icmp.rtt_p90',
  p95: 'icmp.rtt_p95',
} as const;
