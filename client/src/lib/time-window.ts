/**
 * The time window a device graph shows, and the x scale that spans it (pure).
 *
 * Why: uPlot fits its time axis to the data unless told otherwise. With the first
 * samples of a device that is just the few points there are, and with a single
 * point uPlot widens a zero-width time range by `86400 / ms` units: for
 * second-based data (ms = 1e-3) that is 86,400,000 s, about 2.7 years, so a
 * "1 hour" graph showed an axis from 2027 to 2029. The axis must always be the
 * window the user chose.
 */
export interface TimeWindow {
  /** ms since epoch. */
  from: number;
  to: number;
}

/** The window of `rangeMs` that ends at `nowMs`. */
export function timeWindow(rangeMs: number, nowMs: number): TimeWindow {
  const span = Number.isFinite(rangeMs) && rangeMs > 0 ? rangeMs : 3_600_000;
  return { from: nowMs - span, to: nowMs };
}

/** uPlot x-scale range (seconds) for a window: whatever the data, the axis spans exactly the window. */
export function xScaleRange(w: TimeWindow): [number, number] {
  return [w.from / 1000, w.to / 1000];
}
