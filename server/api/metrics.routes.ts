import { z } from 'zod';
import type { DeviceRepository } from '../store/device.repository.js';
import type { PollStateRepository } from '../store/poll-state.repository.js';
import type { Reads } from '../store/read-ops.js';
import { pickResolution, type RetentionSec } from '../store/sample-series.js';
import type { SampleRepository } from '../store/sample.repository.js';
import { NotFoundError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

export { bucket, pickResolution, type RetentionSec } from '../store/sample-series.js';

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

export function registerMetricRoutes(
  api: ApiRegistry,
  deps: { samples: SampleRepository; pollState: PollStateRepository; devices: DeviceRepository; retention: RetentionSec; reads: Reads },
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
    async ({ query }) => {
      device(query.device);
      const nowMs = Date.now();
      const to = Math.floor((query.to ?? nowMs) / 1000);
      const from = Math.floor((query.from ?? nowMs - 3_600_000) / 1000);
      const resolution = pickResolution(from, Math.floor(nowMs / 1000), query.step, deps.retention);
      const series = await deps.reads.run('metrics.series', { deviceId: query.device, metric: query.metric, instance: query.instance, from, to, resolution, step: query.step });
      return { device: query.device, metric: query.metric, resolution, from: from * 1000, to: to * 1000, series };
    },
  );
}
