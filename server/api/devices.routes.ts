import type { EventBus } from '../events/bus.js';
import { deniedMessage, type OutboundPolicy } from '../net/outbound-policy.js';
import { toDeviceDto, type DeviceRecord, type DeviceRepository } from '../store/device.repository.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { createDeviceSchema, deviceFromCreate, deviceFromPatch, updateDeviceSchema } from './device.schemas.js';
import { idParam, type ApiRegistry } from './registry.js';

export interface DeviceRoutesDeps {
  devices: DeviceRepository;
  bus: EventBus;
  /** Device addresses the outbound policy denies are refused (400 on `address`). */
  outbound: OutboundPolicy;
  /** Site of a device created without one (config `site`). */
  site?: string;
  /** Collector state per site: a device whose site's collectors are all down is shown as such. */
  sites?: SiteHealth;
}

/** What the device list needs of the collector registry. */
export interface SiteHealth {
  /** Changes whenever a collector's state changes (the device list is cached by it). */
  generation(): number;
  /** The site has registered collectors and all are down. */
  allCollectorsDown(site: string): boolean;
}

const isUniqueViolation = (err: unknown) => (err as { code?: string })?.code === 'SQLITE_CONSTRAINT_UNIQUE';

export function registerDeviceRoutes(api: ApiRegistry, { devices, bus, outbound, site = 'central', sites }: DeviceRoutesDeps): void {
  const dtoOf = (d: DeviceRecord) => toDeviceDto(d, sites?.allCollectorsDown(d.site) ?? false);
  const tag = 'devices';
  const audit = { object: 'device', load: (id: number) => { const d = devices.get(id); return d && dtoOf(d); } };
  const reachable = (address: string) => {
    const v = outbound.check('device', address);
    if (!v.allowed) throw new ValidationError(`address: ${deniedMessage(address, v)}`);
  };
  const save = <T>(name: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`A device named "${name}" already exists`);
      throw err;
    }
  };

  // The list changes only when a device is written or a collector's state changes: consoles polling it cost one JSON encoding.
  let listed: { gen: string; body: { items: ReturnType<typeof toDeviceDto>[]; snmpVersions: ReturnType<DeviceRepository['snmpVersionSummary']> } } | null = null;
  api.add({ method: 'get', path: '/devices', summary: 'List devices', tag, access: 'viewer', response: '{items: Device[], snmpVersions}' }, () => {
    const gen = `${devices.generation()}:${sites?.generation() ?? 0}`;
    if (listed?.gen !== gen) listed = { gen, body: { items: devices.list().map((d) => dtoOf(d)), snmpVersions: devices.snmpVersionSummary() } };
    return listed.body;
  });

  api.add(
    { method: 'post', path: '/devices', summary: 'Add a device', tag, access: 'operator', body: createDeviceSchema, status: 201, response: 'The device', audit },
    ({ body }) => {
      const write = deviceFromCreate(body, site);
      reachable(write.address);
      const dto = dtoOf(save(write.name, () => devices.create(write)));
      bus.publish('device.created', dto);
      return dto;
    },
  );

  api.add({ method: 'get', path: '/devices/:id', summary: 'Get a device', tag, access: 'viewer', response: 'The device' }, ({ params }) => {
    const d = devices.get(idParam(params));
    if (!d) throw new NotFoundError('No such device');
    return dtoOf(d);
  });

  api.add(
    { method: 'patch', path: '/devices/:id', summary: 'Edit a device (omitted secrets are kept, null clears)', tag, access: 'operator', body: updateDeviceSchema, response: 'The device', audit },
    ({ params, body }) => {
      const id = idParam(params);
      const cur = devices.get(id);
      if (!cur) throw new NotFoundError('No such device');
      const write = deviceFromPatch(cur, body);
      if (write.address !== cur.address) reachable(write.address);
      const updated = save(write.name, () => devices.update(id, write));
      if (!updated) throw new NotFoundError('No such device');
      const dto = dtoOf(updated);
      bus.publish('device.updated', dto);
      return dto;
    },
  );

  api.add({ method: 'delete', path: '/devices/:id', summary: 'Delete a device', tag, access: 'operator', status: 204, audit }, ({ params }) => {
    const id = idParam(params);
    if (!devices.delete(id)) throw new NotFoundError('No such device');
    bus.publish('device.deleted', { id });
  });
}
