/**
 * MIB browser: GET or walk one OID (numeric or MIB name) on a stored device
 * and return the varbinds named and formatted through the OID dictionary.
 *
 * Answers:
 * - 200 `{varbinds, truncated}` on success;
 * - 200 `{varbinds, truncated, error: {kind, message}}` when the agent did not
 *   answer or refused (timeout, authFailure, …): the request itself was fine,
 *   the device was not. `varbinds` then holds what a walk got before it failed;
 * - 400 (ApiRegistry error shape) for a name not in the loaded MIBs, an
 *   ambiguous bare name, or a device whose SNMP is switched off; 404 for an
 *   unknown device; 403 below operator (this sends SNMP to the device), or
 *   `outbound_denied` when the outbound policy denies the device's address.
 */
import * as snmp from 'net-snmp';
import type { Varbind } from 'net-snmp';
import { z } from 'zod';
import { SnmpClient } from '../collectors/snmp/snmp.client.js';
import type { DeviceSession } from '../collectors/snmp/snmp.client.js';
import { SnmpError, classifySnmpError } from '../collectors/snmp/snmp.errors.js';
import { bufToBigInt, inSubtree, oidCompare } from '../collectors/snmp/snmp.values.js';
import type { OidDictionary } from '../mib/oid-dictionary.js';
import { formatValue, formatVarbind, type RawValue } from '../mib/value-formatter.js';
import type { OutboundPolicy } from '../net/outbound-policy.js';
import { snmpTarget } from '../poller/snmp-runner.js';
import type { DeviceRepository } from '../store/device.repository.js';
import { NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

export interface SnmpBrowseDeps {
  devices: DeviceRepository;
  dictionary: () => OidDictionary;
  /** The SNMP client to use (default: one shared by every registration in this process, never closed). */
  client?: SnmpClient;
  /** A device whose address the policy denies is not queried (403 outbound_denied). */
  outbound: OutboundPolicy;
}

export interface BrowseVarbind {
  oid: string;
  /** `MODULE::name` of the longest known prefix, null when the dictionary does not know it. */
  name: string | null;
  /** The OID's suffix after that node ('' when exact, the whole OID when unknown). */
  instance: string;
  /** `MODULE::name.instance`, or the numeric OID. */
  label: string;
  /** SMI type as sent: Integer, OctetString, ObjectIdentifier, IpAddress, Counter32, Gauge32, TimeTicks, Opaque, Counter64, noSuchObject, … */
  type: string;
  /** Raw value, JSON-safe: numbers; Counter64 as a decimal string; octet strings as lowercase hex; OIDs and addresses as text; null for exceptions. */
  value: number | string | boolean | null;
  /** What an operator reads: enum labels, display hints, durations. */
  formatted: string;
}

export interface BrowseResult {
  varbinds: BrowseVarbind[];
  truncated: boolean;
  error?: { kind: string; message: string };
}

const body = z.object({
  op: z.enum(['get', 'walk']),
  oid: z.string().trim().min(1, 'name an OID').max(400),
  maxVarbinds: z.number().int().min(1).max(10_000).default(1000),
});

const NUMERIC = /^\.?\d+(\.\d+)*$/;

const TYPE_NAMES: Record<number, string> = {
  1: 'Boolean',
  2: 'Integer',
  3: 'BitString',
  4: 'OctetString',
  5: 'Null',
  6: 'ObjectIdentifier',
  64: 'IpAddress',
  65: 'Counter32',
  66: 'Gauge32',
  67: 'TimeTicks',
  68: 'Opaque',
  70: 'Counter64',
  128: 'noSuchObject',
  129: 'noSuchInstance',
  130: 'endOfMibView',
};

/** SMI base types the formatter knows, by the type on the wire. */
const WIRE_BASE: Record<number, string> = { 6: 'OBJECT IDENTIFIER', 64: 'IpAddress', 67: 'TimeTicks', 70: 'Counter64' };

let sharedClient: SnmpClient | null = null;

/** One varbind named and formatted; pure apart from the dictionary lookup. */
export function browseVarbind(dict: OidDictionary, vb: Varbind): BrowseVarbind {
  const type = TYPE_NAMES[vb.type] ?? `type ${vb.type}`;
  const v = vb.value as unknown;
  let raw: RawValue;
  let value: BrowseVarbind['value'];
  if (vb.type >= 128 || vb.type === snmp.ObjectType.Null) {
    raw = null;
    value = null;
  } else if (Buffer.isBuffer(v) && vb.type === snmp.ObjectType.Counter64) {
    raw = bufToBigInt(v);
    value = raw.toString();
  } else if (Buffer.isBuffer(v)) {
    raw = new Uint8Array(v);
    value = v.toString('hex');
  } else if (typeof v === 'bigint') {
    raw = v;
    value = v.toString();
  } else if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') {
    raw = v;
    value = v;
  } else {
    raw = null;
    value = null;
  }
  const f = formatVarbind(dict, vb.oid, raw);
  // A node without a type (sysUpTimeInstance is a bare OID assignment) or an unknown OID: the wire type decides.
  const node = dict.resolve(vb.oid).node;
  const wire = WIRE_BASE[vb.type];
  const text = !node?.baseType && wire && value !== null ? formatValue(raw, { baseType: wire, enums: null, displayHint: null, units: null }, { resolveOid: (o) => dict.resolve(o).label }) : f.value;
  return {
    oid: vb.oid,
    name: f.module && f.name ? `${f.module}::${f.name}` : null,
    instance: f.name ? f.instance : vb.oid,
    label: f.label,
    type,
    value,
    formatted: value === null ? type : text,
  };
}

/** Numeric OID of what the user typed; scalars asked by `get` without an instance get `.0`. */
function resolveTarget(dict: OidDictionary, input: string, op: 'get' | 'walk'): string {
  if (NUMERIC.test(input)) return input.replace(/^\./, '');
  const r = dict.resolveName(input);
  if (r.found) return op === 'get' && r.node.kind === 'scalar' && r.instance === '' ? `${r.oid}.0` : r.oid;
  if (r.ambiguous) {
    const names = r.ambiguous.candidates.map((c) => `${c.module}::${c.name}`).join(', ');
    throw new ValidationError(`"${input}" is ambiguous: ${names}`);
  }
  throw new ValidationError(`"${input}" is not in the loaded MIBs; use a numeric OID or MODULE::name`);
}

/** Walks `root`, stopping after `max + 1` varbinds (so the caller knows it was cut). Partial results survive errors. */
async function boundedWalk(session: DeviceSession, root: string, max: number, out: Varbind[]): Promise<void> {
  if (!session.usesBulk) {
    // SNMPv1 (or an agent whose GETBULK misbehaves): the session's GETNEXT walk.
    out.push(...(await session.walk(root)).slice(0, max + 1));
    return;
  }
  let cur = root;
  for (;;) {
    const list = await session.bulkOnce(cur);
    if (list.length === 0) return;
    for (const vb of list) {
      if (vb.type === snmp.ObjectType.EndOfMibView || snmp.isVarbindError(vb) || !inSubtree(root, vb.oid)) return;
      if (oidCompare(vb.oid, cur) <= 0) throw new SnmpError('other', `agent returned non-increasing OID ${vb.oid} after ${cur}`);
      out.push(vb);
      cur = vb.oid;
      if (out.length > max) return;
    }
  }
}

export function registerSnmpBrowseRoutes(api: ApiRegistry, deps: SnmpBrowseDeps): void {
  const client = () => deps.client ?? (sharedClient ??= new SnmpClient());

  api.add(
    {
      method: 'post',
      path: '/devices/:id/snmp',
      summary: 'MIB browser: GET or walk an OID (numeric or MIB name) on a device; varbinds named and formatted. SNMP failures answer 200 with error {kind, message}',
      tag: 'devices',
      access: 'operator',
      body,
      response: '{varbinds: {oid, name, instance, label, type, value, formatted}[], truncated, error?: {kind, message}}',
      audit: false,
    },
    async ({ params, body: req }): Promise<BrowseResult> => {
      const device = deps.devices.get(idParam(params));
      if (!device) throw new NotFoundError('No such device');
      if (!device.snmp.enabled) throw new ValidationError(`SNMP is switched off for ${device.name}`);
      if (device.secretError) throw new ValidationError(`${device.name}: ${device.secretError}`);
      deps.outbound.assertAllowed('device', device.address, `device ${device.name} (${device.address})`);
      const dict = deps.dictionary();
      const oid = resolveTarget(dict, req.oid, req.op);
      const got: Varbind[] = [];
      let error: BrowseResult['error'];
      try {
        const session = await client().open(snmpTarget(device));
        if (req.op === 'get') got.push(...(await session.get([oid])));
        else {
          await boundedWalk(session, oid, req.maxVarbinds, got);
          // Like snmpwalk: walking a leaf (e.g. sysName.0) returns the leaf itself.
          if (got.length === 0) got.push(...(await session.get([oid])).filter((vb) => vb.type < 128));
        }
      } catch (e) {
        const err = classifySnmpError(e);
        error = { kind: err.kind, message: err.message };
      }
      const truncated = got.length > req.maxVarbinds;
      const varbinds = got.slice(0, req.maxVarbinds).map((vb) => browseVarbind(dict, vb));
      return error ? { varbinds, truncated, error } : { varbinds, truncated };
    },
  );
}
