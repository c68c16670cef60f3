import type { DeviceStatusDto } from '../contracts/poll-state.js';
import type { OutboundPolicy } from '../net/outbound-policy.js';
import type { DeviceRepository } from '../store/device.repository.js';
import type { PollStateRepository } from '../store/poll-state.repository.js';
import { ConflictError, NotFoundError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

export interface PollRoutesDeps {
  devices: DeviceRepository;
  pollState: PollStateRepository;
  pollNow: (deviceId: number) => Promise<DeviceStatusDto | undefined>;
  /** A device whose address the policy denies is not polled (403 outbound_denied). */
  outbound: OutboundPolicy;
  /** This process's site: devices of other sites are polled by their collectors (409 here). */
  site?: string;
  /** Adds root-cause reachability to a status (issue 17), when root cause runs. */
  decorate?: (s: DeviceStatusDto) => DeviceStatusDto;
}

export function registerPollRoutes(api: ApiRegistry, deps: PollRoutesDeps): void {
  const tag = 'polling';
  const dec = (s: DeviceStatusDto | undefined) => (s && deps.decorate ? deps.decorate(s) : s);
  const exists = (id: number) => {
    if (!deps.devices.get(id)) throw new NotFoundError('No such device');
    return id;
  };

  api.add(
    { method: 'get', path: '/devices/:id/status', summary: 'Poll status of a device: reachability, RTT/loss, last poll time, duration and error, system group', tag, access: 'viewer', response: 'DeviceStatus or {status: null} before the first poll' },
    ({ params }) => ({ status: dec(deps.pollState.status(exists(idParam(params)))) ?? null }),
  );

  api.add(
    { method: 'post', path: '/devices/:id/poll', summary: 'Poll a device now (SNMP and ICMP) and return the result', tag, access: 'operator', response: '{status, interfaces}', audit: { object: 'device', action: 'poll' } },
    async ({ params }) => {
      const id = exists(idParam(params));
      const d = deps.devices.get(id)!;
      if (deps.site !== undefined && d.site !== deps.site) throw new ConflictError(`Device ${d.name} belongs to site ${d.site}: its collectors poll it, not this node (site ${deps.site})`);
      deps.outbound.assertAllowed('device', d.address, `device ${d.name} (${d.address})`);
      const status = await deps.pollNow(id);
      return { status: dec(status) ?? null, interfaces: deps.pollState.interfaces(id) };
    },
  );

  api.add(
    { method: 'get', path: '/device-status', summary: 'Poll status of every device (for the device list)', tag, access: 'viewer', response: '{items: DeviceStatus[]}' },
    () => ({ items: [...deps.pollState.allStatus().values()].map((s) => dec(s)!) }),
  );
}
