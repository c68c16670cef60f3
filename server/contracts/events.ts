/**
 * Normalised events: the one shape every collector (syslog, trap, poll, icmp)
 * and the server itself publish on the bus. Events are immutable facts.
 * Type-only module: the client imports it with `import type`.
 */
/** `alertmanager`: alerts from Prometheus Alertmanager's webhook (POST /api/v1/intake/alertmanager). */
export const SOURCE_KINDS = ['syslog', 'trap', 'poll', 'icmp', 'system', 'alertmanager'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Normalised severities, most severe first. */
export const SEVERITIES = ['critical', 'major', 'minor', 'warning', 'info', 'debug'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Syslog facility names by number (RFC 5424 6.2.1), as `params.facilityName` gives them. */
export const FACILITY_NAMES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console', 'solaris-cron',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;

export interface NormalizedEvent {
  /** When we received it (ms since epoch). */
  receivedAt: number;
  /** When the sender says it happened (ms since epoch), if it said. */
  reportedAt: number | null;
  source: SourceKind;
  /** Address the message came from (IPv4/IPv6 text), or null for internal events. */
  sourceAddress: string | null;
  /** Device the source maps to, when known. */
  deviceId: number | null;
  severity: Severity;
  /** Trap OID, syslog app-name/msgid, or a poll event type such as `device.unreachable`. */
  type: string;
  message: string;
  /** Structured data / varbinds / poll details. JSON-serialisable. */
  params: Record<string, unknown>;
}

/** An event once stored: it has an id. */
export interface StoredEvent extends NormalizedEvent {
  id: number;
}

/** A sender whose syslog or traps match no device (GET /unknown-senders). */
export interface UnknownSenderDto {
  address: string;
  /** Events from this address that are stored (retention takes its events off the count). */
  count: number;
  firstSeen: number;
  lastSeen: number;
  lastMessage: string;
}
