import { isIP } from 'node:net';
import * as snmp from 'net-snmp';
import type { NormalizedEvent, Severity } from '../../contracts/events.js';

/**
 * Received trap/inform PDU (as net-snmp hands it over) -> NormalizedEvent. Pure.
 *
 * - type = numeric trap OID (snmpTrapOID.0). SNMPv1 traps are converted per
 *   RFC 3584 3.1: generic 0-5 -> 1.3.6.1.6.3.1.1.5.{1..6}, enterprise-specific ->
 *   `enterprise.0.specific`; sysUpTime.0 and snmpTrapOID.0 are put first and
 *   snmpTrapAddress.0 (agent-addr) and snmpTrapEnterprise.0 appended (RFC 3584
 *   3.1 (3); each only when not already present).
 * - The community is a credential: it is never stored. RFC 3584's
 *   snmpTrapCommunity.0 is not appended, and one a sender or proxy included is
 *   dropped from the varbinds (params say `communityRedacted: true`).
 * - Nothing from the PDU becomes an object key (varbinds are an array of
 *   {oid, type, value}); lookups by OID use Maps.
 * - sourceAddress = snmpTrapAddress.0 when present (a relay or NAT forwarded
 *   it), else the UDP source; both are kept in params.
 * - Severity: linkDown, authenticationFailure, coldStart, egpNeighborLoss ->
 *   warning (something changed that an operator should notice: an interface
 *   lost, a restart that may have lost state, someone probing with bad
 *   credentials); everything else info, until rules say otherwise.
 */

export const OID = {
  sysUpTime: '1.3.6.1.2.1.1.3.0',
  snmpTrapOID: '1.3.6.1.6.3.1.1.4.1.0',
  snmpTrapEnterprise: '1.3.6.1.6.3.1.1.4.3.0',
  snmpTrapAddress: '1.3.6.1.6.3.18.1.3.0',
  snmpTrapCommunity: '1.3.6.1.6.3.18.1.4.0',
  genericTrapPrefix: '1.3.6.1.6.3.1.1.5',
} as const;

/** The six generic traps of RFC 1157/3584: names are facts (SNMPv2-MIB, IF-MIB), not guesses. */
const GENERIC = new Map<string, { name: string; severity: Severity }>([
  ['1.3.6.1.6.3.1.1.5.1', { name: 'coldStart', severity: 'warning' }],
  ['1.3.6.1.6.3.1.1.5.2', { name: 'warmStart', severity: 'info' }],
  ['1.3.6.1.6.3.1.1.5.3', { name: 'linkDown', severity: 'warning' }],
  ['1.3.6.1.6.3.1.1.5.4', { name: 'linkUp', severity: 'info' }],
  ['1.3.6.1.6.3.1.1.5.5', { name: 'authenticationFailure', severity: 'warning' }],
  ['1.3.6.1.6.3.1.1.5.6', { name: 'egpNeighborLoss', severity: 'warning' }],
]);

export interface JsonVarbind {
  oid: string;
  /** net-snmp ObjectType name: Integer, OctetString, OID, IpAddress, Counter, Gauge, TimeTicks, Opaque, Counter64, … */
  type: string;
  /** number, string, or null; Counter64 as a decimal string; binary OctetString/Opaque as hex. */
  value: number | string | null;
  /** Present when `value` is the hex form of binary bytes. */
  encoding?: 'hex';
}

export interface TrapPdu {
  type: number;
  id?: number;
  varbinds: { oid: string; type: number; value: unknown }[];
  enterprise?: string;
  agentAddr?: string;
  generic?: number;
  specific?: number;
  upTime?: number;
  community?: string;
  user?: string;
  contextEngineID?: string;
  contextName?: string;
}

const T = snmp.ObjectType;

function printableUtf8(b: Buffer): string | null {
  for (const c of b) if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return null;
  const s = b.toString('utf8');
  return s.includes('\uFFFD') ? null : s;
}

export function varbindToJson(vb: { oid: string; type: number; value: unknown }): JsonVarbind {
  const type = String(T[vb.type] ?? `type${vb.type}`);
  const v = vb.value;
  const out: JsonVarbind = { oid: vb.oid, type, value: null };
  if (vb.type === T.Counter64) {
    if (Buffer.isBuffer(v)) out.value = v.length === 0 ? '0' : BigInt('0x' + v.toString('hex')).toString();
    else if (typeof v === 'bigint' || typeof v === 'number') out.value = v.toString();
  } else if (Buffer.isBuffer(v)) {
    const text = vb.type === T.OctetString ? printableUtf8(v) : null;
    if (text !== null) out.value = text;
    else {
      out.value = v.toString('hex');
      out.encoding = 'hex';
    }
  } else if (typeof v === 'number' || typeof v === 'string') out.value = v;
  else if (typeof v === 'bigint') out.value = v.toString();
  else if (typeof v === 'boolean') out.value = v ? 1 : 0;
  return out;
}

/** RFC 3584 3.1 (1)-(2): the SNMPv2 trap OID of an SNMPv1 trap. */
export function v1TrapOid(enterprise: string, generic: number, specific: number): string {
  if (generic >= 0 && generic <= 5) return `${OID.genericTrapPrefix}.${generic + 1}`;
  return `${enterprise}.0.${specific}`;
}

const NUMERIC_OID = /^\d{1,10}(?:\.\d{1,10}){0,127}$/;

const validSource = (a: unknown): a is string => typeof a === 'string' && isIP(a) !== 0 && a !== '0.0.0.0' && a !== '::';

export interface TrapOrigin {
  receivedAt: number;
  udpAddress: string;
  udpPort: number;
  resolveDevice?: (address: string) => number | null;
  /**
   * Name of a numeric OID from the OID dictionary (`ifIndex.3`, `linkDown`), or
   * undefined when unknown: used for the message text only (params keep numeric OIDs).
   */
  oidName?: (oid: string) => string | undefined;
}

function safeName(f: TrapOrigin['oidName'], oid: string): string | undefined {
  if (!f || !oid) return undefined;
  try {
    return f(oid) || undefined;
  } catch {
    return undefined; // a dictionary problem must not cost the trap
  }
}

export function trapToEvent(pdu: TrapPdu, origin: TrapOrigin): NormalizedEvent {
  const isV1 = pdu.type === snmp.PduType.Trap;
  let varbinds = (pdu.varbinds ?? []).map(varbindToJson);
  let trapOid: string;
  const params: Record<string, unknown> = {};
  if (isV1) {
    const enterprise = pdu.enterprise ?? '';
    trapOid = v1TrapOid(enterprise, pdu.generic ?? 6, pdu.specific ?? 0);
    params.v1 = { enterprise, agentAddr: pdu.agentAddr ?? null, generic: pdu.generic ?? null, specific: pdu.specific ?? null, upTime: pdu.upTime ?? null };
    varbinds = [
      { oid: OID.sysUpTime, type: 'TimeTicks', value: pdu.upTime ?? 0 },
      { oid: OID.snmpTrapOID, type: 'OID', value: trapOid },
      ...varbinds,
      ...(varbinds.some((v) => v.oid === OID.snmpTrapAddress) ? [] : [{ oid: OID.snmpTrapAddress, type: 'IpAddress', value: pdu.agentAddr ?? '0.0.0.0' }]),
      ...(varbinds.some((v) => v.oid === OID.snmpTrapEnterprise) ? [] : [{ oid: OID.snmpTrapEnterprise, type: 'OID', value: enterprise }]),
    ];
  } else {
    const t = varbinds.find((v) => v.oid === OID.snmpTrapOID);
    // An OID, not whatever text a sender put there (it becomes the event type).
    trapOid = typeof t?.value === 'string' && NUMERIC_OID.test(t.value) ? t.value : '';
    if (!trapOid) params.parseErrorReason = t ? 'snmpTrapOID.0 is not an OID' : 'no snmpTrapOID.0 varbind';
  }
  if (varbinds.some((v) => v.oid === OID.snmpTrapCommunity)) {
    varbinds = varbinds.filter((v) => v.oid !== OID.snmpTrapCommunity);
    params.communityRedacted = true;
  }
  const trapAddressVb = varbinds.find((v) => v.oid === OID.snmpTrapAddress);
  const trapAddress = validSource(trapAddressVb?.value) ? trapAddressVb.value : null;
  const sourceAddress = trapAddress ?? origin.udpAddress;
  const generic = GENERIC.get(trapOid);
  const upTime = varbinds.find((v) => v.oid === OID.sysUpTime)?.value;

  let deviceId: number | null = null;
  if (origin.resolveDevice) {
    deviceId = origin.resolveDevice(sourceAddress);
    if (deviceId === null && trapAddress) deviceId = origin.resolveDevice(origin.udpAddress);
  }

  const version = isV1 ? '1' : pdu.user !== undefined ? '3' : '2c';
  params.trapOid = trapOid || null;
  params.trapName = generic?.name ?? null;
  params.version = version;
  params.pduType = pdu.type === snmp.PduType.InformRequest ? 'inform' : 'trap';
  params.requestId = pdu.id ?? null;
  params.sysUpTime = typeof upTime === 'number' ? upTime : null;
  params.udpAddress = origin.udpAddress;
  params.udpPort = origin.udpPort;
  params.trapAddress = trapAddress;
  params.varbinds = varbinds;
  // The community is deliberately not kept (see above); the v3 user name is not a secret.
  if (pdu.user !== undefined) params.user = pdu.user;
  if (pdu.contextName) params.contextName = pdu.contextName;
  if (pdu.contextEngineID) params.contextEngineID = pdu.contextEngineID;

  const shown = varbinds
    .filter((v) => v.oid !== OID.sysUpTime && v.oid !== OID.snmpTrapOID)
    .map((v) => `${safeName(origin.oidName, v.oid) ?? v.oid}=${v.value}`)
    .join(', ');
  const trapName = generic?.name ?? safeName(origin.oidName, trapOid);
  if (!generic && trapName) params.trapName = trapName;
  const head = trapName ? `${trapName} (${trapOid})` : trapOid || 'trap without snmpTrapOID.0';
  const message = (shown ? `${head}: ${shown}` : head).slice(0, 2000);

  return {
    receivedAt: origin.receivedAt,
    reportedAt: null,
    source: 'trap',
    sourceAddress,
    deviceId,
    severity: generic?.severity ?? 'info',
    type: trapOid || 'snmp.trap',
    message,
    params,
  };
}

/**
 * The event for a trap that was received and authenticated but could not be
 * converted (a bug of ours, or a PDU shape we did not expect): kept, flagged
 * with `params.parseError`, without anything from the PDU but its type and id.
 */
export function unconvertedTrap(pdu: Partial<TrapPdu> | null | undefined, receivedAt: number, udpAddress: string, udpPort: number, err: unknown): NormalizedEvent {
  const reason = err instanceof Error ? err.message : String(err);
  const inform = pdu?.type === snmp.PduType.InformRequest;
  return {
    receivedAt, reportedAt: null, source: 'trap', sourceAddress: udpAddress, deviceId: null, severity: 'info', type: 'snmp.trap',
    message: `trap from ${udpAddress} could not be converted: ${reason}`.slice(0, 2000),
    params: { parseError: `conversion failed: ${reason}`.slice(0, 500), pduType: inform ? 'inform' : 'trap', requestId: typeof pdu?.id === 'number' ? pdu.id : null, udpAddress, udpPort },
  };
}
