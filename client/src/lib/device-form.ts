import type { AuthProtocol, DeviceDto, PrivProtocol, SnmpVersion } from '@contracts/dto';

/**
 * The device form's model and its translation to API bodies. Pure, so it is
 * unit-tested without a browser. Secrets are write-only: an empty secret field
 * means "keep what is stored" on edit and "none" on create.
 */
export const SNMP_VERSION_OPTIONS = ['1', '2c', '3'] as const satisfies readonly SnmpVersion[];
export const AUTH_PROTOCOL_OPTIONS = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'] as const satisfies readonly AuthProtocol[];
export const PRIV_PROTOCOL_OPTIONS = ['des', 'aes', 'aes256b', 'aes256r'] as const satisfies readonly PrivProtocol[];

// Compile-time check that the option lists cover the contract's unions.
type Covers<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : false;
const _covers: [
  Covers<SnmpVersion, (typeof SNMP_VERSION_OPTIONS)[number]>,
  Covers<AuthProtocol, (typeof AUTH_PROTOCOL_OPTIONS)[number]>,
  Covers<PrivProtocol, (typeof PRIV_PROTOCOL_OPTIONS)[number]>,
] = [true, true, true];
void _covers;

export const PRIV_LABELS: Record<PrivProtocol, string> = {
  des: 'DES',
  aes: 'AES-128',
  aes256b: 'AES-256 (Blumenthal)',
  aes256r: 'AES-256 (Reeder)',
};

export interface DeviceFormModel {
  name: string;
  address: string;
  group: string;
  location: string;
  tags: string;
  pollIntervalSec: number;
  icmpEnabled: boolean;
  snmpEnabled: boolean;
  version: SnmpVersion;
  port: number;
  community: string;
  username: string;
  authProtocol: AuthProtocol | '';
  authKey: string;
  privProtocol: PrivProtocol | '';
  privKey: string;
  context: string;
  timeoutMs: number;
  retries: number;
  /** Empty on create: the centre's own site. */
  site: string;
}

/** A site name as NMS_SITE takes it (the server checks it again). */
export const SITE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** What is already stored for the device's secrets (edit only). */
export interface StoredSecrets {
  communitySet: boolean;
  authKeySet: boolean;
  privKeySet: boolean;
}

export const NO_SECRETS: StoredSecrets = { communitySet: false, authKeySet: false, privKeySet: false };

export function emptyDeviceForm(): DeviceFormModel {
  return {
    name: '',
    address: '',
    group: '',
    location: '',
    tags: '',
    pollIntervalSec: 60,
    icmpEnabled: true,
    snmpEnabled: true,
    version: '2c',
    port: 161,
    community: '',
    username: '',
    authProtocol: '',
    authKey: '',
    privProtocol: '',
    privKey: '',
    context: '',
    timeoutMs: 2000,
    retries: 1,
    site: '',
  };
}

export function formFromDevice(d: DeviceDto): DeviceFormModel {
  return {
    name: d.name,
    address: d.address,
    group: d.group ?? '',
    location: d.location ?? '',
    tags: d.tags.join(', '),
    pollIntervalSec: d.pollIntervalSec,
    icmpEnabled: d.icmpEnabled,
    snmpEnabled: d.snmp.enabled,
    version: d.snmp.version,
    port: d.snmp.port,
    community: '',
    username: d.snmp.username ?? '',
    authProtocol: d.snmp.authProtocol ?? '',
    authKey: '',
    privProtocol: d.snmp.privProtocol ?? '',
    privKey: '',
    context: d.snmp.context ?? '',
    timeoutMs: d.snmp.timeoutMs,
    retries: d.snmp.retries,
    site: d.site,
  };
}

export function secretsOf(d: DeviceDto): StoredSecrets {
  return { communitySet: d.snmp.communitySet, authKeySet: d.snmp.authKeySet, privKeySet: d.snmp.privKeySet };
}

/** "a, b,, a ,c" -> ["a", "b", "c"] */
export function parseTags(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const t = raw.trim();
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

/** Problems the user can fix before sending; the server checks everything again. */
export function validateDeviceForm(m: DeviceFormModel, storedOnEdit?: StoredSecrets): Record<string, string> {
  const stored = storedOnEdit ?? NO_SECRETS;
  const errors: Record<string, string> = {};
  if (!m.name.trim()) errors.name = 'A name is required';
  if (!m.address.trim()) errors.address = 'An IPv4 or IPv6 address is required';
  if (!Number.isInteger(m.pollIntervalSec) || m.pollIntervalSec < 5 || m.pollIntervalSec > 86_400) {
    errors.pollIntervalSec = 'Between 5 and 86400 seconds';
  }
  const site = m.site.trim();
  if (storedOnEdit && !site) errors.site = 'A site is required';
  else if (site && !SITE_NAME.test(site)) errors.site = '1-64 letters, digits, "_" or "-"';
  if (!m.snmpEnabled) return errors;
  if (!Number.isInteger(m.port) || m.port < 1 || m.port > 65535) errors.port = 'A port between 1 and 65535';
  if (!Number.isInteger(m.timeoutMs) || m.timeoutMs < 100 || m.timeoutMs > 60_000) errors.timeoutMs = 'Between 100 and 60000 ms';
  if (!Number.isInteger(m.retries) || m.retries < 0 || m.retries > 10) errors.retries = 'Between 0 and 10';
  if (m.version !== '3') {
    // On create the server uses "public" when no community is given.
    if (storedOnEdit && !m.community && !stored.communitySet) errors.community = `SNMPv${m.version} needs a community`;
  } else {
    if (!m.username.trim()) errors.username = 'SNMPv3 needs a user name';
    if (m.authProtocol) {
      if (m.authKey && m.authKey.length < 8) errors.authKey = 'At least 8 characters';
      else if (!m.authKey && !stored.authKeySet) errors.authKey = 'An auth key is required with an auth protocol';
    }
    if (m.privProtocol) {
      if (!m.authProtocol) errors.privProtocol = 'Privacy needs an auth protocol';
      if (m.privKey && m.privKey.length < 8) errors.privKey = 'At least 8 characters';
      else if (!m.privKey && !stored.privKeySet) errors.privKey = 'A privacy key is required with a privacy protocol';
    }
  }
  return errors;
}

export interface SnmpBody {
  enabled?: boolean;
  version?: SnmpVersion;
  port?: number;
  community?: string | null;
  username?: string | null;
  authProtocol?: AuthProtocol | null;
  authKey?: string | null;
  privProtocol?: PrivProtocol | null;
  privKey?: string | null;
  context?: string | null;
  timeoutMs?: number;
  retries?: number;
}

export interface DeviceBody {
  name?: string;
  address?: string;
  group?: string | null;
  location?: string | null;
  tags?: string[];
  pollIntervalSec?: number;
  icmpEnabled?: boolean;
  snmp?: SnmpBody;
  site?: string;
}

function snmpBody(m: DeviceFormModel, mode: 'create' | 'edit'): SnmpBody {
  const keepOrNone = mode === 'create' ? undefined : null;
  const s: SnmpBody = {
    enabled: m.snmpEnabled,
    version: m.version,
    port: m.port,
    timeoutMs: m.timeoutMs,
    retries: m.retries,
  };
  if (m.version === '3') {
    s.username = m.username.trim() || keepOrNone;
    s.context = m.context.trim() || keepOrNone;
    s.authProtocol = m.authProtocol || keepOrNone;
    s.privProtocol = (m.authProtocol && m.privProtocol) || keepOrNone;
    // A typed key replaces the stored one; no protocol means no key.
    if (!m.authProtocol) s.authKey = keepOrNone;
    else if (m.authKey) s.authKey = m.authKey;
    if (!s.privProtocol) s.privKey = keepOrNone;
    else if (m.privKey) s.privKey = m.privKey;
    // v3 does not use a community; do not keep one around unseen.
    if (mode === 'edit') s.community = null;
  } else {
    if (m.community) s.community = m.community;
    if (mode === 'edit') {
      s.username = null;
      s.authProtocol = null;
      s.authKey = null;
      s.privProtocol = null;
      s.privKey = null;
      s.context = null;
    }
  }
  // Drop keys left undefined so the body says only what it means.
  for (const k of Object.keys(s) as (keyof SnmpBody)[]) if (s[k] === undefined) delete s[k];
  return s;
}

/** Body for POST /devices. */
export function toCreateBody(m: DeviceFormModel): DeviceBody {
  const body: DeviceBody = {
    name: m.name.trim(),
    address: m.address.trim(),
    tags: parseTags(m.tags),
    pollIntervalSec: m.pollIntervalSec,
    icmpEnabled: m.icmpEnabled,
    snmp: snmpBody(m, 'create'),
  };
  if (m.group.trim()) body.group = m.group.trim();
  if (m.location.trim()) body.location = m.location.trim();
  if (m.site.trim()) body.site = m.site.trim();
  return body;
}

/** Body for PATCH /devices/:id: every field, secrets only when typed or cleared. */
export function toUpdateBody(m: DeviceFormModel): DeviceBody {
  return {
    name: m.name.trim(),
    address: m.address.trim(),
    group: m.group.trim() || null,
    location: m.location.trim() || null,
    tags: parseTags(m.tags),
    pollIntervalSec: m.pollIntervalSec,
    icmpEnabled: m.icmpEnabled,
    snmp: snmpBody(m, 'edit'),
    site: m.site.trim(),
  };
}

/**
 * Field errors from a 400 answer: the API's `details` ([{path, message}]) or,
 * for cross-field checks, a message of the form "snmp.community: required …".
 * Paths map onto form fields ("snmp.authKey" -> "authKey", "tags.2" -> "tags").
 */
export function fieldErrorsFromApi(details: unknown, message: string): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (path: string, msg: string) => {
    const key = path.replace(/^snmp\./, '').replace(/\.\d+$/, '');
    if (key && !(key in out)) out[key] = msg;
  };
  if (Array.isArray(details)) {
    for (const d of details) {
      if (d && typeof d === 'object' && typeof d.path === 'string' && typeof d.message === 'string') add(d.path, d.message);
    }
  }
  if (Object.keys(out).length === 0) {
    const m = /^([A-Za-z.]+\w): (.+)$/.exec(message);
    if (m) add(m[1]!, m[2]!);
  }
  return out;
}
