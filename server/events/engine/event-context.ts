import type { NormalizedEvent } from '../../contracts/events.js';
import { TRAP_OIDS } from '../../contracts/alarms.js';
import { own } from './own.js';

/** What templates and device matches need to know about a device. */
export interface DeviceInfo {
  id: number;
  name: string;
  address: string;
  group: string | null;
  tags: string[];
}

export interface Varbind {
  oid: string;
  type?: string;
  value: unknown;
}

/** MIB name -> numeric OID; the MIB dictionary plugs in here. */
export type OidNameResolver = (name: string) => string | undefined;

/** Names the engine knows without a MIB dictionary (IF-MIB, SNMPv2-MIB). */
export const WELL_KNOWN_OIDS: Record<string, string> = {
  sysUpTime: '1.3.6.1.2.1.1.3',
  snmpTrapOID: '1.3.6.1.6.3.1.1.4.1',
  ifIndex: '1.3.6.1.2.1.2.2.1.1',
  ifDescr: '1.3.6.1.2.1.2.2.1.2',
  ifType: '1.3.6.1.2.1.2.2.1.3',
  ifAdminStatus: '1.3.6.1.2.1.2.2.1.7',
  ifOperStatus: '1.3.6.1.2.1.2.2.1.8',
  ifName: '1.3.6.1.2.1.31.1.1.1.1',
  ifAlias: '1.3.6.1.2.1.31.1.1.1.18',
  ...TRAP_OIDS,
};

const NUMERIC_OID = /^\.?\d+(\.\d+)*$/;

/** Numeric OID for a numeric or named OID, or undefined when the name is unknown. */
export function resolveOid(oidOrName: string, resolver?: OidNameResolver): string | undefined {
  if (NUMERIC_OID.test(oidOrName)) return oidOrName.startsWith('.') ? oidOrName.slice(1) : oidOrName;
  return resolver?.(oidOrName) ?? (own(WELL_KNOWN_OIDS, oidOrName) as string | undefined);
}

export function varbindsOf(e: NormalizedEvent): Varbind[] {
  const v = own(e.params, 'varbinds');
  return Array.isArray(v) ? (v as Varbind[]) : [];
}

const stripDot = (oid: string) => (oid.charCodeAt(0) === 46 ? oid.slice(1) : oid);

/** Varbind whose OID equals `oid` or is an instance of it (`oid.<suffix>`). */
export function findVarbind(vbs: Varbind[], oid: string): Varbind | undefined {
  let prefixHit: Varbind | undefined;
  for (const vb of vbs) {
    if (vb === null || typeof vb !== 'object' || typeof own(vb, 'oid') !== 'string') continue;
    const o = stripDot(vb.oid);
    if (o === oid) return vb;
    if (!prefixHit && o.length > oid.length && o.startsWith(oid) && o.charCodeAt(oid.length) === 46) prefixHit = vb;
  }
  return prefixHit;
}

export function trapOidOf(e: NormalizedEvent): string | undefined {
  const t = own(e.params, 'trapOid');
  if (typeof t === 'string') return stripDot(t);
  return e.source === 'trap' ? stripDot(e.type) : undefined;
}

/** `a.b.c` inside params, own properties only (see own.ts); undefined when any step is missing. */
export function paramAt(params: Record<string, unknown>, path: string): unknown {
  if (!path.includes('.')) return own(params, path);
  let cur: unknown = params;
  for (const part of path.split('.')) {
    cur = own(cur, part);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Everything a rule can read about one event while it is being evaluated. */
export class EventContext {
  captures: Record<string, string> | undefined;

  constructor(
    readonly event: NormalizedEvent,
    readonly device: DeviceInfo | undefined,
    private readonly oidNames?: OidNameResolver,
  ) {}

  /** Template variable lookup; undefined when the variable has no value for this event. */
  lookup(name: string): unknown {
    const e = this.event;
    const cap = own(this.captures, name);
    if (cap !== undefined) return cap;
    switch (name) {
      case 'device.name':
        return this.device?.name ?? e.sourceAddress ?? 'unknown';
      case 'device.id':
        return this.device?.id;
      case 'device.address':
        return this.device?.address ?? e.sourceAddress;
      case 'device.group':
        return this.device?.group;
      case 'deviceOrSource':
        return this.device ? this.device.id : (e.sourceAddress ?? 'unknown');
      case 'source':
        return e.source;
      case 'sourceAddress':
        return e.sourceAddress;
      case 'type':
        return e.type;
      case 'message':
        return e.message;
      case 'severity':
        return e.severity;
      case 'trapOid':
        return trapOidOf(e);
      case 'ifIndex':
        return own(e.params, 'ifIndex') ?? this.varbindValue('ifIndex');
      case 'ifName':
        return own(e.params, 'ifName') ?? this.varbindValue('ifName') ?? this.varbindValue('ifDescr') ?? own(e.params, 'ifDescr') ?? this.lookup('ifIndex');
    }
    if (name.startsWith('params.')) return paramAt(e.params, name.slice(7));
    if (name.startsWith('varbind.')) return this.varbindValue(name.slice(8));
    if (name.startsWith('instance.')) return this.varbindInstance(name.slice(9));
    return own(e.params, name) ?? this.varbindValue(name);
  }

  /** Instance suffix of the varbind of a column (`instance.ifOperStatus` -> `3` for ifOperStatus.3): the table row a trap is about. */
  varbindInstance(oidOrName: string): string | undefined {
    const vbs = varbindsOf(this.event);
    if (vbs.length === 0) return undefined;
    const oid = resolveOid(oidOrName, this.oidNames);
    const vb = oid === undefined ? undefined : findVarbind(vbs, oid);
    if (!vb) return undefined;
    const o = stripDot(vb.oid);
    return o.length > oid!.length ? o.slice(oid!.length + 1) : undefined;
  }

  varbindValue(oidOrName: string): unknown {
    const vbs = varbindsOf(this.event);
    if (vbs.length === 0) return undefined;
    const oid = resolveOid(oidOrName, this.oidNames);
    return oid === undefined ? undefined : own(findVarbind(vbs, oid), 'value');
  }
}
