import type { NormalizedEvent, Severity } from '../contracts/events.js';
import type { RmonTrapParams } from '../contracts/rmon.js';
import { own } from '../events/engine/own.js';
import { ALARM_COL, ALARM_ENTRY, RMON_TRAPS } from './rmon.oids.js';

/**
 * risingAlarm / fallingAlarm (RFC 2819) -> `params.rmon`, read by the default rule pack: one alarm per
 * (device, alarmIndex), raised by rising, cleared by falling. Pure apart from the two lookups.
 *
 * The varbinds are alarmIndex, alarmVariable, alarmSampleType, alarmValue and the rising (or falling)
 * threshold, each `alarmEntry.<col>.<alarmIndex>`. Everything comes from the network, so:
 * - a value is used only with the SMI type the MIB gives it (Integer for numbers, OID for
 *   alarmVariable); anything else is listed in `problems` and reads as null;
 * - alarmIndex is the alarmIndex varbind's value (1..65535), else the instance every alarm column
 *   varbind agrees on; without either it is null and the rules neither raise nor clear;
 * - numbers beyond 2^53 (an agent sending Counter64 text) are kept as decimal text, cut at 40 digits.
 */

const MAX_INDEX = 65_535;
const INT_TYPES = new Set(['Integer', 'Counter', 'Gauge', 'TimeTicks', 'Counter64', 'Counter32', 'Gauge32', 'Integer32', 'Unsigned32']);
const NUMERIC_OID = /^\d{1,10}(?:\.\d{1,10}){0,127}$/;
const DECIMAL = /^-?\d{1,40}$/;

export interface RmonTrapLookups {
  /** Numeric OID -> `etherStatsPkts.1` (the OID dictionary), or undefined. */
  oidName?: (oid: string) => string | undefined;
  /** Severity of the eventTable row the device's alarm fires on this edge, when we have read its tables. */
  severity?: (deviceId: number, alarmIndex: number, kind: 'rising' | 'falling') => Severity | undefined;
}

const stripDot = (s: string) => (s.charCodeAt(0) === 46 ? s.slice(1) : s);

/** `rising`/`falling` for the two RMON trap OIDs, else null. */
export function rmonTrapKind(e: NormalizedEvent): 'rising' | 'falling' | null {
  if (e.source !== 'trap') return null;
  const t = own(e.params, 'trapOid');
  const oid = typeof t === 'string' ? stripDot(t) : stripDot(e.type);
  return oid === RMON_TRAPS.risingAlarm ? 'rising' : oid === RMON_TRAPS.fallingAlarm ? 'falling' : null;
}

function numberOf(vb: { type: unknown; value: unknown }, what: string, problems: string[]): number | string | null {
  if (typeof vb.type !== 'string' || !INT_TYPES.has(vb.type)) {
    problems.push(`${what} is not an integer (${String(vb.type).slice(0, 20)})`);
    return null;
  }
  const v = vb.value;
  if (typeof v === 'number' && Number.isFinite(v)) return Number.isSafeInteger(v) ? v : String(BigInt(Math.trunc(v)));
  if (typeof v === 'string' && DECIMAL.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  problems.push(`${what} has no numeric value`);
  return null;
}

export function parseRmonTrap(e: NormalizedEvent, kind: 'rising' | 'falling', lookups: RmonTrapLookups = {}): RmonTrapParams {
  const problems: string[] = [];
  const vbs = own(e.params, 'varbinds');
  const cells = new Map<number, { type: unknown; value: unknown }>();
  const instances = new Set<string>();
  const prefix = `${ALARM_ENTRY}.`;
  if (Array.isArray(vbs)) {
    for (const vb of vbs.slice(0, 200)) {
      const oid = own(vb, 'oid');
      if (typeof oid !== 'string') continue;
      const o = stripDot(oid);
      if (!o.startsWith(prefix)) continue;
      const rest = o.slice(prefix.length).split('.');
      const col = Number(rest[0]);
      if (!Number.isInteger(col) || col < 1 || col > 12) continue;
      instances.add(rest.slice(1).join('.'));
      if (!cells.has(col)) cells.set(col, { type: own(vb, 'type'), value: own(vb, 'value') });
    }
  }
  const C = ALARM_COL;
  let alarmIndex: number | null = null;
  const idx = cells.get(C.index);
  if (idx) {
    const n = numberOf(idx, 'alarmIndex', problems);
    if (typeof n === 'number' && n >= 1 && n <= MAX_INDEX) alarmIndex = n;
    else if (n !== null) problems.push('alarmIndex is outside 1..65535');
  }
  if (alarmIndex === null) {
    // The instance of the alarm columns is the alarmIndex too (alarmEntry is indexed by it).
    const only = instances.size === 1 ? [...instances][0]! : '';
    const n = /^\d{1,5}$/.test(only) ? Number(only) : NaN;
    if (n >= 1 && n <= MAX_INDEX) alarmIndex = n;
    else problems.push(instances.size > 1 ? 'alarm varbinds name different alarm rows' : 'no alarmIndex');
  }
  let variable: string | null = null;
  const v = cells.get(C.variable);
  if (v) {
    if (v.type === 'OID' && typeof v.value === 'string' && NUMERIC_OID.test(stripDot(v.value))) variable = stripDot(v.value);
    else problems.push('alarmVariable is not an OID');
  }
  const st = cells.get(C.sampleType);
  const stN = st ? numberOf(st, 'alarmSampleType', problems) : null;
  const sampleType = stN === 1 ? 'absoluteValue' : stN === 2 ? 'deltaValue' : 'unknown';
  const valueVb = cells.get(C.value);
  const value = valueVb ? numberOf(valueVb, 'alarmValue', problems) : null;
  const thVb = cells.get(kind === 'rising' ? C.risingThreshold : C.fallingThreshold);
  const threshold = thVb ? numberOf(thVb, kind === 'rising' ? 'alarmRisingThreshold' : 'alarmFallingThreshold', problems) : null;

  let variableName: string | null = null;
  if (variable && lookups.oidName) {
    try {
      variableName = lookups.oidName(variable) ?? null;
    } catch {
      variableName = null; // a dictionary problem must not cost the trap
    }
  }
  const what = variableName ?? variable ?? 'unknown variable';
  const summary = `${what} = ${value ?? '?'} (${kind} threshold ${threshold ?? '?'}${sampleType === 'deltaValue' ? ', delta' : sampleType === 'absoluteValue' ? ', absolute' : ''})`;
  let severityFrom: RmonTrapParams['severityFrom'] = 'default';
  if (alarmIndex !== null && e.deviceId !== null && lookups.severity?.(e.deviceId, alarmIndex, kind)) severityFrom = 'eventTable';
  const out: RmonTrapParams = { kind, alarmIndex, variable, variableName, sampleType, value, threshold, summary, severityFrom };
  if (problems.length) out.problems = problems.slice(0, 10);
  return out;
}

/**
 * Sets `params.rmon` and the severity of RMON traps in a batch (before the rules run): rising takes the
 * severity of the agent's eventTable row when known, else warning; falling is info. Other events pass
 * untouched. `seen` is told about each RMON trap (the service counts them).
 */
export function enrichRmonTraps(batch: NormalizedEvent[], lookups: RmonTrapLookups = {}, seen?: (e: NormalizedEvent, info: RmonTrapParams) => void): void {
  for (const e of batch) {
    const kind = rmonTrapKind(e);
    if (!kind || e.params === null || typeof e.params !== 'object') continue;
    const info = parseRmonTrap(e, kind, lookups);
    const known = info.alarmIndex !== null && e.deviceId !== null ? lookups.severity?.(e.deviceId, info.alarmIndex, kind) : undefined;
    e.severity = kind === 'falling' ? 'info' : (known ?? 'warning');
    e.params.rmon = info;
    seen?.(e, info);
  }
}

/**
 * Severity an eventTable row's description names (RMON has no severity column; probes and operators
 * write it in the description: "critical: CRC errors", "Major - utilisation"). Undefined when none.
 */
export function severityFromDescription(text: string | null): Severity | undefined {
  if (!text) return undefined;
  const m = /\b(emergency|emerg|alert|critical|crit|major|error|err|minor|warning|warn|notice|informational|info)\b/i.exec(text.slice(0, 300));
  if (!m) return undefined;
  switch (m[1]!.toLowerCase()) {
    case 'emergency':
    case 'emerg':
    case 'alert':
    case 'critical':
    case 'crit':
      return 'critical';
    case 'major':
    case 'error':
    case 'err':
      return 'major';
    case 'minor':
      return 'minor';
    case 'warning':
    case 'warn':
      return 'warning';
    default:
      return 'info';
  }
}
