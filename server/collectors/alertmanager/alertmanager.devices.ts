import { isIP } from 'node:net';
import type { EventBus } from '../../events/bus.js';
import { normalizeAddress } from '../../net/normalize-address.js';

export interface DeviceNames {
  devices: { id: number; name: string; address: string }[];
  /** sysName as last polled. */
  sysNames: { id: number; sysName: string }[];
}

/**
 * Which device a host named in an alert label is: its address, its name or its sysName (names
 * case-insensitive; an FQDN also matches by its first label, `node1.example.org` -> `node1`).
 * Kept as Maps, rebuilt when a device changes and at least every `maxAgeMs` (sysNames change with
 * polls, which announce nothing), so a webhook costs lookups, not queries.
 */
export class AlertDeviceMatcher {
  private byAddress = new Map<string, number>();
  private byName = new Map<string, number>();
  private bySysName = new Map<string, number>();
  private builtAt = -Infinity;
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly load: () => DeviceNames,
    bus: EventBus,
    private readonly maxAgeMs = 60_000,
    private readonly clock: () => number = Date.now,
  ) {
    const stale = () => (this.builtAt = -Infinity);
    this.unsubscribe = [bus.subscribe('device.created', stale), bus.subscribe('device.updated', stale), bus.subscribe('device.deleted', stale)];
  }

  private rebuild(): void {
    const { devices, sysNames } = this.load();
    // Lowest id wins when two devices share a key: set in descending id order.
    const desc = <T extends { id: number }>(a: T[]) => [...a].sort((x, y) => y.id - x.id);
    this.byAddress = new Map(desc(devices).map((d) => [normalizeAddress(d.address).toLowerCase(), d.id]));
    this.byName = new Map(desc(devices).map((d) => [d.name.trim().toLowerCase(), d.id]));
    this.bySysName = new Map(desc(sysNames).map((s) => [s.sysName.trim().toLowerCase(), s.id]));
    this.builtAt = this.clock();
  }

  /** Device id for a host (lower-case, no port; see hostOf), or null. */
  find(host: string): number | null {
    if (this.clock() - this.builtAt > this.maxAgeMs) this.rebuild();
    const ip = isIP(host) !== 0;
    const byAddress = this.byAddress.get(ip ? normalizeAddress(host).toLowerCase() : host);
    if (byAddress !== undefined) return byAddress;
    if (ip) return null;
    const byName = (h: string) => this.byName.get(h) ?? this.bySysName.get(h) ?? null;
    const exact = byName(host);
    if (exact !== null) return exact;
    const dot = host.indexOf('.');
    return dot > 0 ? byName(host.slice(0, dot)) : null;
  }

  close(): void {
    this.unsubscribe.forEach((u) => u());
  }
}
