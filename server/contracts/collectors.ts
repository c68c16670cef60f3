/**
 * Remote collectors (issue 15): what a collector says of itself every few seconds,
 * and what the centre shows of it (Settings -> Collectors, GET /api/v1/collectors).
 */

/** Sent by a collector on core NATS subject `netwatch.<site>.heartbeat` (not stored in the stream), every HEARTBEAT_INTERVAL_MS. */
export interface CollectorHeartbeat {
  /** Stable id of the collector process's data dir (a UUID kept in its dataDir), unique across collectors. */
  id: string;
  site: string;
  version: string;
  /** Host name of the collector's machine. */
  hostname: string;
  /** When this run of the collector started (ms since epoch). */
  startedAt: number;
  /** When the collector sent this heartbeat (ms since epoch, its clock). */
  sentAt: number;
  /** Flat numeric counters (component.counter -> value), as /api/v1/status shows them. */
  counters: Record<string, number>;
  /** Batches waiting in the collector's spool (not yet acknowledged by JetStream). */
  spoolRecords: number;
  spoolBytes: number;
  /**
   * The collector's X25519 public key (raw 32 bytes, base64): the centre seals the site's SNMP secrets
   * for it. Optional: collectors of earlier versions send none (and get no secrets).
   */
  publicKey?: string;
}

export const HEARTBEAT_INTERVAL_MS = 10_000;

/** A collector as the centre knows it. */
export interface CollectorDto {
  id: string;
  site: string;
  version: string;
  hostname: string;
  /** The address the heartbeat came from, when the transport tells it (else null). */
  address: string | null;
  startedAt: number;
  firstSeen: number;
  /** When the centre last received a heartbeat (centre's clock). */
  lastSeen: number;
  /** lastSeen - sentAt of the last heartbeat: transport lag plus clock skew, ms. */
  lagMs: number;
  counters: Record<string, number>;
  spoolRecords: number;
  spoolBytes: number;
  /** Its X25519 public key (base64), once a heartbeat carried one. */
  publicKey: string | null;
  /** 'up' while heard within collectorTimeoutSeconds, else 'down'. */
  state: 'up' | 'down';
}

/** Where the transport hands every heartbeat it receives (the centre's collector registry). Never throws. */
export interface HeartbeatSink {
  /** `h` is as it came off the wire (unchecked); `address` the sender's, when the transport knows it. */
  heartbeat(h: unknown, address: string | null): void;
}

/** Event types the collector registry emits (source 'system'); the default rules raise and clear on them. */
export const COLLECTOR_EVENT_TYPES = {
  /** params: { collectorId, site, hostname, timeoutSeconds } */
  down: 'collector.down',
  up: 'collector.up',
  /** An operator forgot the collector (DELETE /collectors/:id): its alarm is cleared. */
  forgotten: 'collector.forgotten',
} as const;
