import type { AuthProtocol, PrivProtocol, SnmpVersion } from './dto.js';

/**
 * What the centre assigns to a site's collectors (issue 15): one value per site in the NATS KV bucket
 * `ASSIGNMENT_BUCKET`, key = the site, JSON. Everything a poller needs, secrets sealed per collector
 * (server/remote/sealed-secret.ts): no community or v3 key is ever in it in plaintext.
 */
export const ASSIGNMENT_BUCKET = 'netwatch-assignments';
export const ASSIGNMENT_FORMAT = 1;

/** One secret sealed for each collector of the site that sent a public key. */
export interface SealedFor {
  collector: string;
  sealed: string;
}

export interface AssignedDevice {
  /** The centre's device id: samples, status and events come back under it. */
  id: number;
  name: string;
  address: string;
  group: string | null;
  pollIntervalSec: number;
  icmpEnabled: boolean;
  snmp: {
    enabled: boolean;
    version: SnmpVersion;
    port: number;
    username: string | null;
    authProtocol: AuthProtocol | null;
    privProtocol: PrivProtocol | null;
    context: string | null;
    timeoutMs: number;
    retries: number;
    /** Each secret set on the device, sealed for every collector of the site (null: not set). */
    community: SealedFor[] | null;
    authKey: SealedFor[] | null;
    privKey: SealedFor[] | null;
  };
  /** Set when the centre cannot read the device's stored secrets: the collector reports the poll as failed. */
  secretError: string | null;
  customOids: { oid: string; name: string; unit: string | null }[];
  /**
   * The collector of the site that polls this device (one of those heard from, by rendezvous hashing of the ids):
   * a site's collectors share its devices. null (no collector of the site is up) or absent (older centres): every collector polls it.
   */
  collector?: string | null;
}

/** A custom (database) collection template a site's collectors apply: the global ones and those for a device or group of the site. */
export interface AssignedTemplate {
  id: string;
  /** The template as validated at the centre (server/templates/template.schema.ts); checked again by the collector. */
  body: unknown;
  deviceId: number | null;
  group: string | null;
}

export interface SiteAssignment {
  format: typeof ASSIGNMENT_FORMAT;
  site: string;
  /** When the centre built it (ms since epoch). */
  generatedAt: number;
  devices: AssignedDevice[];
  /** Custom collection templates (absent from centres that predate them: none). */
  templates?: AssignedTemplate[];
}

/**
 * The SNMPv3 users a site's collectors accept traps and INFORMs from (issue 15): one value per site in the
 * NATS KV bucket `TRAP_USER_BUCKET`, key = the site, JSON. The users are the centre's (every site gets all
 * of them); their keys are sealed for each collector of the site, never in plaintext.
 */
export const TRAP_USER_BUCKET = 'netwatch-trap-users';
export const TRAP_USERS_FORMAT = 1;

export interface SealedTrapUser {
  username: string;
  authProtocol: AuthProtocol | null;
  privProtocol: PrivProtocol | null;
  /** Sealed for every collector of the site (null: not set, i.e. noAuthNoPriv / authNoPriv). */
  authKey: SealedFor[] | null;
  privKey: SealedFor[] | null;
}

export interface SiteTrapUsers {
  format: typeof TRAP_USERS_FORMAT;
  site: string;
  generatedAt: number;
  users: SealedTrapUser[];
}
