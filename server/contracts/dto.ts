/**
 * Data shapes the REST API returns and the console consumes (`import type`).
 * Secrets never appear here: only whether one is set.
 */
export const SNMP_VERSIONS = ['1', '2c', '3'] as const;
export type SnmpVersion = (typeof SNMP_VERSIONS)[number];
export const AUTH_PROTOCOLS = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type AuthProtocol = (typeof AUTH_PROTOCOLS)[number];
export const PRIV_PROTOCOLS = ['des', 'aes', 'aes256b', 'aes256r'] as const;
export type PrivProtocol = (typeof PRIV_PROTOCOLS)[number];

/** An SNMPv3 user the trap receiver accepts, as the API shows it: keys are write-only. */
export interface TrapUserDto {
  id: number;
  username: string;
  level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
  authProtocol: AuthProtocol | null;
  authKeySet: boolean;
  privProtocol: PrivProtocol | null;
  privKeySet: boolean;
  createdAt: number;
}
export const ROLES = ['admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface DeviceSnmpDto {
  enabled: boolean;
  version: SnmpVersion;
  port: number;
  /** v1/v2c: whether a community is stored (the value is write-only). */
  communitySet: boolean;
  /** v3 USM user, auth and priv protocols; keys are write-only. */
  username: string | null;
  authProtocol: AuthProtocol | null;
  authKeySet: boolean;
  privProtocol: PrivProtocol | null;
  privKeySet: boolean;
  context: string | null;
  timeoutMs: number;
  retries: number;
}

export interface DeviceDto {
  id: number;
  name: string;
  address: string;
  group: string | null;
  location: string | null;
  tags: string[];
  pollIntervalSec: number;
  icmpEnabled: boolean;
  snmp: DeviceSnmpDto;
  /** Who polls it: the centre when it is the centre's own site (config `site`), else that site's collectors. */
  site: string;
  /** Its site has registered collectors and all of them are down: its state is unknown, not down. */
  collectorDown: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface UserDto {
  id: number;
  username: string;
  role: Role;
  createdAt: number;
  /** A disabled user cannot sign in, and none of their sessions or API tokens work. */
  disabled: boolean;
}

export interface ApiTokenDto {
  id: number;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
}

export interface ListenerStatus {
  name: string;
  protocol: 'udp' | 'tcp' | 'tls';
  /** Configured port. */
  requestedPort: number;
  /** Port actually bound (after a privileged-port fallback), null when not listening. */
  boundPort: number | null;
  address: string;
  state: 'listening' | 'fallback' | 'failed' | 'disabled';
  message: string | null;
}

export interface HealthDto {
  status: 'ok';
  version: string;
  uptimeSec: number;
  ports: { http: number; syslog: number | null; trap: number | null };
  /** Addresses the syslog and trap listeners are bound to (syslogHost / trapHost), each once. */
  addresses: { syslog: string[]; trap: string[] };
}

export interface StatusDto {
  version: string;
  uptimeSec: number;
  startedAt: number;
  listeners: ListenerStatus[];
  /** Counter name -> value (same numbers as /metrics). */
  counters: Record<string, number>;
  database: { path: string; sizeBytes: number; schemaVersion: number };
}

export interface ApiError {
  error: { code: string; message: string; details?: unknown };
}
