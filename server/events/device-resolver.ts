import { isIP } from 'node:net';
import type { EventBus } from './bus.js';

/** `::ffff:192.0.2.1` -> `192.0.2.1`; IPv6 lower-cased and compressed by URL parsing. */
export function normalizeAddress(address: string): string {
  let a = address.trim();
  if (a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  if (isIP(a) === 6) {
    try {
      a = new URL(`http://[${a}]/`).hostname.slice(1, -1);
    } catch {
      a = a.toLowerCase();
    }
  }
  return a;
}

/**
 * Maps a sender's address to a managed device, kept current from the bus so
 * the intake path does a Map lookup, not a query.
 */
export class DeviceResolver {
  private byAddress = new Map<string, number>();
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly load: () => { id: number; address: string }[],
    bus: EventBus,
  ) {
    this.reload();
    this.unsubscribe = [
      bus.subscribe('device.created', () => this.reload()),
      bus.subscribe('device.updated', () => this.reload()),
      bus.subscribe('device.deleted', () => this.reload()),
    ];
  }

  reload(): void {
    const m = new Map<string, number>();
    // The lowest id wins when two devices share an address.
    for (const d of this.load().sort((a, b) => b.id - a.id)) m.set(normalizeAddress(d.address), d.id);
    this.byAddress = m;
  }

  resolve(address: string): number | null {
    return this.byAddress.get(normalizeAddress(address)) ?? null;
  }

  close(): void {
    this.unsubscribe.forEach((u) => u());
  }
}
