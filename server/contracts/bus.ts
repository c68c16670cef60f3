import type { NormalizedEvent, StoredEvent } from './events.js';
import type { DeviceDto } from './dto.js';

/**
 * Topics on the server's event bus and their payloads.
 * Collectors publish `event.received`; the store and the realtime layer subscribe.
 */
export interface BusEventMap {
  /** A collector (or the server) produced a normalised event. */
  'event.received': NormalizedEvent;
  /** A batch of events was stored (ids assigned); the rule engine and the console consume these. */
  'events.stored': StoredEvent[];
  'device.created': DeviceDto;
  'device.updated': DeviceDto;
  'device.deleted': { id: number };
  /** Manual links or layout changed; the map reloads. */
  'topology.changed': Record<string, never>;
}
