import { z } from 'zod';
import type { DeviceInventoryDto } from '../contracts/inventory-api.js';
import type { OutboundPolicy } from '../net/outbound-policy.js';
import type { DeviceRepository } from '../store/device.repository.js';
import type { InventoryRepository } from '../store/inventory.repository.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

export interface InventoryRoutesDeps {
  devices: DeviceRepository;
  inventory: InventoryRepository;
  /** Reads a device's inventory now; undefined when this node does not poll it (a collector's site, SNMP off). */
  refresh: ((deviceId: number) => Promise<{ at: number; error: string | null } | undefined>) | null;
  outbound: OutboundPolicy;
  /** This process's site: devices of other sites are read by their collectors (409 here). */
  site?: string;
}

const text = z.string().trim().min(1).max(200);
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export function registerInventoryRoutes(api: ApiRegistry, deps: InventoryRoutesDeps): void {
  const tag = 'inventory';
  const exists = (id: number) => {
    if (!deps.devices.get(id)) throw new NotFoundError('No such device');
    return id;
  };
  const inventoryOf = (deviceId: number): DeviceInventoryDto => ({
    deviceId,
    sources: deps.inventory.sources(deviceId),
    items: deps.inventory.current(deviceId),
  });

  api.add(
    {
      method: 'get', path: '/devices/:id/inventory', tag, access: 'viewer',
      summary: 'Hardware inventory of a device (ENTITY-MIB and template inventory columns): a flat list of components, parentIndex gives the tree',
      response: '{deviceId, sources: {source, collectedAt, baselineAt, items}[], items: {index, parentIndex, class, name, descr, model, serial, hardwareRev, firmwareRev, softwareRev, manufacturer, fru, source, firstSeen, lastSeen, …}[]}',
    },
    ({ params }) => inventoryOf(exists(idParam(params))),
  );

  api.add(
    {
      method: 'get', path: '/devices/:id/inventory/history', tag, access: 'viewer',
      summary: 'Changes of a device\'s hardware inventory, newest first (added, removed, changed with old/new values)',
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200), before: z.coerce.number().int().positive().optional() }),
      response: '{items: {id, at, change, source, index, class, name, model, serial, changes: {field, old, new}[]}[]}',
    },
    ({ params, query }) => ({ items: deps.inventory.history(exists(idParam(params)), { limit: query.limit, beforeId: query.before }) }),
  );

  api.add(
    {
      method: 'post', path: '/devices/:id/inventory/refresh', tag, access: 'operator',
      summary: 'Read a device\'s hardware inventory now (one SNMP poll that walks entPhysicalTable) and return it',
      response: '{collected: boolean, error: string|null, inventory}', audit: { object: 'device', action: 'inventory-refresh' },
    },
    async ({ params }) => {
      const id = exists(idParam(params));
      const d = deps.devices.get(id)!;
      if (!deps.refresh) throw new ConflictError('This node polls no device: the collectors of each device\'s site do');
      if (deps.site !== undefined && d.site !== deps.site) throw new ConflictError(`Device ${d.name} belongs to site ${d.site}: its collectors poll it, not this node (site ${deps.site})`);
      if (!d.snmp.enabled) throw new ConflictError(`SNMP is off for device ${d.name}: there is no inventory to read`);
      deps.outbound.assertAllowed('device', d.address, `device ${d.name} (${d.address})`);
      const outcome = await deps.refresh(id);
      if (!outcome) throw new ConflictError(`Device ${d.name} is not polled by this node`);
      return { collected: outcome.error === null, error: outcome.error, inventory: inventoryOf(id) };
    },
  );

  api.add(
    {
      method: 'get', path: '/inventory', tag, access: 'viewer',
      summary: 'Find hardware across the fleet by serial number and/or model (any case, part of the text)',
      query: z.object({ serial: text.optional(), model: text.optional(), includeRemoved: flag.default(false), limit: z.coerce.number().int().min(1).max(1000).default(200) }),
      response: '{items: {deviceId, deviceName, source, index, class, name, model, serial, …, removedAt}[]}',
    },
    ({ query }) => {
      if (query.serial === undefined && query.model === undefined) throw new ValidationError('Give serial= or model= (or both)');
      return { items: deps.inventory.search({ serial: query.serial, model: query.model, includeRemoved: query.includeRemoved, limit: query.limit }) };
    },
  );
}
