import { z } from 'zod';
import type { DeviceRepository } from '../store/device.repository.js';
import type { DependencyRepository } from '../store/dependency.repository.js';
import type { RootCauseService } from '../rootcause/root-cause.service.js';
import { findCycle, type GraphPins } from '../rootcause/dependency-graph.js';
import { NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

const deviceBody = z
  .object({
    pinnedParentId: z.number().int().positive().nullable(),
    isRoot: z.boolean(),
  })
  .strict();

const groupBody = z.object({ parentId: z.number().int().positive().nullable() }).strict();

/** Group names as devices carry them (free text, bounded). */
const groupName = (params: Record<string, string>): string => {
  const g = params.group ?? '';
  if (g.trim() === '' || g.length > 200) throw new ValidationError('group must be 1-200 characters');
  return g;
};

export interface DependencyRoutesDeps {
  devices: DeviceRepository;
  dependencies: DependencyRepository;
  rootCause: RootCauseService;
}

/**
 * Root-cause dependencies (issue 17): a device's parent (pinned, the group's, or derived from the
 * topology), roots, and group pins. A pin that would make a cycle is refused (400).
 */
export function registerDependencyRoutes(api: ApiRegistry, deps: DependencyRoutesDeps): void {
  const tag = 'root-cause';
  const { devices, dependencies, rootCause } = deps;
  const device = (id: number) => {
    const d = devices.get(id);
    if (!d) throw new NotFoundError('No such device');
    return d;
  };
  const dto = (id: number) => {
    const d = device(id);
    const pin = dependencies.device(id);
    const groupParentId = d.group !== null ? dependencies.group(d.group).parentId : null;
    return rootCause.dependency(id, { ...pin, groupParentId });
  };
  /**
   * 400 when the pins (device and group pins, with the change) make a cycle among themselves. A pin
   * against the topology's direction is no cycle: pins win, the topology's parent is cut there.
   */
  const refuseCycle = (change: (pins: GraphPins) => void) => {
    const pins = dependencies.pins();
    change(pins);
    const parents = new Map<number, { parentId: number | null }>();
    for (const d of devices.list()) {
      const p = pins.devices.get(d.id);
      const g = d.group !== null ? pins.groups.get(d.group) : undefined;
      parents.set(d.id, { parentId: p?.pinnedParentId ?? (p?.isRoot ? null : g !== undefined && g !== d.id ? g : null) });
    }
    const cycle = findCycle(parents);
    if (cycle) throw new ValidationError(`That parent would make a cycle: ${cycle.map((id) => devices.get(id)?.name ?? id).join(' → ')}`);
  };

  api.add(
    { method: 'get', path: '/devices/:id/dependency', summary: 'Root cause: the parent of a device (pinned, group, topology), its path from the root, whether it is a root', tag, access: 'viewer', response: 'DeviceDependency' },
    ({ params }) => dto(idParam(params)),
  );

  api.add(
    {
      method: 'put', path: '/devices/:id/dependency', summary: 'Root cause: pin a parent for a device (null = from the group or topology) and/or mark it a root', tag, access: 'operator', body: deviceBody, response: 'DeviceDependency',
      audit: { object: 'device-dependency', load: (id: number) => (devices.get(id) ? dependencies.device(id) : undefined) },
    },
    async ({ params, body }) => {
      const id = idParam(params);
      device(id);
      if (body.pinnedParentId !== null) {
        if (body.pinnedParentId === id) throw new ValidationError('A device cannot be its own parent');
        if (body.isRoot) throw new ValidationError('A root has no parent: set isRoot false or pinnedParentId null');
        if (!devices.get(body.pinnedParentId)) throw new ValidationError(`No device ${body.pinnedParentId}`);
        refuseCycle((pins) => pins.devices.set(id, { pinnedParentId: body.pinnedParentId, isRoot: false }));
      }
      dependencies.setDevice(id, body.pinnedParentId, body.isRoot);
      await rootCause.recompute();
      return dto(id);
    },
  );

  api.add(
    { method: 'get', path: '/dependencies/groups', summary: 'Root cause: parents pinned per device group', tag, access: 'viewer', response: '{items: {group, parentId}[]}' },
    () => ({ items: dependencies.groups() }),
  );

  api.add(
    {
      method: 'put', path: '/dependencies/groups/:group', summary: 'Root cause: pin a parent for every device of a group (null removes the pin)', tag, access: 'operator', body: groupBody, response: '{group, parentId}',
      audit: { object: 'group-dependency', objectId: ({ params }) => params.group ?? null, loadText: (g: string) => dependencies.group(g) },
    },
    async ({ params, body }) => {
      const group = groupName(params);
      if (body.parentId !== null) {
        if (!devices.get(body.parentId)) throw new ValidationError(`No device ${body.parentId}`);
        refuseCycle((pins) => pins.groups.set(group, body.parentId!));
      }
      dependencies.setGroup(group, body.parentId);
      await rootCause.recompute();
      return dependencies.group(group);
    },
  );

  api.add(
    { method: 'get', path: '/alarms/:id/impact', summary: 'Root cause: the devices unreachable behind an alarm\'s cause and the alarms suppressed under it', tag, access: 'viewer', response: 'AlarmImpact' },
    ({ params }) => {
      const impact = rootCause.impact(idParam(params));
      if (!impact) throw new NotFoundError('No such alarm');
      return impact;
    },
  );
}
