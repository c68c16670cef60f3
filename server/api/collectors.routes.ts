import { z } from 'zod';
import type { CollectorRegistry } from '../remote/collector-registry.js';
import { NotFoundError } from './errors.js';
import type { ApiRegistry } from './registry.js';

const idSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'not a collector id');

/** Remote collectors as their heartbeats report them (Settings -> Collectors). */
export function registerCollectorRoutes(api: ApiRegistry, { registry, ownSite }: { registry: CollectorRegistry; ownSite: string }): void {
  const tag = 'collectors';
  api.add({ method: 'get', path: '/sites', summary: 'Sites a device can be assigned to: this centre\'s own and those of registered collectors', tag, access: 'viewer', response: '{own: string, sites: string[]}' }, () => ({
    own: ownSite,
    sites: [...new Set([ownSite, ...registry.sites()])].sort(),
  }));
  api.add({ method: 'get', path: '/collectors', summary: 'Remote collectors: site, version, address, last heartbeat, lag, spool, counters, state', tag, access: 'viewer', response: 'Collector[]' }, () =>
    registry.list(),
  );
  api.add(
    {
      method: 'delete', path: '/collectors/:id', summary: 'Forget a collector (it registers again with its next heartbeat; its alarm is cleared)', tag, access: 'admin', status: 204,
      audit: { object: 'collector', loadText: (id) => registry.get(id), objectId: ({ params }) => params.id ?? null },
    },
    ({ params }) => {
      const id = idSchema.safeParse(params.id);
      if (!id.success || !registry.forget(id.data)) throw new NotFoundError('No such collector');
    },
  );
}
