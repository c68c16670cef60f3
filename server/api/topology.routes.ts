import { z } from 'zod';
import type { TopologyDto } from '../contracts/topology.js';
import type { EventBus } from '../events/bus.js';
import type { DeviceRepository } from '../store/device.repository.js';
import type { TopologyRepository } from '../store/topology.repository.js';
import { NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

const linkSchema = z
  .object({
    aDeviceId: z.number().int().positive(),
    aPort: z.string().trim().min(1).max(128).nullable().default(null),
    bDeviceId: z.number().int().positive(),
    bPort: z.string().trim().min(1).max(128).nullable().default(null),
  })
  .strict();

const positionsSchema = z
  .object({
    positions: z
      .array(z.object({ nodeId: z.string().regex(/^[du]:.{1,200}$/), x: z.number().finite(), y: z.number().finite() }).strict())
      .max(20_000),
  })
  .strict();

export function registerTopologyRoutes(
  api: ApiRegistry,
  deps: { topology: TopologyRepository; devices: DeviceRepository; build: () => Promise<TopologyDto>; bus: EventBus },
): void {
  const tag = 'topology';
  const changed = () => deps.bus.publish('topology.changed', {});

  api.add({ method: 'get', path: '/topology', summary: 'Nodes and links with status (LLDP/CDP, manual links, saved positions)', tag, access: 'viewer', response: 'Topology' }, () =>
    deps.build(),
  );

  api.add(
    { method: 'post', path: '/topology/links', summary: 'Add a manual link between two devices', tag, access: 'operator', body: linkSchema, status: 201, response: '{id}', audit: { object: 'topology-link', load: (id: number) => deps.topology.manualLink(id) } },
    ({ body }) => {
      if (body.aDeviceId === body.bDeviceId) throw new ValidationError('A link needs two different devices');
      for (const id of [body.aDeviceId, body.bDeviceId]) if (!deps.devices.get(id)) throw new NotFoundError(`No device ${id}`);
      const id = deps.topology.addManualLink(body);
      changed();
      return { id };
    },
  );

  api.add({ method: 'delete', path: '/topology/links/:id', summary: 'Remove a manual link', tag, access: 'operator', status: 204, audit: { object: 'topology-link', load: (id: number) => deps.topology.manualLink(id) } }, ({ params }) => {
    if (!deps.topology.deleteManualLink(idParam(params))) throw new NotFoundError('No such manual link');
    changed();
  });

  api.add(
    { method: 'put', path: '/topology/positions', summary: 'Save node positions (the saved layout survives restarts)', tag, access: 'operator', body: positionsSchema, status: 204, audit: { object: 'topology-layout', action: 'save', objectId: () => null } },
    ({ body }) => {
      deps.topology.savePositions(body.positions);
    },
  );

  api.add({ method: 'delete', path: '/topology/positions', summary: 'Forget saved positions (automatic layout again)', tag, access: 'operator', status: 204, audit: { object: 'topology-layout', action: 'reset' } }, () => {
    deps.topology.clearPositions();
    changed();
  });
}
