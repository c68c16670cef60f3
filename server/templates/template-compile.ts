import { createHash } from 'node:crypto';
import type { TemplateMatchSpec } from '../contracts/templates.js';
import type { ColumnRef, TemplateBody, TemplateLookup, TemplateTable, TemplateTableMetric, TemplateThreshold } from './template.schema.js';

/** Where a compiled template comes from, and (for generated ones) which devices it is limited to. */
export interface TemplateOrigin {
  source: 'file' | 'custom';
  file?: string | null;
  deviceId?: number | null;
  group?: string | null;
  createdAt?: number | null;
  updatedAt?: number | null;
}

export interface CompiledTable {
  def: TemplateTable;
  /** Columns read at discovery only (labels, filters, multipliers, kind/scale/precision, inventory). */
  staticColumns: number[];
  /** Columns read every poll (metric values, divisors). */
  valueColumns: number[];
  /** Other tables' columns read at discovery (label/multiplier/inventory lookups). */
  staticLookups: string[];
  /** Other tables' columns read every poll (divisor lookups). */
  valueLookups: string[];
  /** Columns whose rows are the table's instances (the metric columns; the inventory ones for an inventory-only table). */
  rowColumns: number[];
}

export interface CompiledTemplate {
  id: string;
  body: TemplateBody;
  origin: TemplateOrigin;
  /** Changes whenever the body does (state built for an older body is rediscovered). */
  version: string;
  match: TemplateMatchSpec;
  hasTable: string[];
  tables: CompiledTable[];
}

export const lookupOid = (l: TemplateLookup) => `${l.entry}.${l.column}`;
export const columnOid = (entry: string, column: number) => `${entry}.${column}`;

function refColumns(ref: ColumnRef | undefined, cols: Set<number>, lookups: Set<string>): void {
  if (ref === undefined) return;
  if (typeof ref === 'number') {
    cols.add(ref);
    return;
  }
  if (ref.column !== undefined) cols.add(ref.column);
  if (ref.lookup) lookups.add(lookupOid(ref.lookup));
}

export const filtersOf = (t: TemplateTable) => (t.filter === undefined ? [] : Array.isArray(t.filter) ? t.filter : [t.filter]);

function compileTable(t: TemplateTable): CompiledTable {
  const stat = new Set<number>();
  const val = new Set<number>();
  const statL = new Set<string>();
  const valL = new Set<string>();
  refColumns(t.label, stat, statL);
  for (const f of filtersOf(t)) stat.add(f.column);
  for (const m of t.metrics) {
    val.add(m.column);
    refColumns(m.multiplierColumn, stat, statL);
    refColumns(m.divisorColumn, val, valL);
    if (m.scaleColumn !== undefined) stat.add(m.scaleColumn);
    if (m.precisionColumn !== undefined) stat.add(m.precisionColumn);
    if (m.kindColumn) stat.add(m.kindColumn.column);
  }
  const inv = t.inventory;
  if (inv) {
    if (typeof inv.class === 'number') stat.add(inv.class);
    else if (typeof inv.class === 'object') stat.add(inv.class.column);
    for (const k of ['name', 'descr', 'serial', 'model', 'hardwareRev', 'firmwareRev', 'softwareRev', 'manufacturer'] as const) refColumns(inv[k], stat, statL);
    if (inv.parentIndex !== undefined) stat.add(inv.parentIndex);
    if (inv.fru !== undefined) stat.add(inv.fru);
  }
  const rowColumns = t.metrics.length ? [...new Set(t.metrics.map((m) => m.column))] : [...stat];
  return {
    def: t,
    staticColumns: [...stat].filter((c) => !val.has(c)),
    valueColumns: [...val],
    staticLookups: [...statL].filter((l) => !valL.has(l)),
    valueLookups: [...valL],
    rowColumns,
  };
}

/** Prepares a validated template for the engine (which columns to read when). */
export function compileTemplate(body: TemplateBody, origin: TemplateOrigin): CompiledTemplate {
  const { sysObjectIdPrefix, vendor, sysDescr, hasTable } = body.applies;
  const match: TemplateMatchSpec = {};
  if (sysObjectIdPrefix) match.sysObjectIdPrefix = sysObjectIdPrefix;
  if (vendor) match.vendor = vendor;
  if (sysDescr !== undefined) match.sysDescr = sysDescr;
  return {
    id: body.id,
    body,
    origin,
    version: createHash('sha1').update(JSON.stringify(body)).digest('hex').slice(0, 16),
    match,
    hasTable: hasTable === undefined ? [] : Array.isArray(hasTable) ? hasTable : [hasTable],
    tables: body.tables.map(compileTable),
  };
}

/** Every threshold of a template with the metric name it watches and whether it is a scalar's (instance ''). */
export function thresholdsOf(t: TemplateBody): { metric: string; scalar: boolean; threshold: TemplateThreshold; n: number }[] {
  const out: { metric: string; scalar: boolean; threshold: TemplateThreshold; n: number }[] = [];
  const add = (metric: string, scalar: boolean, list: TemplateThreshold[] | undefined) => list?.forEach((threshold, n) => out.push({ metric, scalar, threshold, n }));
  for (const tab of t.tables) {
    for (const m of tab.metrics) {
      if (m.kindColumn) {
        for (const k of Object.values(m.kindColumn.map)) {
          add(`${m.name}.${k.name}`, false, m.thresholds);
          add(`${m.name}.${k.name}`, false, k.thresholds);
        }
      } else add(m.name, false, m.thresholds);
    }
  }
  for (const s of t.scalars) add(s.name, true, s.thresholds);
  // A kind listed under several enum values (voltsAC/voltsDC both "voltage") gives one rule, not several.
  const seen = new Set<string>();
  return out.filter((x) => {
    const k = `${x.metric}|${JSON.stringify(x.threshold)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export type { TemplateTableMetric };
