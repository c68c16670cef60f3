/**
 * How event params are stored: compactly for the two shapes that make up
 * nearly every stored event (the syslog parser's and the trap converter's),
 * as plain JSON for everything else. Pure.
 *
 * Stored text starting with `{` is plain JSON (every row written before
 * migration 0010, and any params that do not have exactly the known shape).
 * Text starting with `[` is a positional array whose first element names the
 * layout:
 *
 *   1 (syslog): [1, rfc, facility, severityNumber, hostname, appName, procId, msgId, structuredData, k1, v1, k2, v2, …]
 *     rfc is 3 / 5 / 0 for '3164' / '5424' / 'unknown'; facilityName is left out (it follows from
 *     facility); appName and msgId are `true` when equal to the event type; structuredData is 0 when
 *     empty; the remaining keys follow as (alias index, value) pairs; trailing defaults are cut.
 *   2 (trap): [2, trapOid, trapName, version, pduType, requestId, sysUpTime, udpAddress, udpPort,
 *     trapAddress, varbinds, before, after]
 *     trapOid is `true` when equal to the event type, udpAddress / trapAddress `true` when equal to
 *     the event's source address; version 1 / 2 / 3 for '1' / '2c' / '3', pduType 0 / 1 for
 *     trap / inform; varbinds are [oid, type, value] (+ 1 when the value is hex) with well-known OIDs
 *     and type names as small numbers; before / after are the optional keys around the fixed ones.
 *
 * Decoding gives back the same keys, values and key order as the params that
 * were encoded: `GET /events/:id` answers exactly what the collector made.
 * A value `true` never occurs where it is used as a marker (those slots hold
 * strings or null), so the markers are unambiguous.
 */

export interface ParamsContext {
  source: string;
  type: string;
  sourceAddress: string | null;
}

import { FACILITY_NAMES } from '../contracts/events.js';

type Obj = Record<string, unknown>;


const SYSLOG_HEAD = ['rfc', 'facility', 'facilityName', 'severityNumber', 'hostname', 'appName', 'procId', 'msgId', 'structuredData'] as const;
/** Keys that may follow the head, by alias index (append only: stored rows refer to these numbers). */
const SYSLOG_EXTRA = ['sequence', 'timestampText', 'clockStatus', 'unknownZone', 'ciscoSeverity', 'version', 'bom', 'parseError', 'truncated', 'originalBytes', 'rawBase64', 'transport'] as const;
const SYSLOG_EXTRA_INDEX = new Map<string, number>(SYSLOG_EXTRA.map((k, i) => [k, i]));
const RFC_CODE = new Map<unknown, number>([['3164', 3], ['5424', 5], ['unknown', 0]]);
const RFC_NAME = new Map<unknown, string>([[3, '3164'], [5, '5424'], [0, 'unknown']]);

const TRAP_FIXED = ['trapOid', 'trapName', 'version', 'pduType', 'requestId', 'sysUpTime', 'udpAddress', 'udpPort', 'trapAddress', 'varbinds'] as const;
const TRAP_BEFORE = new Set(['v1', 'parseErrorReason', 'communityRedacted']);
const TRAP_AFTER = new Set(['user', 'contextName', 'contextEngineID']);
const VERSION_CODE = new Map<unknown, number>([['1', 1], ['2c', 2], ['3', 3]]);
const VERSION_NAME = new Map<unknown, string>([[1, '1'], [2, '2c'], [3, '3']]);
/** Append only, as SYSLOG_EXTRA. */
const VB_TYPES = ['Boolean', 'Integer', 'OctetString', 'Null', 'OID', 'IpAddress', 'Counter', 'Gauge', 'TimeTicks', 'Opaque', 'Counter64', 'NoSuchObject', 'NoSuchInstance', 'EndOfMibView'];
const VB_TYPE_INDEX = new Map<string, number>(VB_TYPES.map((t, i) => [t, i]));
const VB_OIDS = ['1.3.6.1.2.1.1.3.0', '1.3.6.1.6.3.1.1.4.1.0', '1.3.6.1.6.3.18.1.3.0', '1.3.6.1.6.3.1.1.4.3.0'];
const VB_OID_INDEX = new Map<string, number>(VB_OIDS.map((o, i) => [o, i]));

const isStrOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isNumOrNull = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v));
const isPlainObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** Null when params are not exactly the syslog parser's shape. */
function encodeSyslog(p: Obj, keys: string[], ctx: ParamsContext): unknown[] | null {
  if (keys.length < SYSLOG_HEAD.length) return null;
  for (let i = 0; i < SYSLOG_HEAD.length; i++) if (keys[i] !== SYSLOG_HEAD[i]) return null;
  const rfc = RFC_CODE.get(p.rfc);
  const { facility, severityNumber, hostname, appName, procId, msgId, structuredData } = p;
  if (rfc === undefined || !isNumOrNull(facility) || !isNumOrNull(severityNumber)) return null;
  if (p.facilityName !== (facility === null ? null : FACILITY_NAMES[facility] ?? null)) return null;
  if (!isStrOrNull(hostname) || !isStrOrNull(appName) || !isStrOrNull(procId) || !isStrOrNull(msgId) || !isPlainObject(structuredData)) return null;
  const out: unknown[] = [
    1, rfc, facility, severityNumber, hostname,
    appName !== null && appName === ctx.type ? true : appName,
    procId,
    msgId !== null && msgId === ctx.type ? true : msgId,
    Object.keys(structuredData).length === 0 ? 0 : structuredData,
  ];
  for (let i = SYSLOG_HEAD.length; i < keys.length; i++) {
    const alias = SYSLOG_EXTRA_INDEX.get(keys[i]!);
    if (alias === undefined) return null;
    out.push(alias, p[keys[i]!]);
  }
  if (out.length === 9) {
    if (out[8] === 0) out.pop();
    while (out.length > 2 && out.at(-1) === null) out.pop();
  }
  return out;
}

function decodeSyslog(a: unknown[], ctx: ParamsContext): Obj {
  const facility = (a[2] ?? null) as number | null;
  const appName = a[5] === true ? ctx.type : a[5] ?? null;
  const msgId = a[7] === true ? ctx.type : a[7] ?? null;
  const out: Obj = {
    rfc: RFC_NAME.get(a[1]) ?? 'unknown',
    facility,
    facilityName: facility === null ? null : FACILITY_NAMES[facility] ?? null,
    severityNumber: a[3] ?? null,
    hostname: a[4] ?? null,
    appName,
    procId: a[6] ?? null,
    msgId,
    structuredData: a[8] === 0 || a[8] === undefined ? {} : a[8],
  };
  for (let i = 9; i + 1 < a.length; i += 2) {
    const key = SYSLOG_EXTRA[a[i] as number];
    if (key) out[key] = a[i + 1];
  }
  return out;
}

function encodeVarbinds(v: unknown, trapOid: unknown): unknown[] | null {
  if (!Array.isArray(v)) return null;
  const out: unknown[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const vb = v[i] as Obj;
    if (!isPlainObject(vb)) return null;
    const keys = Object.keys(vb);
    const hex = keys.length === 4 && keys[3] === 'encoding' && vb.encoding === 'hex';
    if (!(keys.length === 3 || hex) || keys[0] !== 'oid' || keys[1] !== 'type' || keys[2] !== 'value') return null;
    if (typeof vb.oid !== 'string' || typeof vb.type !== 'string') return null;
    const value = vb.value;
    if (!(value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))) return null;
    const e: unknown[] = [
      VB_OID_INDEX.get(vb.oid) ?? vb.oid,
      VB_TYPE_INDEX.get(vb.type) ?? vb.type,
      // The snmpTrapOID.0 varbind repeats the trap OID.
      typeof value === 'string' && value === trapOid && vb.oid === VB_OIDS[1] ? true : value,
    ];
    if (hex) e.push(1);
    out[i] = e;
  }
  return out;
}

function decodeVarbinds(v: unknown, trapOid: unknown): Obj[] {
  if (!Array.isArray(v)) return [];
  return v.map((e: unknown[]) => {
    const oid = typeof e[0] === 'number' ? VB_OIDS[e[0]] ?? String(e[0]) : e[0];
    const out: Obj = { oid, type: typeof e[1] === 'number' ? VB_TYPES[e[1]] ?? String(e[1]) : e[1], value: e[2] === true ? trapOid : e[2] };
    if (e[3] === 1) out.encoding = 'hex';
    return out;
  });
}

function encodeTrap(p: Obj, keys: string[], ctx: ParamsContext): unknown[] | null {
  const start = keys.indexOf('trapOid');
  if (start < 0 || keys.length < start + TRAP_FIXED.length) return null;
  for (let i = 0; i < start; i++) if (!TRAP_BEFORE.has(keys[i]!)) return null;
  for (let i = 0; i < TRAP_FIXED.length; i++) if (keys[start + i] !== TRAP_FIXED[i]) return null;
  for (let i = start + TRAP_FIXED.length; i < keys.length; i++) if (!TRAP_AFTER.has(keys[i]!)) return null;
  const { trapOid, trapName, requestId, sysUpTime, udpAddress, udpPort, trapAddress } = p;
  const version = VERSION_CODE.get(p.version);
  const pduType = p.pduType === 'trap' ? 0 : p.pduType === 'inform' ? 1 : undefined;
  if (version === undefined || pduType === undefined || !isStrOrNull(trapOid) || !isStrOrNull(trapName) || !isStrOrNull(udpAddress) || !isStrOrNull(trapAddress)) return null;
  if (!isNumOrNull(requestId) || !isNumOrNull(sysUpTime) || !isNumOrNull(udpPort)) return null;
  const varbinds = encodeVarbinds(p.varbinds, trapOid);
  if (!varbinds) return null;
  const same = (v: string | null) => (v !== null && v === ctx.sourceAddress ? true : v);
  const out: unknown[] = [2, trapOid !== null && trapOid === ctx.type ? true : trapOid, trapName, version, pduType, requestId, sysUpTime, same(udpAddress), udpPort, same(trapAddress), varbinds];
  const before = keys.slice(0, start);
  const after = keys.slice(start + TRAP_FIXED.length);
  if (before.length || after.length) {
    out.push(before.length ? Object.fromEntries(before.map((k) => [k, p[k]])) : 0);
    if (after.length) out.push(Object.fromEntries(after.map((k) => [k, p[k]])));
  }
  return out;
}

function decodeTrap(a: unknown[], ctx: ParamsContext): Obj {
  const out: Obj = {};
  if (isPlainObject(a[11])) for (const [k, v] of Object.entries(a[11])) if (TRAP_BEFORE.has(k)) out[k] = v;
  const trapOid = a[1] === true ? ctx.type : a[1] ?? null;
  const addr = (v: unknown) => (v === true ? ctx.sourceAddress : v ?? null);
  out.trapOid = trapOid;
  out.trapName = a[2] ?? null;
  out.version = VERSION_NAME.get(a[3]) ?? null;
  out.pduType = a[4] === 1 ? 'inform' : 'trap';
  out.requestId = a[5] ?? null;
  out.sysUpTime = a[6] ?? null;
  out.udpAddress = addr(a[7]);
  out.udpPort = a[8] ?? null;
  out.trapAddress = addr(a[9]);
  out.varbinds = decodeVarbinds(a[10], trapOid);
  if (isPlainObject(a[12])) for (const [k, v] of Object.entries(a[12])) if (TRAP_AFTER.has(k)) out[k] = v;
  return out;
}

/**
 * JSON for params. Collectors hand over JSON-safe params, so the fast path is a
 * plain stringify; BigInt (which throws) and Buffers (which would become
 * {type, data}) take the slower path that writes them as decimal text and hex.
 */
export function paramsJson(params: Obj): string {
  try {
    const fast = JSON.stringify(params);
    if (!fast.includes('"type":"Buffer"')) return fast;
  } catch {
    // BigInt somewhere: fall through
  }
  try {
    // `this[k]` is the value before Buffer#toJSON turned it into {type, data}.
    return JSON.stringify(params, function (this: Obj, k: string, v: unknown) {
      const raw = this[k];
      return typeof raw === 'bigint' ? raw.toString() : raw instanceof Uint8Array ? Buffer.from(raw).toString('hex') : v;
    });
  } catch {
    return JSON.stringify({ unserializable: true });
  }
}

/** The stored text of an event's params (see the file comment). */
export function encodeParams(params: Obj, ctx: ParamsContext): string {
  if (ctx.source === 'syslog' || ctx.source === 'trap') {
    try {
      const keys = Object.keys(params);
      const compact = ctx.source === 'syslog' ? encodeSyslog(params, keys, ctx) : encodeTrap(params, keys, ctx);
      if (compact) {
        const text = JSON.stringify(compact);
        if (!text.includes('"type":"Buffer"')) return text;
      }
    } catch {
      // BigInt or another value JSON refuses: the general path copes
    }
  }
  return paramsJson(params);
}

/** Params as they were handed to `encodeParams`. */
export function decodeParams(text: string, ctx: ParamsContext): Obj {
  const v: unknown = JSON.parse(text);
  if (!Array.isArray(v)) return v as Obj;
  if (v[0] === 1) return decodeSyslog(v, ctx);
  if (v[0] === 2) return decodeTrap(v, ctx);
  return { undecodable: text.slice(0, 200) };
}
