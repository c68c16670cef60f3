import { createHash, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { SITE_PATTERN } from '../bus/nats-subjects.js';
import { ASSIGNMENT_FORMAT, type AssignedDevice, type AssignedTemplate, type SealedFor, type SiteAssignment } from '../contracts/assignment.js';
import { AUTH_PROTOCOLS, PRIV_PROTOCOLS, SNMP_VERSIONS } from '../contracts/dto.js';
import type { DeviceRecord } from '../store/device.repository.js';
import { seal, unseal } from './sealed-secret.js';

/** A collector of the site with its public key: whom the secrets are sealed for. */
export interface SealTarget {
  id: string;
  publicKey: string;
  /** Heard from within the collector timeout (absent: yes). Only live collectors are given devices to poll. */
  up?: boolean;
}

/**
 * Which of a site's live collectors polls a device: rendezvous (highest random weight) hashing of the device id
 * with each collector id. Every device goes to exactly one collector, the shares are even, and when a collector
 * joins or leaves only the devices it gains or loses move (the others keep their collector, session and schedule).
 */
export function pollerOf(deviceId: number, collectorIds: readonly string[]): string | null {
  let best: string | null = null;
  let bestWeight = '';
  for (const id of collectorIds) {
    const weight = createHash('sha256').update(`${deviceId}\0${id}`).digest('hex');
    if (best === null || weight > bestWeight || (weight === bestWeight && id < best)) {
      best = id;
      bestWeight = weight;
    }
  }
  return best;
}

export type CustomOidsOf = (d: DeviceRecord) => { oid: string; name: string; unit: string | null }[];

function sealFor(secret: string | null, targets: readonly SealTarget[]): SealedFor[] | null {
  if (secret === null) return null;
  return targets.map((t) => ({ collector: t.id, sealed: seal(secret, t.publicKey, t.id) }));
}

/**
 * The centre's side: the devices of `site` as its collectors get them. Each device names the one collector that
 * polls it (`pollerOf` over the live `targets`), and its secrets are sealed for that collector only: several
 * collectors of a site share its polling instead of each polling every device. With no live collector
 * (`collector: null`), every device's secrets are sealed for each of `targets` and whichever comes back polls them all.
 */
export function buildAssignment(
  site: string,
  devices: readonly DeviceRecord[],
  targets: readonly SealTarget[],
  customOids: CustomOidsOf,
  now = Date.now(),
  templates: readonly AssignedTemplate[] = [],
): SiteAssignment {
  const mine = devices.filter((d) => d.site === site);
  const ids = new Set(mine.map((d) => d.id));
  const groups = new Set(mine.map((d) => d.group).filter((g): g is string => g !== null));
  const live = targets.filter((t) => t.up !== false);
  const liveIds = live.map((t) => t.id);
  return {
    format: ASSIGNMENT_FORMAT,
    site,
    generatedAt: now,
    // The custom templates this site's devices can use: global ones, and those for one of its devices or groups.
    templates: templates.filter((t) => (t.deviceId !== null ? ids.has(t.deviceId) : t.group !== null ? groups.has(t.group) : true)).slice(0, MAX_ASSIGNED_TEMPLATES),
    devices: mine
      .map((d): AssignedDevice => {
        const collector = pollerOf(d.id, liveIds);
        const sealTo = collector === null ? targets : live.filter((t) => t.id === collector);
        return {
        id: d.id,
        name: d.name,
        address: d.address,
        group: d.group,
        pollIntervalSec: d.pollIntervalSec,
        icmpEnabled: d.icmpEnabled,
        snmp: {
          enabled: d.snmp.enabled,
          version: d.snmp.version,
          port: d.snmp.port,
          username: d.snmp.username,
          authProtocol: d.snmp.authProtocol,
          privProtocol: d.snmp.privProtocol,
          context: d.snmp.context,
          timeoutMs: d.snmp.timeoutMs,
          retries: d.snmp.retries,
          community: sealFor(d.snmp.community, sealTo),
          authKey: sealFor(d.snmp.authKey, sealTo),
          privKey: sealFor(d.snmp.privKey, sealTo),
        },
        secretError: d.secretError ?? null,
        customOids: customOids(d),
        collector,
        };
      }),
  };
}

/** Most custom templates in one site's assignment. */
export const MAX_ASSIGNED_TEMPLATES = 1000;

const text = (max: number) => z.string().max(max);
const sealedFor = z.array(z.object({ collector: text(128), sealed: text(8192) }).strict()).max(64).nullable();
const assignedDevice = z
  .object({
    id: z.number().int().positive(),
    name: text(255),
    address: text(255).min(1),
    group: text(255).nullable(),
    pollIntervalSec: z.number().int().min(1).max(86_400 * 7),
    icmpEnabled: z.boolean(),
    snmp: z
      .object({
        enabled: z.boolean(),
        version: z.enum(SNMP_VERSIONS),
        port: z.number().int().min(1).max(65_535),
        username: text(255).nullable(),
        authProtocol: z.enum(AUTH_PROTOCOLS).nullable(),
        privProtocol: z.enum(PRIV_PROTOCOLS).nullable(),
        context: text(255).nullable(),
        timeoutMs: z.number().int().min(1).max(600_000),
        retries: z.number().int().min(0).max(20),
        community: sealedFor,
        authKey: sealedFor,
        privKey: sealedFor,
      })
      .strict(),
    secretError: text(1024).nullable(),
    customOids: z.array(z.object({ oid: z.string().regex(/^\.?\d+(\.\d+)*$/).max(512), name: text(255), unit: text(64).nullable() }).strict()).max(1000),
    // Absent from centres that predate sharing a site: every collector polls the device.
    collector: text(128).nullable().optional(),
  })
  .strict();
const assignmentSchema = z
  .object({
    format: z.literal(ASSIGNMENT_FORMAT),
    site: z.string().regex(SITE_PATTERN),
    generatedAt: z.number().int().min(0),
    devices: z.array(assignedDevice).max(100_000),
    // Each body is validated by the collector's template service (a bad one is skipped, logged), not here.
    templates: z
      .array(z.object({ id: text(100).min(1), body: z.unknown(), deviceId: z.number().int().positive().nullable(), group: text(255).nullable() }).strict())
      .max(MAX_ASSIGNED_TEMPLATES)
      .optional(),
  })
  .strict();

/** An assigned device opened for this collector: the record the poller polls, and its custom OIDs. */
export interface OpenedDevice {
  record: DeviceRecord;
  customOids: AssignedDevice['customOids'];
}

/**
 * The collector's side: an assignment as it came from the KV bucket -> the devices this collector polls (those
 * the centre gave to it or to every collector of the site) with their secrets opened with its private key, how many
 * went to the site's other collectors (`others`), or the reason it is refused. A secret not sealed for this collector
 * (it registered after the centre sealed) or that does not open leaves the device with `secretError`:
 * it is not polled with a wrong or default credential. Never throws.
 */
export function openAssignment(
  raw: unknown,
  site: string,
  collectorId: string,
  privateKey: KeyObject,
): { ok: true; devices: OpenedDevice[]; templates: AssignedTemplate[]; others: number } | { ok: false; reason: string } {
  const r = assignmentSchema.safeParse(raw);
  if (!r.success) return { ok: false, reason: r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(assignment)'}: ${i.message}`).join('; ') };
  if (r.data.site !== site) return { ok: false, reason: `the assignment is for site ${r.data.site}, not ${site}` };
  // A device the centre gave to another collector of the site is that one's to poll (null or absent: every collector's).
  const polledHere = r.data.devices.filter((d) => d.collector === undefined || d.collector === null || d.collector === collectorId);
  const devices = polledHere.map((d): OpenedDevice => {
    const problems: string[] = [];
    const open = (what: string, s: SealedFor[] | null): string | null => {
      if (s === null) return null;
      const mine = s.find((x) => x.collector === collectorId);
      if (!mine) {
        problems.push(`${what} is not sealed for this collector yet (the centre seals for collectors it has heard from)`);
        return null;
      }
      try {
        return unseal(mine.sealed, privateKey, collectorId);
      } catch (err) {
        problems.push(`${what}: ${(err as Error).message}`);
        return null;
      }
    };
    const { community, authKey, privKey, ...snmp } = d.snmp;
    const record: DeviceRecord = {
      id: d.id, name: d.name, address: d.address, group: d.group, location: null, tags: [], pollIntervalSec: d.pollIntervalSec, icmpEnabled: d.icmpEnabled,
      site, createdAt: 0, updatedAt: r.data.generatedAt,
      snmp: { ...snmp, community: open('community', community), authKey: open('authKey', authKey), privKey: open('privKey', privKey) },
    };
    const secretError = d.secretError ?? (problems.length ? problems.join('; ') : null);
    if (secretError) record.secretError = secretError;
    return { record, customOids: d.customOids };
  });
  return { ok: true, devices, templates: (r.data.templates ?? []) as AssignedTemplate[], others: r.data.devices.length - polledHere.length };
}
