import { isIP } from 'node:net';
import { z } from 'zod';
import { SITE_PATTERN } from '../bus/nats-subjects.js';
import { AUTH_PROTOCOLS, PRIV_PROTOCOLS, SNMP_VERSIONS } from '../contracts/dto.js';
import type { DeviceRecord, DeviceSnmpRecord, DeviceWrite } from '../store/device.repository.js';
import { ValidationError } from './errors.js';

const text = (max: number) => z.string().trim().min(1).max(max);
const secret = z.string().min(1).max(256);

export const snmpInputSchema = z
  .object({
    enabled: z.boolean(),
    version: z.enum(SNMP_VERSIONS),
    port: z.number().int().min(1).max(65535),
    community: secret.nullable(),
    username: text(64).nullable(),
    authProtocol: z.enum(AUTH_PROTOCOLS).nullable(),
    authKey: z.string().min(8, 'v3 keys must be at least 8 characters').max(256).nullable(),
    privProtocol: z.enum(PRIV_PROTOCOLS).nullable(),
    privKey: z.string().min(8, 'v3 keys must be at least 8 characters').max(256).nullable(),
    context: z.string().max(64).nullable(),
    timeoutMs: z.number().int().min(100).max(60_000),
    retries: z.number().int().min(0).max(10),
  })
  .partial()
  .strict();

const deviceFields = {
  name: text(128),
  address: z
    .string()
    .trim()
    .refine((a) => isIP(a) !== 0, 'must be an IPv4 or IPv6 address'),
  group: text(64).nullable(),
  location: text(256).nullable(),
  tags: z.array(text(64)).max(32),
  pollIntervalSec: z.number().int().min(5).max(86_400),
  icmpEnabled: z.boolean(),
  snmp: snmpInputSchema,
  /** Like NMS_SITE: the centre polls its own site's devices, a collector those of its site. */
  site: z.string().trim().regex(SITE_PATTERN, 'use 1-64 letters, digits, "_" or "-"'),
};

export const createDeviceSchema = z
  .object(deviceFields)
  .partial({ group: true, location: true, tags: true, pollIntervalSec: true, icmpEnabled: true, snmp: true, site: true })
  .strict();

export const updateDeviceSchema = z.object(deviceFields).partial().strict();

export type CreateDeviceInput = z.infer<typeof createDeviceSchema>;
export type UpdateDeviceInput = z.infer<typeof updateDeviceSchema>;

const SNMP_DEFAULTS: DeviceSnmpRecord = {
  enabled: true,
  version: '2c',
  port: 161,
  community: null,
  username: null,
  authProtocol: null,
  authKey: null,
  privProtocol: null,
  privKey: null,
  context: null,
  timeoutMs: 2000,
  retries: 1,
};

/** Cross-field rules that hold for the merged device, whatever was patched. */
function checkSnmp(s: DeviceSnmpRecord): void {
  if (!s.enabled) return;
  if (s.version === '3') {
    if (!s.username) throw new ValidationError('snmp.username: required for SNMPv3');
    if (s.authProtocol && !s.authKey) throw new ValidationError('snmp.authKey: required when an auth protocol is set');
    if (s.privProtocol && !s.authProtocol) throw new ValidationError('snmp.privProtocol: privacy needs an auth protocol (authPriv)');
    if (s.privProtocol && !s.privKey) throw new ValidationError('snmp.privKey: required when a priv protocol is set');
  } else if (!s.community) {
    throw new ValidationError(`snmp.community: required for SNMPv${s.version}`);
  }
}

/** A new device from a create body; v1/v2c default to community "public" only when none is given; site defaults to `defaultSite` (the centre's). */
export function deviceFromCreate(input: CreateDeviceInput, defaultSite = 'central'): DeviceWrite {
  const snmp: DeviceSnmpRecord = { ...SNMP_DEFAULTS, ...input.snmp };
  if (snmp.version !== '3' && snmp.community === null && input.snmp?.community === undefined) snmp.community = 'public';
  checkSnmp(snmp);
  return {
    name: input.name,
    address: input.address,
    group: input.group ?? null,
    location: input.location ?? null,
    tags: input.tags ?? [],
    pollIntervalSec: input.pollIntervalSec ?? 60,
    icmpEnabled: input.icmpEnabled ?? true,
    snmp,
    site: input.site ?? defaultSite,
  };
}

/** Applies a PATCH: omitted fields (and omitted secrets) keep their value, null clears. */
export function deviceFromPatch(cur: DeviceRecord, patch: UpdateDeviceInput): DeviceWrite {
  const snmp: DeviceSnmpRecord = { ...cur.snmp, ...patch.snmp };
  checkSnmp(snmp);
  return {
    name: patch.name ?? cur.name,
    address: patch.address ?? cur.address,
    group: patch.group === undefined ? cur.group : patch.group,
    location: patch.location === undefined ? cur.location : patch.location,
    tags: patch.tags ?? cur.tags,
    pollIntervalSec: patch.pollIntervalSec ?? cur.pollIntervalSec,
    icmpEnabled: patch.icmpEnabled ?? cur.icmpEnabled,
    snmp,
    site: patch.site ?? cur.site,
  };
}
