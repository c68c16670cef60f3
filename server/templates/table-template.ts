import type { MibNode } from '../contracts/mib.js';
import type { OidDictionary } from '../mib/oid-dictionary.js';
import { validateTemplate } from './template-parse.js';
import type { TemplateBody } from './template.schema.js';

/**
 * "Poll this table": a MIB table, row (entry) or column turned into a custom
 * collection template for one device or one group. Numeric columns become
 * metrics (Counter32/64 as rates, enums as states), the first text column
 * named like a description/name is the label. Adding a column of a table
 * that already has a generated template for the same scope adds it there.
 */

const NUMERIC = new Set(['INTEGER', 'Integer32', 'Unsigned32', 'Gauge32', 'Gauge', 'Counter32', 'Counter', 'Counter64', 'TimeTicks']);
const COUNTER = new Set(['Counter32', 'Counter', 'Counter64']);
const TEXT = new Set(['OCTET STRING', 'DisplayString', 'SnmpAdminString']);

export interface TableScope {
  deviceId?: number;
  group?: string;
}

export class TableTemplateError extends Error {}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 24) || 'x';

/** Id of the template generated for a table entry and scope. */
export function tableTemplateId(entry: MibNode, scope: TableScope): string {
  const who = scope.deviceId !== undefined ? `d${scope.deviceId}` : `g-${slug(scope.group ?? '')}`;
  return `table-${slug(entry.name)}-${who}`.slice(0, 63).replace(/-+$/, '');
}

const metricName = (n: MibNode) => n.name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^[^A-Za-z]+/, '') || 'value';
const baseOf = (n: MibNode) => n.baseType ?? n.syntax ?? '';
const readable = (n: MibNode) => n.access !== 'not-accessible' && n.access !== 'accessible-for-notify';

function columnsOf(dict: OidDictionary, entry: MibNode): { n: MibNode; col: number }[] {
  return dict
    .children(entry.oid)
    .map((c) => ({ n: dict.node(c.oid), col: Number(c.oid.slice(entry.oid.length + 1)) }))
    .filter((x): x is { n: MibNode; col: number } => !!x.n && x.n.kind === 'column' && Number.isInteger(x.col) && x.col > 0);
}

function metricOf(n: MibNode, col: number): Record<string, unknown> {
  const base = baseOf(n);
  const states = n.enums ? Object.fromEntries(Object.entries(n.enums).filter(([k]) => /^-?\d{1,10}$/.test(k)).slice(0, 64).map(([k, v]) => [k, String(v).slice(0, 64)])) : undefined;
  const metric: Record<string, unknown> = { name: metricName(n), column: col };
  if (COUNTER.has(base)) {
    metric.type = 'counter';
    metric.unit = '/s';
  } else if (n.units) metric.unit = n.units.slice(0, 32);
  if (states && Object.keys(states).length && !COUNTER.has(base)) metric.states = states;
  return metric;
}

/** Enum maps in the dictionary are keyed by number or by name: keep the numeric form. */
function normaliseEnums(n: MibNode): MibNode {
  if (!n.enums) return n;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(n.enums)) {
    if (/^-?\d+$/.test(k)) out[k] = String(v);
    else if (/^-?\d+$/.test(String(v))) out[String(v)] = k;
  }
  return { ...n, enums: out };
}

/**
 * The template for `oid` (a table, its entry or one of its columns; numeric or
 * a MIB name), merged into `existing` (the scope's generated template for the
 * same table) when there is one.
 */
export function tableTemplate(dict: OidDictionary, oid: string, scope: TableScope, existing?: TemplateBody, deviceLabel?: string): TemplateBody {
  const r = dict.lookup(oid);
  if (!r.found) throw new TableTemplateError(`unknown MIB object "${oid}"`);
  if (r.instance) throw new TableTemplateError(`${r.label} names one instance: give the table, its entry or a column`);
  let entry: MibNode | undefined;
  let only: { n: MibNode; col: number } | undefined;
  const node = r.node;
  if (node.kind === 'table') entry = dict.children(node.oid).map((c) => dict.node(c.oid)).find((n) => n?.kind === 'row');
  else if (node.kind === 'row') entry = node;
  else if (node.kind === 'column') {
    entry = dict.node(node.oid.slice(0, node.oid.lastIndexOf('.')));
    only = { n: node, col: Number(node.oid.slice(node.oid.lastIndexOf('.') + 1)) };
  } else throw new TableTemplateError(`${r.label} is a ${node.kind}, not a table, entry or column`);
  if (!entry || entry.kind !== 'row') throw new TableTemplateError(`cannot find the entry of ${r.label}`);
  const cols = columnsOf(dict, entry).map((c) => ({ ...c, n: normaliseEnums(c.n) }));
  const numeric = (c: { n: MibNode }) => NUMERIC.has(baseOf(c.n)) && readable(c.n);
  const chosen = only ? [{ ...only, n: normaliseEnums(only.n) }] : cols.filter(numeric);
  if (only && !numeric(chosen[0]!)) throw new TableTemplateError(`${r.label} is not a numeric column (${baseOf(only.n) || 'unknown type'}): only numbers can be graphed`);
  if (chosen.length === 0) throw new TableTemplateError(`${entry.name} has no numeric column to poll`);
  const labelCol =
    cols.find((c) => TEXT.has(baseOf(c.n)) && readable(c.n) && /(descr|name|alias|label)$/i.test(c.n.name)) ?? cols.find((c) => TEXT.has(baseOf(c.n)) && readable(c.n));
  const id = existing?.id ?? tableTemplateId(entry, scope);
  const prev = existing?.tables[0];
  const metrics: unknown[] = prev ? [...prev.metrics] : [];
  const have = new Set(prev?.metrics.map((m) => m.column) ?? []);
  for (const c of chosen) if (!have.has(c.col)) metrics.push(metricOf(c.n, c.col));
  const table = { name: entry.name.replace(/Entry$/, 'Table').slice(0, 128), entry: entry.oid, ...(labelCol ? { label: labelCol.col } : {}), metrics };
  const tpl = {
    id,
    name: existing?.name ?? `${entry.module}::${entry.name.replace(/Entry$/, 'Table')} (${scope.deviceId !== undefined ? (deviceLabel ?? `device ${scope.deviceId}`) : `group ${scope.group}`})`.slice(0, 128),
    description: existing?.description ?? `Generated by "Poll this table" from ${entry.module}::${entry.name}`,
    applies: existing?.applies ?? {},
    rediscoverMinutes: existing?.rediscoverMinutes ?? 360,
    tables: [table],
  };
  return validateTemplate(tpl);
}
