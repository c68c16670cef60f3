import { normalizeAddress } from '../net/normalize-address.js';
import type { EventBus } from './bus.js';

export { normalizeAddress };

/**
 * Maps a sender's address to a managed device, kept current from the bus so
 * the intake path does a Map lookup, not a query.
 */
export class DeviceResolver {
  private byAddress = new Map<string, number>();
  /** Set by device changes; the next lookup reloads (adding 1,000 devices costs one reload, not 1,000). */
  private stale = false;
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly load: () => { id: number; address: string }[],
    bus: EventBus,
  ) {
    this.reload();
    this.unsubscribe = [
      bus.subscribe('device.created', () => (this.stale = true)),
      bus.subscribe('device.updated', () => (this.stale = true)),
      bus.subscribe('device.deleted', () => (this.stale = true)),
    ];
  }

  reload(): void {
    this.stale = false;
    const m = new Map<string, number>();
    // The lowest id wins when two devices share an address.
    for (const d of this.load().sort((a, b) => b.id - a.id)) m.set(normalizeAddress(d.address), d.id);
    this.byAddress = m;
  }

  resolve(address: string): number | null {
    if (this.stale) this.reload();
    return this.byAddress.get(normalizeAddress(address)) ?? null;
  }

  close(): void {
    this.unsubscribe.forEach((u) => u());
  }
}
