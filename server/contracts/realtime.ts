import type { DeviceDto } from './dto.js';
import type { DeviceStatusDto } from './poll-state.js';
import type { DiscoveryJobDto } from './discovery.js';
import type { StoredEvent } from './events.js';
import type { AlarmDto } from './alarms.js';
import type { CollectorDto } from './collectors.js';
import type { InventoryChangedPayload } from './inventory-api.js';

/** Events the server pushes to console clients over socket.io. */
export interface ServerToClientEvents {
  'device.created': (device: DeviceDto) => void;
  'device.updated': (device: DeviceDto) => void;
  'device.deleted': (payload: { id: number }) => void;
  /** An alarm changed (raised, count/severity updated, acknowledged, cleared, noted). */
  'alarm.changed': (alarm: AlarmDto) => void;
  /** New events, newest last, batched (at most ~10 pushes a second under floods). */
  'events.new': (events: StoredEvent[]) => void;
  /** Under a flood only the newest events of each push are sent; this many were left out. */
  'events.overflow': (skipped: number) => void;
  /** A device's polled state changed (reachability, RTT, last poll, system info). */
  'device.status': (status: DeviceStatusDto) => void;
  /** Manual links or saved layout changed: reload the map. */
  'topology.changed': () => void;
  /** Progress of a discovery job. */
  'discovery.progress': (job: DiscoveryJobDto) => void;
  /** Listener and worker counters, every few seconds while someone is connected. */
  'status.counters': (counters: Record<string, number>) => void;
  /** A remote collector registered, went up or down (`forgotten`: it was removed). */
  'collector.changed': (collector: CollectorDto & { forgotten?: boolean }) => void;
  /** A device's hardware inventory was first read or changed: reload it. */
  'inventory.changed': (change: InventoryChangedPayload) => void;
}

/** Requests a client may send; answered through the acknowledgement callback. */
export interface ClientToServerEvents {
  ping: (ack: (reply: { ok: true; time: number }) => void) => void;
}

export type SocketAck<T> = { ok: true; data: T } | { ok: false; code: string; message: string };
