/**
 * Latency as a distribution (SmokePing-style): what one ICMP cycle of a device
 * stores, and what `GET /api/v1/devices/:id/latency` answers. Shared with the client.
 */
export type LatencyResolution = 'raw' | '5m' | '1h';

/** One ICMP cycle of one device: the RTT of every probe (ms, in the order sent; null = lost). */
export interface LatencyCycle {
  deviceId: number;
  /** Seconds since epoch. */
  ts: number;
  sent: number;
  received: number;
  rtts: (number | null)[];
}

/** One cycle (raw) or one rollup bucket (5m, 1h) of a device's latency. */
export interface LatencyPoint {
  /** ms since epoch (start of the bucket for rollups). */
  ts: number;
  sent: number;
  received: number;
  /** (sent - received) / sent × 100; 100 when nothing was sent. */
  lossPct: number;
  /** RTT percentiles of the replies in ms (rollups: p0 min, p100 max, the others averaged over the cycles with replies); null with no reply. */
  p0: number | null;
  p10: number | null;
  p25: number | null;
  p50: number | null;
  p75: number | null;
  p90: number | null;
  p95: number | null;
  p100: number | null;
  /** Cycles in the point (1 for raw). */
  cycles: number;
  /** Raw only: every probe's RTT in ms (null = lost). */
  rtts?: (number | null)[];
}

export interface LatencyDto {
  device: number;
  resolution: LatencyResolution;
  /** ms since epoch: the window asked for. */
  from: number;
  to: number;
  points: LatencyPoint[];
}
