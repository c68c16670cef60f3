import type { RawValue, TemplateReport, TemplateRequest } from '../contracts/templates.js';
import { lookupOid, type CompiledTemplate } from './template-compile.js';
import type { ColumnRef } from './template.schema.js';
import { indexFrom, textOf, type CounterMemory } from './template-values.js';

/** What the template engine keeps per device and template, and how a row's column refs are read from it. */

/** The device fields the engine needs. */
export interface TemplateDevice {
  id: number;
  group: string | null;
}

/** A discovered row. */
export interface Instance {
  index: string;
  label: string;
  firstSeen: number;
  lastSeen: number;
  goneAt: number | null;
}

/** Persisted instances (server/store/template-instance.repository.ts). */
export interface InstanceStore {
  load(deviceId: number): { templateId: string; table: number; instance: Instance }[];
  save(deviceId: number, templateId: string, rows: { table: number; instance: Instance }[]): void;
  forgetDevice(deviceId: number): void;
}

export interface LastValue {
  value: number;
  unit: string | null;
  state: string | null;
  at: number;
}

export interface TableState {
  instances: Map<string, Instance>;
  /** Discovery-time column values by index. */
  static: Map<string, Map<number, RawValue>>;
  /** Discovery-time lookup columns: lookup column OID -> index -> value. */
  lookups: Map<string, Map<string, RawValue>>;
}

export interface TemplateState {
  version: string;
  applied: boolean;
  discoveredAt: number | null;
  nextDiscovery: number;
  error: string | null;
  tables: TableState[];
  counters: Map<string, CounterMemory>;
  /** instance key (`table|index`, or `|` for scalars) -> metric -> last value. */
  last: Map<string, Map<string, LastValue>>;
}

export interface DeviceState {
  templates: Map<string, TemplateState>;
  /** Modes of the templates asked for in the poll in flight. */
  pending: Map<string, 'discover' | 'values'> | null;
  uptimeCs: number | null;
  atMs: number | null;
  /** System identity the last discovery saw (a change re-matches). */
  identity: string | null;
  loaded: boolean;
  /** Instances marked gone since the last report (their threshold alarms are cleared). */
  gone: TemplateReport['gone'];
  /**
   * The last request built, for these candidates (one array per template set and group) and these modes (one letter per candidate): most polls
   * ask what the previous one asked, and get the same object instead of a rebuilt copy.
   */
  lastRequest: { cands: readonly CompiledTemplate[]; modes: string; req: TemplateRequest } | null;
}

/** A device's candidate templates for one template set (the set is replaced as a whole on any change). */
export interface Candidates {
  list: readonly CompiledTemplate[];
  group: string | null;
  items: CompiledTemplate[];
}

export const newTemplateState = (t: CompiledTemplate): TemplateState => ({
  version: t.version,
  applied: false,
  discoveredAt: null,
  nextDiscovery: 0,
  error: null,
  tables: t.tables.map(() => ({ instances: new Map(), static: new Map(), lookups: new Map() })),
  counters: new Map(),
  last: new Map(),
});

/** Resolves a column ref for a row: own column, or a value looked up in another table. */
export function resolveRef(ts: TableState, row: Map<number, RawValue> | undefined, idx: string, columns: Map<string, Map<string, RawValue>>, ref: ColumnRef | undefined): RawValue | undefined {
  if (ref === undefined) return undefined;
  if (typeof ref === 'number') return row?.get(ref);
  const key = ref.column === undefined ? idx : indexFrom(row?.get(ref.column));
  if (!ref.lookup) return ref.column === undefined ? undefined : row?.get(ref.column);
  if (key === null) return undefined;
  const oid = lookupOid(ref.lookup);
  return (columns.get(oid) ?? ts.lookups.get(oid))?.get(key);
}

/** A column ref of a row as text. */
export function refText(ts: TableState, row: Map<number, RawValue>, idx: string, columns: Map<string, Map<string, RawValue>>, ref: ColumnRef | undefined): string | null {
  return textOf(resolveRef(ts, row, idx, columns, ref));
}
