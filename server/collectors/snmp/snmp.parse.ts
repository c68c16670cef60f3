import * as snmp from 'net-snmp';
import type { Varbind } from 'net-snmp';
import type {
  CounterValue,
  HostResources,
  IfCounterName,
  InterfaceSample,
  NeighbourSample,
  StorageEntry,
  SystemInfo,
  UcdStats,
} from '../../contracts/poll.js';
import { CDP, HR, HR_STORAGE_TYPES, IF, IFX, IFX_HC, LLDP, SYS, UCD } from './snmp.oids.js';
import { hexColon, isMissing, toBigInt, toHex, toNumber, toText } from './snmp.values.js';
import { enterpriseOf, vendorOf } from './vendors.js';

/** Pure translation of walked varbinds into the typed poll result. */

export type Columns = Map<string, Varbind[]>;

/** Rows of one column keyed by the index suffix after the column OID. */
export function byIndex(vbs: Varbind[] | undefined, column: string): Map<string, Varbind> {
  const m = new Map<string, Varbind>();
  const prefix = column.length + 1;
  for (const vb of vbs ?? []) if (!isMissing(vb)) m.set(vb.oid.slice(prefix), vb);
  return m;
}

export function parseSystem(vbs: Varbind[]): SystemInfo {
  const at = new Map(vbs.map((v) => [v.oid, v]));
  const sysObjectID = toText(at.get(SYS.sysObjectID));
  return {
    sysName: toText(at.get(SYS.sysName)),
    sysDescr: toText(at.get(SYS.sysDescr)),
    sysObjectID,
    enterprise: enterpriseOf(sysObjectID),
    vendor: vendorOf(sysObjectID),
    sysUpTimeCs: toNumber(at.get(SYS.sysUpTime)),
    sysContact: toText(at.get(SYS.sysContact)),
    sysLocation: toText(at.get(SYS.sysLocation)),
  };
}

export function interfaceColumns(version: string): string[] {
  return [...Object.values(IF), ...Object.values(IFX), ...(version === '1' ? [] : Object.values(IFX_HC))];
}

const COUNTER_SOURCES: [IfCounterName, string | null, string][] = [
  // [name, 64-bit column, 32-bit column]
  ['inOctets', IFX_HC.ifHCInOctets, IF.ifInOctets],
  ['outOctets', IFX_HC.ifHCOutOctets, IF.ifOutOctets],
  ['inUcastPkts', IFX_HC.ifHCInUcastPkts, IF.ifInUcastPkts],
  ['outUcastPkts', IFX_HC.ifHCOutUcastPkts, IF.ifOutUcastPkts],
  ['inMulticastPkts', IFX_HC.ifHCInMulticastPkts, IFX.ifInMulticastPkts],
  ['outMulticastPkts', IFX_HC.ifHCOutMulticastPkts, IFX.ifOutMulticastPkts],
  ['inBroadcastPkts', IFX_HC.ifHCInBroadcastPkts, IFX.ifInBroadcastPkts],
  ['outBroadcastPkts', IFX_HC.ifHCOutBroadcastPkts, IFX.ifOutBroadcastPkts],
  ['inErrors', null, IF.ifInErrors],
  ['outErrors', null, IF.ifOutErrors],
  ['inDiscards', null, IF.ifInDiscards],
  ['outDiscards', null, IF.ifOutDiscards],
];

export function parseInterfaces(cols: Columns): InterfaceSample[] {
  const col = new Map<string, Map<string, Varbind>>();
  for (const [root, vbs] of cols) col.set(root, byIndex(vbs, root));
  const get = (root: string, idx: string) => col.get(root)?.get(idx);
  const indexes = new Set<string>();
  for (const root of [IF.ifDescr, IF.ifType, IF.ifOperStatus, IFX.ifName]) for (const k of col.get(root)?.keys() ?? []) indexes.add(k);
  const out: InterfaceSample[] = [];
  for (const idx of indexes) {
    const ifIndex = Number(idx);
    if (!Number.isInteger(ifIndex)) continue;
    const counters: Partial<Record<IfCounterName, CounterValue>> = {};
    for (const [name, hc, c32] of COUNTER_SOURCES) {
      const v64 = hc ? toBigInt(get(hc, idx)) : null;
      if (v64 !== null) counters[name] = { value: v64, bits: 64 };
      else {
        const v32 = toBigInt(get(c32, idx));
        if (v32 !== null) counters[name] = { value: v32, bits: 32 };
      }
    }
    const descr = toText(get(IF.ifDescr, idx));
    const ifName = toText(get(IFX.ifName, idx));
    const high = toNumber(get(IFX.ifHighSpeed, idx));
    const speed = toNumber(get(IF.ifSpeed, idx));
    out.push({
      ifIndex,
      name: ifName || descr || `if${ifIndex}`,
      descr,
      alias: toText(get(IFX.ifAlias, idx)) || null,
      type: toNumber(get(IF.ifType, idx)),
      mtu: toNumber(get(IF.ifMtu, idx)),
      speedBps: high ? high * 1_000_000 : speed,
      mac: toHex(get(IF.ifPhysAddress, idx)),
      adminStatus: toNumber(get(IF.ifAdminStatus, idx)),
      operStatus: toNumber(get(IF.ifOperStatus, idx)),
      lastChangeCs: toNumber(get(IF.ifLastChange, idx)),
      discontinuityCs: toNumber(get(IFX.ifCounterDiscontinuityTime, idx)),
      hc: counters.inOctets?.bits === 64,
      counters,
    });
  }
  return out.sort((a, b) => a.ifIndex - b.ifIndex);
}

export const HOST_COLUMNS = Object.values(HR);

export function parseHost(cols: Columns): HostResources | null {
  const processors = [...byIndex(cols.get(HR.hrProcessorLoad), HR.hrProcessorLoad)]
    .map(([idx, vb]) => ({ index: Number(idx), loadPct: toNumber(vb) ?? 0 }))
    .filter((p) => Number.isInteger(p.index));
  const type = byIndex(cols.get(HR.hrStorageType), HR.hrStorageType);
  const descr = byIndex(cols.get(HR.hrStorageDescr), HR.hrStorageDescr);
  const units = byIndex(cols.get(HR.hrStorageAllocationUnits), HR.hrStorageAllocationUnits);
  const size = byIndex(cols.get(HR.hrStorageSize), HR.hrStorageSize);
  const used = byIndex(cols.get(HR.hrStorageUsed), HR.hrStorageUsed);
  const storage: StorageEntry[] = [];
  for (const [idx, sz] of size) {
    const unit = toNumber(units.get(idx)) ?? 1;
    const t = (toText(type.get(idx)) ?? '').replace(/^\./, '');
    storage.push({
      index: Number(idx),
      // Own keys only: an agent answering "constructor" gets 'other', not Object.
      kind: (Object.hasOwn(HR_STORAGE_TYPES, t) ? HR_STORAGE_TYPES[t] : undefined) ?? 'other',
      descr: toText(descr.get(idx)) ?? `storage ${idx}`,
      sizeBytes: (toNumber(sz) ?? 0) * unit,
      usedBytes: (toNumber(used.get(idx)) ?? 0) * unit,
    });
  }
  if (processors.length === 0 && storage.length === 0) return null;
  return { processors, storage };
}

export const UCD_OIDS = Object.values(UCD);

export function parseUcd(vbs: Varbind[]): UcdStats | null {
  const at = new Map(vbs.map((v) => [v.oid, v]));
  const n = (oid: string) => toNumber(at.get(oid));
  const r: UcdStats = {
    load1: n(UCD.laLoad1),
    load5: n(UCD.laLoad5),
    load15: n(UCD.laLoad15),
    memTotalRealKb: n(UCD.memTotalReal),
    memAvailRealKb: n(UCD.memAvailReal),
    memTotalSwapKb: n(UCD.memTotalSwap),
    memAvailSwapKb: n(UCD.memAvailSwap),
    memBufferKb: n(UCD.memBuffer),
    memCachedKb: n(UCD.memCached),
  };
  return Object.values(r).every((v) => v === null) ? null : r;
}

export const NEIGHBOUR_COLUMNS = [...Object.values(LLDP), ...Object.values(CDP)];

/** Chassis/port id as text: MAC subtypes in colon hex, others as text. */
function lldpId(vb: Varbind | undefined, subtype: number | null, macSubtype: number): string | null {
  if (!vb) return null;
  if (subtype === macSubtype && Buffer.isBuffer(vb.value)) return hexColon(vb.value);
  if (subtype === 5 && Buffer.isBuffer(vb.value) && vb.value.length === 5 && vb.value[0] === 1) return [...vb.value.subarray(1)].join('.');
  return toText(vb);
}

function ipFromBytes(bytes: number[]): string | null {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length === 16) {
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) parts.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    return parts.join(':');
  }
  return null;
}

/**
 * LLDP remote table (+ management addresses) and CDP cache.
 * `ifNames` maps ifIndex -> name to label local ports.
 */
export function parseNeighbours(cols: Columns, ifNames: Map<number, string>): NeighbourSample[] | null {
  const out: NeighbourSample[] = [];
  const c = (root: string) => byIndex(cols.get(root), root);
  const chassis = c(LLDP.lldpRemChassisId);
  const chassisSub = c(LLDP.lldpRemChassisIdSubtype);
  const portId = c(LLDP.lldpRemPortId);
  const portSub = c(LLDP.lldpRemPortIdSubtype);
  const portDesc = c(LLDP.lldpRemPortDesc);
  const sysName = c(LLDP.lldpRemSysName);
  const sysDesc = c(LLDP.lldpRemSysDesc);
  const locId = c(LLDP.lldpLocPortId);
  const locDesc = c(LLDP.lldpLocPortDesc);
  // lldpRemManAddrTable index: timeMark.localPort.remIndex.addrSubtype.addrLen.addr...
  const mgmt = new Map<string, string>();
  for (const idx of c(LLDP.lldpRemManAddrIfSubtype).keys()) {
    const p = idx.split('.').map(Number);
    if (p.length < 6) continue;
    const key = p.slice(0, 3).join('.');
    const addr = p[3] === 1 || p[3] === 2 ? ipFromBytes(p.slice(5, 5 + p[4]!)) : null;
    if (addr && (!mgmt.has(key) || p[3] === 1)) mgmt.set(key, addr);
  }
  const rows = new Set([...chassis.keys(), ...portId.keys(), ...sysName.keys()]);
  for (const idx of rows) {
    const p = idx.split('.');
    if (p.length < 3) continue;
    const localPortNum = Number(p[1]);
    const localName = toText(locDesc.get(String(localPortNum))) || toText(locId.get(String(localPortNum))) || ifNames.get(localPortNum) || String(localPortNum);
    const remotePort = lldpId(portId.get(idx), toNumber(portSub.get(idx)), 3);
    const remoteChassis = lldpId(chassis.get(idx), toNumber(chassisSub.get(idx)), 4);
    out.push({
      protocol: 'lldp',
      localPortNum,
      localPort: localName,
      remoteChassis: remoteChassis ?? '',
      remotePort: remotePort ?? '',
      remotePortDesc: toText(portDesc.get(idx)) || null,
      remoteSysName: toText(sysName.get(idx)) || null,
      remoteMgmtAddr: mgmt.get(idx) ?? null,
      remotePlatform: toText(sysDesc.get(idx)) || null,
    });
  }
  const cdpId = c(CDP.cdpCacheDeviceId);
  const cdpPort = c(CDP.cdpCacheDevicePort);
  const cdpAddr = c(CDP.cdpCacheAddress);
  const cdpAddrType = c(CDP.cdpCacheAddressType);
  const cdpPlatform = c(CDP.cdpCachePlatform);
  for (const [idx, idVb] of cdpId) {
    const ifIndex = Number(idx.split('.')[0]);
    const a = cdpAddr.get(idx);
    const addr = toNumber(cdpAddrType.get(idx)) === 1 && a && Buffer.isBuffer(a.value) ? ipFromBytes([...a.value]) : null;
    const name = toText(idVb) ?? '';
    out.push({
      protocol: 'cdp',
      localPortNum: ifIndex,
      localPort: ifNames.get(ifIndex) ?? String(ifIndex),
      remoteChassis: name,
      remotePort: toText(cdpPort.get(idx)) ?? '',
      remotePortDesc: null,
      remoteSysName: name || null,
      remoteMgmtAddr: addr,
      remotePlatform: toText(cdpPlatform.get(idx)) || null,
    });
  }
  return out.length ? out : null;
}

/** A custom OID's numeric value, or why there is none. */
export function customValue(vb: Varbind | undefined): { value: number | null; missing: boolean } {
  if (!vb || vb.type === snmp.ObjectType.NoSuchObject || vb.type === snmp.ObjectType.NoSuchInstance) return { value: null, missing: true };
  return { value: toNumber(vb), missing: false };
}
