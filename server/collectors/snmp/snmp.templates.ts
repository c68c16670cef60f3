import * as snmp from 'net-snmp';
import type { Varbind } from 'net-snmp';
import type { SystemInfo } from '../../contracts/poll.js';
import type { RawValue, TemplateMatchSpec, TemplateRawResult, TemplateRequest } from '../../contracts/templates.js';
import { compileSafeRegex, testBounded, type SafeRegex } from '../../events/engine/safe-regex.js';
import type { DeviceSession } from './snmp.session.js';
import { bufToBigInt, inSubtree, isMissing, toText } from './snmp.values.js';

const T = snmp.ObjectType;

/** Compiled sysDescr patterns, by pattern (a worker polls many devices with the same templates). */
const regexCache = new Map<string, SafeRegex | null>();
function sysDescrRegex(pattern: string): SafeRegex | null {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    try {
      re = compileSafeRegex(pattern, 'i');
    } catch {
      re = null;
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/** sysObjectID prefix match on whole arcs (`1.3.6.1.4.1.9.` or `1.3.6.1.4.1.9` both match Cisco, not enterprise 90). */
export function oidPrefixMatches(prefix: string, oid: string): boolean {
  const p = prefix.endsWith('.') ? prefix.slice(0, -1) : prefix;
  return oid === p || oid.startsWith(p + '.');
}

/** The conditions a template can check from the system group alone. */
export function matchesSystem(spec: TemplateMatchSpec, sys: Pick<SystemInfo, 'sysObjectID' | 'sysDescr' | 'vendor'> | null): boolean {
  const oid = (sys?.sysObjectID ?? '').replace(/^\./, '');
  if (spec.sysObjectIdPrefix && !spec.sysObjectIdPrefix.some((p) => oidPrefixMatches(p, oid))) return false;
  if (spec.vendor) {
    const v = (sys?.vendor ?? '').toLowerCase();
    if (!v || !spec.vendor.some((x) => x.toLowerCase() === v)) return false;
  }
  if (spec.sysDescr !== undefined) {
    const re = sysDescrRegex(spec.sysDescr);
    if (!re || !testBounded(re, sys?.sysDescr ?? '')) return false;
  }
  return true;
}

/** A varbind value as it crosses to the main thread. */
export function rawValue(vb: Varbind): RawValue | null {
  if (isMissing(vb)) return null;
  const v = vb.value;
  switch (vb.type) {
    case T.Counter64:
      return [vb.type, Buffer.isBuffer(v) ? bufToBigInt(v) : typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)))];
    case T.Integer:
    case T.Counter:
    case T.Gauge:
    case T.TimeTicks:
      return [vb.type, typeof v === 'number' ? v : Number(v)];
    case T.OctetString:
    case T.Opaque:
      return [vb.type, toText(vb) ?? ''];
    default:
      return [vb.type, v === null || v === undefined ? '' : Buffer.isBuffer(v) ? toText(vb) ?? '' : String(v)];
  }
}

/**
 * Reads what a device's templates need, in the poll worker, right after the
 * system group: checks each candidate's conditions (system group, then one
 * GETNEXT for every `hasTable` in a single request), walks the columns of the
 * templates that apply in one combined GETBULK walk, and GETs their scalars.
 * Failures are reported in `error`, never thrown.
 */
export async function readTemplates(s: DeviceSession, req: TemplateRequest, sys: SystemInfo | null): Promise<TemplateRawResult> {
  const out: TemplateRawResult = { applied: [], columns: [], scalars: [], error: null };
  const candidates = req.templates.filter((t) => matchesSystem(t.match, sys));
  try {
    const probes = [...new Set(candidates.flatMap((t) => t.hasTable))];
    const present = new Set<string>();
    if (probes.length) {
      const vbs = await s.getNext(probes);
      probes.forEach((oid, i) => {
        const vb = vbs[i];
        if (vb && !isMissing(vb) && !snmp.isVarbindError(vb) && inSubtree(oid, vb.oid)) present.add(oid);
      });
    }
    out.applied = candidates.filter((t) => t.hasTable.length === 0 || t.hasTable.some((o) => present.has(o))).map((t) => t.id);
    const applied = new Set(out.applied);
    const columns = req.columns.filter((c) => c.templates.some((id) => applied.has(id))).map((c) => c.oid);
    const scalars = req.scalars.filter((c) => c.templates.some((id) => applied.has(id))).map((c) => c.oid);
    if (columns.length) {
      const walked = await s.walkColumns(columns);
      for (const oid of columns) {
        const rows: [string, RawValue][] = [];
        for (const vb of walked.get(oid) ?? []) {
          const v = rawValue(vb);
          if (v) rows.push([vb.oid.slice(oid.length + 1), v]);
        }
        out.columns.push({ oid, rows });
      }
    }
    if (scalars.length) {
      const vbs = await s.get(scalars);
      scalars.forEach((oid, i) => out.scalars.push({ oid, value: vbs[i] ? rawValue(vbs[i]!) : null }));
    }
  } catch (e) {
    out.error = (e as Error)?.message ?? String(e);
  }
  return out;
}
