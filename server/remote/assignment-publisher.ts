import type { NatsLink } from '../bus/nats-link.js';
import { ASSIGNMENT_BUCKET, type AssignedTemplate } from '../contracts/assignment.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log/logger.js';
import type { DeviceRecord } from '../store/device.repository.js';
import { SealedSitePublisher } from './sealed-site-publisher.js';
import { buildAssignment, type CustomOidsOf, type SealTarget } from './site-assignment.js';

export interface AssignmentSource {
  devices(): DeviceRecord[];
  /** The custom collection templates (sent with each site's assignment, those its devices can use). */
  templates?(): AssignedTemplate[];
  customOids: CustomOidsOf;
  /** The collectors of a site that sent a public key. */
  keysOf(site: string): SealTarget[];
  /** Sites with registered collectors. */
  sites(): string[];
  /** A site polled by this node itself (role `all`): not assigned. */
  excludeSite?: string;
}

/**
 * The centre's side of assignment: for every site (but the one an `all` node polls itself), the devices of that site with
 * their secrets sealed for each of its collectors, as the value of key <site> in the KV bucket
 * `netwatch-assignments`. Written at start, after every device create/update/delete (every site: a
 * device may have moved between two), when a site's collectors (their keys) change, and every minute
 * (what changes without a device event, custom OIDs, reaches collectors within a minute). Custom collection
 * templates travel with it (those each site's devices can use), rewritten when they change (`templates.changed`).
 * Counters `assignments_written`, `assignment_errors`, `assigned_sites`.
 */
export class AssignmentPublisher extends SealedSitePublisher<{ devices: DeviceRecord[]; templates: AssignedTemplate[] }> {
  constructor(deps: { link: NatsLink; source: AssignmentSource; bus: EventBus; log: Logger; debounceMs?: number; refreshMs?: number }) {
    const { source, ...rest } = deps;
    super(
      {
        bucket: ASSIGNMENT_BUCKET,
        what: 'assignment',
        counters: { written: 'assignments_written', errors: 'assignment_errors', sites: 'assigned_sites' },
        rewriteAllOn: ['device.created', 'device.updated', 'device.deleted', 'templates.changed'],
        snapshot: () => ({ devices: source.devices(), templates: source.templates?.() ?? [] }),
        sites: ({ devices }) => [...devices.map((d) => d.site), ...source.sites()],
        build: (site, { devices, templates }, keys) => buildAssignment(site, devices, keys, source.customOids, Date.now(), templates),
        keysOf: (site) => source.keysOf(site),
        excludeSite: source.excludeSite,
      },
      rest,
    );
  }
}
