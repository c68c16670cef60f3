import { z } from 'zod';
import type { MaintenanceWindowDto } from '../contracts/alarms.js';
import { isWindowActive, parseHhMm, timeZoneFormat, type MaintenanceIndex } from '../events/engine/maintenance.js';
import type { DeviceRepository } from '../store/device.repository.js';
import type { MaintenanceRepository, MaintenanceWindow } from '../store/maintenance.repository.js';
import { NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

export interface MaintenanceRoutesDeps {
  maintenance: MaintenanceRepository;
  index: MaintenanceIndex;
  devices: DeviceRepository;
  /** Re-evaluates alarm maintenance flags after a change. */
  onChange: () => void;
}

const createBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    deviceId: z.number().int().positive().nullable().default(null),
    group: z.string().trim().min(1).max(200).nullable().default(null),
    kind: z.enum(['once', 'daily', 'weekly']),
    startsAt: z.number().int().positive().nullable().default(null),
    endsAt: z.number().int().positive().nullable().default(null),
    days: z.array(z.number().int().min(0).max(6)).max(7).default([]),
    startTime: z.string().nullable().default(null),
    durationMin: z.number().int().min(1).max(7 * 1440).nullable().default(null),
    timezone: z.string().min(1).max(100).default('UTC'),
  })
  .strict();

const toDto = (w: MaintenanceWindow, now: number): MaintenanceWindowDto => ({ ...w, activeNow: isWindowActive(w, now) });

export function registerMaintenanceRoutes(api: ApiRegistry, { maintenance, index, devices, onChange }: MaintenanceRoutesDeps): void {
  const tag = 'maintenance';
  const audit = { object: 'maintenance', load: (id: number) => maintenance.get(id) };

  api.add({ method: 'get', path: '/maintenance', summary: 'List maintenance windows (activeNow computed)', tag, access: 'viewer', response: '{items: MaintenanceWindow[]}' }, () => {
    const now = Date.now();
    return { items: maintenance.list().map((w) => toDto(w, now)) };
  });

  api.add(
    {
      method: 'post', path: '/maintenance', tag, access: 'operator', body: createBody, status: 201, response: 'The window',
      summary: 'Create a window for a device or a group: once (startsAt..endsAt, ms) or daily/weekly (days 0=Sunday, startTime HH:MM, durationMin, timezone)',
      audit: audit,
    },
    ({ body, user }) => {
      if (body.deviceId === null && body.group === null) throw new ValidationError('Give a deviceId or a group');
      if (body.deviceId !== null && !devices.get(body.deviceId)) throw new ValidationError(`No device ${body.deviceId}`);
      if (body.kind === 'once') {
        if (body.startsAt === null || body.endsAt === null || body.endsAt <= body.startsAt) throw new ValidationError('A one-off window needs startsAt < endsAt');
      } else {
        if (body.startTime === null || parseHhMm(body.startTime) === undefined) throw new ValidationError('startTime must be HH:MM');
        if (body.durationMin === null) throw new ValidationError('durationMin is required for recurring windows');
        if (body.kind === 'weekly' && body.days.length === 0) throw new ValidationError('A weekly window needs at least one day');
        try {
          timeZoneFormat(body.timezone);
        } catch {
          throw new ValidationError(`Unknown time zone "${body.timezone}"`);
        }
      }
      const w = maintenance.create({ ...body, days: [...new Set(body.days)].sort(), createdBy: user.username });
      index.reload();
      onChange();
      return toDto(w, Date.now());
    },
  );

  api.add({ method: 'get', path: '/maintenance/:id', summary: 'Get a maintenance window', tag, access: 'viewer', response: 'The window' }, ({ params }) => {
    const w = maintenance.get(idParam(params));
    if (!w) throw new NotFoundError('No such maintenance window');
    return toDto(w, Date.now());
  });

  api.add({ method: 'delete', path: '/maintenance/:id', summary: 'Delete a maintenance window', tag, access: 'operator', status: 204, audit: audit }, ({ params }) => {
    if (!maintenance.delete(idParam(params))) throw new NotFoundError('No such maintenance window');
    index.reload();
    onChange();
  });
}
