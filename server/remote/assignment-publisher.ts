import type { NatsLink } from '../bus/nats-link.js';
import { ASSIGNMENT_BUCKET } from '../contracts/assignment.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log/logger.js';
import type { DeviceRecord } from '../store/device.repository.js';
import { SealedSitePublisher } from './sealed-site-publisher.js';
import { buildAssignment, type CustomOidsOf, type SealTarget } from './site-assignment.js';

export interface AssignmentSource {
  devices(): DeviceRecord[];
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
 * (what changes without a device event, custom OIDs, reaches collectors within a minute).
 * Counters `assignments_written`, `assignment_errors`, `assigned_sites`.
 */
export class AssignmentPublisher extends SealedSitePublisher<DeviceRecord[]> {
  constructor(deps: { link: NatsLink; source: AssignmentSource; bus: EventBus; log: Logger; debounceMs?: number; refreshMs?: number }) {
    const { source, ...rest } = deps;
    super(
      {
        bucket: ASSIGNMENT_BUCKET,
        what: 'assignment',
        counters: { written: 'assignments_written', errors: 'assignment_errors', sites: 'assigned_sites' },
        rewriteAllOn: ['device.created', 'device.updated', 'device.deleted'],
        snapshot: () => source.devices(),
        sites: (devices) => [...devices.map((d) => d.site), ...source.sites()],
        build: (site, devices, keys) => buildAssignment(site, devices, keys, source.customOids),
        keysOf: (site) => source.keysOf(site),
        excludeSite: source.excludeSite,
      },
      rest,
    );
  }
}
