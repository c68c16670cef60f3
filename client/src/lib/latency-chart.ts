/**
 * SmokePing-style latency graph data (pure): per cycle or bucket, the median
 * line, the p10–p90 and p25–p75 bands, and the loss in colour classes.
 */
export interface LatencyPointLike {
  ts: number;
  sent: number;
  received: number;
  lossPct: number;
  p10: number | null;
  p25: number | null;
  p50: number | null;
  p75: number | null;
  p90: number | null;
  p0?: number | null;
  p100?: number | null;
  cycles?: number;
}

/** Loss classes, SmokePing-like: none, then growing amounts up to total loss. */
export const LOSS_CLASSES = [
  { label: '0%', max: 0, color: '#2b8a3e' },
  { label: '≤ 5%', max: 5, color: '#1c7ed6' },
  { label: '≤ 10%', max: 10, color: '#7048e8' },
  { label: '≤ 25%', max: 25, color: '#f59f00' },
  { label: '≤ 50%', max: 50, color: '#e8590c' },
  { label: '< 100%', max: 99.999, color: '#c92a2a' },
  { label: '100%', max: 100, color: '#5f0f0f' },
] as const;

/** Index in LOSS_CLASSES of a loss percentage. */
export function lossClass(lossPct: number): number {
  if (!(lossPct > 0)) return 0;
  const i = LOSS_CLASSES.findIndex((c) => lossPct <= c.max);
  return i < 0 ? LOSS_CLASSES.length - 1 : i;
}

/**
 * Columns for uPlot: x (s), p10, p90, p25, p75, p50, then one column per loss class
 * (the loss % of the points in that class, null elsewhere; plotted on the loss axis).
 */
export function latencyColumns(points: readonly LatencyPointLike[]): (number | null)[][] {
  const xs = points.map((p) => p.ts / 1000);
  const col = (k: 'p10' | 'p90' | 'p25' | 'p75' | 'p50') => points.map((p) => p[k]);
  const loss = LOSS_CLASSES.map((_, i) => points.map((p) => (p.lossPct > 0 && lossClass(p.lossPct) === i ? p.lossPct : null)));
  return [xs, col('p10'), col('p90'), col('p25'), col('p75'), col('p50'), ...loss];
}

/** What the hover box says about one point. */
export function describePoint(p: LatencyPointLike): string {
  const ms = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${v < 10 ? v.toFixed(3) : v.toFixed(1)} ms`);
  const parts = [
    `median ${ms(p.p50)}`,
    `p25–p75 ${ms(p.p25)} – ${ms(p.p75)}`,
    `p10–p90 ${ms(p.p10)} – ${ms(p.p90)}`,
    `loss ${+p.lossPct.toFixed(2)}% (${p.sent - p.received}/${p.sent} probes${p.cycles && p.cycles > 1 ? `, ${p.cycles} cycles` : ''})`,
  ];
  return parts.join(' · ');
}
