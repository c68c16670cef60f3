import type { Point, Resolution, SampleRepository } from './sample.repository.js';

/** How long each resolution is kept, in seconds. */
export interface RetentionSec {
  raw: number;
  '5m': number;
  '1h': number;
}

/** Finest resolution that still holds `from` and is not finer than needed for `step`. */
export function pickResolution(fromSec: number, nowSec: number, step: number | undefined, keep: RetentionSec): Resolution {
  const age = nowSec - fromSec;
  if ((step === undefined || step < 300) && age <= keep.raw) return 'raw';
  if ((step === undefined || step < 3600) && age <= keep['5m']) return '5m';
  return '1h';
}

/** Averages raw points into `step`-second buckets (min/max kept). */
export function bucket(points: Point[], step: number): Point[] {
  const out: Point[] = [];
  let cur: { ts: number; sum: number; n: number; min: number; max: number } | undefined;
  for (const p of points) {
    const ts = Math.floor(p.ts / step) * step;
    if (!cur || cur.ts !== ts) {
      if (cur) out.push({ ts: cur.ts, value: cur.sum / cur.n, min: cur.min, max: cur.max });
      cur = { ts, sum: 0, n: 0, min: Infinity, max: -Infinity };
    }
    cur.sum += p.value;
    cur.n++;
    cur.min = Math.min(cur.min, p.min ?? p.value);
    cur.max = Math.max(cur.max, p.max ?? p.value);
  }
  if (cur) out.push({ ts: cur.ts, value: cur.sum / cur.n, min: cur.min, max: cur.max });
  return out;
}

export interface SeriesQuery {
  deviceId: number;
  metric: string;
  instance?: string;
  /** Seconds since epoch. */
  from: number;
  to: number;
  resolution: Resolution;
  /** Wanted spacing of raw points in seconds (raw points are bucketed to it). */
  step?: number;
}

export interface Series {
  instance: string;
  unit: string | null;
  /** ts in ms. */
  points: Point[];
}

/** Every instance of one metric of a device (or the one asked for), shaped for the API. */
export function metricSeries(samples: SampleRepository, q: SeriesQuery): Series[] {
  return samples
    .metricsOf(q.deviceId)
    .filter((m) => m.name === q.metric && (q.instance === undefined || m.instance === q.instance))
    .map((m) => {
      const pts = samples.points(m.id, q.from, q.to, q.resolution);
      const shaped = q.step && q.resolution === 'raw' ? bucket(pts, q.step) : pts;
      return { instance: m.instance, unit: m.unit, points: shaped.map((p) => ({ ...p, ts: p.ts * 1000 })) };
    });
}
