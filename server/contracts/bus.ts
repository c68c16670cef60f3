import type { NormalizedEvent, StoredEvent } from './events.js';
import type { DeviceDto } from './dto.js';
import type { DeviceStatusDto } from './poll-state.js';
import type { DiscoveryJobDto } from './discovery.js';
import type { AlarmDto } from './alarms.js';
import type { CollectorDto } from './collectors.js';
import type { InventoryChangedPayload } from './inventory-api.js';
import type { RuleDto } from './alarms.js';

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
  /** Polled values (the poller publishes each cycle; ts in seconds since epoch); the threshold evaluator consumes them. */
  'metrics.sampled': { deviceId: number; metric: string; instance: string; value: number; ts: number }[];
  /** An alarm was raised, updated, acknowledged, cleared, … (pushed to consoles). */
  'alarm.changed': AlarmDto;
  /** A device's polled state changed (reachability, RTT, last poll). */
  'device.status': DeviceStatusDto;
  /** Progress of a discovery job (after each sweep/probe step). */
  'discovery.progress': DiscoveryJobDto;
  /** Manual links or layout changed; the map reloads. */
  'topology.changed': Record<string, never>;
  /** A device's LLDP/CDP neighbours changed (not published when a poll finds the same ones): root-cause parents are derived again. */
  'topology.neighbours': { deviceId: number };
  /** Some of a user's sessions or API tokens ended (logout, revocation, new password/role, disabled, deleted): realtime re-checks that user's sockets at once. */
  'auth.revoked': { userId: number };
  /** A remote collector registered, went up or down, or was forgotten (`forgotten: true`). */
  'collector.changed': CollectorDto & { forgotten?: boolean };
  /** An SNMPv3 trap user was added or deleted: the local trap receiver and the collectors' (through NATS KV) follow. No keys on the bus. */
  'trapUsers.changed': Record<string, never>;
  /** A device's hardware inventory was read for the first time or changed (components added, removed, swapped). */
  'inventory.changed': InventoryChangedPayload;
  /** The threshold rules collection templates bring (for the devices each applies to): the threshold evaluator adds them to the stored rules. */
  'templates.thresholdRules': { rules: RuleDto[] };
  /** The set of collection templates changed (a custom one created, edited or deleted): collectors get the custom ones with their site's assignment. */
  'templates.changed': { templates: number };
  /** Template instances marked gone on a device (here or at a collector): the threshold alarms they raised are cleared. */
  'templates.instancesGone': { deviceId: number; gone: { instance: string; metrics: string[] }[] };
}
