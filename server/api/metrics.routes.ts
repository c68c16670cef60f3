import { z } from 'zod';
import type { DeviceRepository } from '../store/device.repository.js';
import type { PollStateRepository } from '../store/poll-state.repository.js';
import type { Point, Resolution, SampleRepository } from '../store/sample.repository.js';
import { NotFoundError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

export interface RetentionSec {
  raw: number;
  '5m': number;
  '1h': number;
}

const time = z.union([z.coerce.number().int().nonnegative(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]);

const querySchema = z
  .object({
    device: z.coerce.number().int().positive(),
    metric: z.string().min(1).max(128),
    instance: z.string().max(256).optional(),
    /** ms since epoch or ISO time; default: the last hour. */
    from: time.optional(),
    to: time.optional(),
    /** Wanted spacing of points in seconds; picks the resolution and buckets raw data. */
    step: z.coerce.number().int().min(1).max(86_400).optional(),
  })
  .strict();

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

export function registerMetricRoutes(
  api: ApiRegistry,
  deps: { samples: SampleRepository; pollState: PollStateRepository; devices: DeviceRepository; retention: RetentionSec },
): void {
  const tag = 'metrics';
  const device = (id: number) => {
    if (!deps.devices.get(id)) throw new NotFoundError('No such device');
    return id;
  };

  api.add({ method: 'get', path: '/devices/:id/interfaces', summary: 'Interfaces of a device with status, speed and current rates', tag, access: 'viewer', response: '{items: Interface[]}' }, ({ params }) => ({
    items: deps.pollState.interfaces(device(idParam(params))),
  }));

  api.add({ method: 'get', path: '/devices/:id/neighbours', summary: 'LLDP/CDP neighbours of a device as last polled', tag, access: 'viewer', response: '{items: Neighbour[]}' }, ({ params }) => ({
    items: deps.pollState.neighbours(device(idParam(params))),
  }));

  api.add({ method: 'get', path: '/devices/:id/metrics', summary: 'Metrics (name, instance, unit) stored for a device', tag, access: 'viewer', response: '{items: Metric[]}' }, ({ params }) => ({
    items: deps.samples.metricsOf(device(idParam(params))).map(({ deviceId: _d, ...m }) => m),
  }));

  api.add(
    {
      method: 'get',
      path: '/metrics',
      summary: 'Time series of one metric (all instances unless `instance` is given), at the resolution that fits the range and step',
      tag,
      access: 'viewer',
      query: querySchema,
      response: '{resolution, from, to (ms), series: [{instance, unit, points: [{ts (ms), value, min?, max?}]}]}',
    },
    ({ query }) => {
      device(query.device);
      const nowMs = Date.now();
      const to = Math.floor((query.to ?? nowMs) / 1000);
      const from = Math.floor((query.from ?? nowMs - 3_600_000) / 1000);
      const resolution = pickResolution(from, Math.floor(nowMs / 1000), query.step, deps.retention);
      const series = deps.samples
        .metricsOf(query.device)
        .filter((m) => m.name === query.metric && (query.instance === undefined || m.instance === query.instance))
        .map((m) => {
          const pts = deps.samples.points(m.id, from, to, resolution);
          const shaped = query.step && resolution === 'raw' ? bucket(pts, query.step) : pts;
          return { instance: m.instance, unit: m.unit, points: shaped.map((p) => ({ ...p, ts: p.ts * 1000 })) };
        });
      return { device: query.device, metric: query.metric, resolution, from: from * 1000, to: to * 1000, series };
    },
  );
}
