import { z } from 'zod';
import type { DeviceRepository } from '../store/device.repository.js';
import type { Reads } from '../store/read-ops.js';
import { pickResolution, type RetentionSec } from '../store/sample-series.js';
import { NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

/** The windows the console offers, by name (`range=`). */
export const LATENCY_RANGES = { '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000, '1y': 365 * 86_400_000 } as const;
const MAX_SPAN_MS = 2 * 365 * 86_400_000;

const time = z.union([z.coerce.number().int().nonnegative().max(8.64e15), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]);
const querySchema = z
  .object({
    /** ms since epoch or ISO time. */
    from: time.optional(),
    to: time.optional(),
    /** A named window ending now (or at `to`); instead of `from`. */
    range: z.enum(Object.keys(LATENCY_RANGES) as [keyof typeof LATENCY_RANGES, ...(keyof typeof LATENCY_RANGES)[]]).optional(),
  })
  .strict();

/**
 * The resolution that keeps a window's points few: a cycle per point up to a day, 5-minute
 * buckets up to 30 days, hourly beyond; coarser when the finer data is past its retention.
 */
export function latencyResolution(fromSec: number, toSec: number, nowSec: number, keep: RetentionSec) {
  const span = toSec - fromSec;
  const step = span <= 86_400 ? undefined : span <= 30 * 86_400 ? 300 : 3600;
  return pickResolution(fromSec, nowSec, step, keep);
}

export function registerLatencyRoutes(api: ApiRegistry, deps: { devices: DeviceRepository; reads: Reads; retention: RetentionSec }): void {
  api.add(
    {
      method: 'get',
      path: '/devices/:id/latency',
      summary: 'ICMP latency distribution of a device (SmokePing-style): per cycle, or per 5-minute/1-hour bucket for long windows; RTT percentiles p0…p100 and loss',
      tag: 'metrics',
      access: 'viewer',
      query: querySchema,
      response: '{device, resolution, from, to (ms), points: [{ts (ms), sent, received, lossPct, p0, p10, p25, p50, p75, p90, p95, p100, cycles, rtts? (raw)}]}',
    },
    async ({ params, query }) => {
      const id = idParam(params);
      if (!deps.devices.get(id)) throw new NotFoundError('No such device');
      if (query.range && query.from !== undefined) throw new ValidationError('give either range or from, not both');
      const nowMs = Date.now();
      const toMs = query.to ?? nowMs;
      const fromMs = query.from ?? toMs - LATENCY_RANGES[query.range ?? '1h'];
      if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new ValidationError('from and to must be times');
      if (fromMs > toMs) throw new ValidationError('from must not be after to');
      if (toMs - fromMs > MAX_SPAN_MS) throw new ValidationError('the window may span at most 2 years');
      const from = Math.floor(fromMs / 1000);
      const to = Math.floor(toMs / 1000);
      const resolution = latencyResolution(from, to, Math.floor(nowMs / 1000), deps.retention);
      const points = await deps.reads.run('latency.points', { deviceId: id, from, to, resolution });
      return { device: id, resolution, from: fromMs, to: toMs, points };
    },
  );
}
