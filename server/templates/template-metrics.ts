import type { RawValue } from '../contracts/templates.js';
import type { SampleInput } from '../store/sample.repository.js';
import { columnOid, type CompiledTable, type CompiledTemplate } from './template-compile.js';
import type { TemplateTableMetric } from './template.schema.js';
import { resolveRef, type TableState, type TemplateState } from './template-state.js';
import { counterOf, numberOf, rateOf, scaleValue, SENSOR_SCALE_EXPONENT } from './template-values.js';

/** Samples from a template's values read in one poll: metric computation and scaling, and the last values kept. */

/** The engine's counter of values left out (a factor, scale or precision unreadable, or a result not finite). */
export interface MetricStats {
  skipped_values: number;
}

const stateName = (states: Record<string, string> | undefined, value: number): string | null =>
  states && Object.hasOwn(states, String(value)) ? states[String(value)]! : null;

/** Appends the samples of one template's values to `out` and remembers them as its last values. */
export function collectSamples(
  stats: MetricStats,
  deviceId: number,
  t: CompiledTemplate,
  st: TemplateState,
  columns: Map<string, Map<string, RawValue>>,
  scalars: Map<string, RawValue | null>,
  at: number,
  ts: number,
  out: SampleInput[],
): void {
  const remember = (key: string, metric: string, value: number, unit: string | null, state: string | null) => {
    let m = st.last.get(key);
    if (!m) st.last.set(key, (m = new Map()));
    m.set(metric, { value, unit, state, at });
  };
  t.tables.forEach((tab, ti) => {
    const tstate = st.tables[ti]!;
    const entry = tab.def.entry;
    let missing = false;
    for (const inst of tstate.instances.values()) {
      if (inst.goneAt !== null) continue;
      const row = new Map(tstate.static.get(inst.index) ?? []);
      for (const c of tab.valueColumns) {
        const v = columns.get(columnOid(entry, c))?.get(inst.index);
        if (v) row.set(c, v);
        else row.delete(c);
      }
      if (!tab.rowColumns.some((c) => row.has(c)) && tab.def.metrics.length) missing = true;
      for (const m of tab.def.metrics) {
        const v = metricValue(stats, st, `${ti}|${inst.index}|${m.name}|${m.column}`, tab, tstate, row, inst.index, columns, m, at);
        if (!v) continue;
        out.push({ deviceId, metric: v.name, instance: inst.label, ts, value: v.value, unit: v.unit });
        remember(`${ti}|${inst.index}`, v.name, v.value, v.unit, stateName(m.states, v.value));
      }
    }
    // A row vanished since discovery: rediscover at the next poll (it is marked gone then).
    if (missing) st.nextDiscovery = 0;
  });
  for (const s of t.body.scalars) {
    const raw = scalars.get(s.oid) ?? undefined;
    let value: number | null;
    if (s.type === 'counter') {
      const c = counterOf(raw);
      value = c ? rateOf(st.counters, `s|${s.oid}`, c, at) : null;
    } else value = numberOf(raw);
    if (value === null) continue;
    value *= s.multiplier;
    out.push({ deviceId, metric: s.name, instance: '', ts, value, unit: s.unit ?? null });
    remember('|', s.name, value, s.unit ?? null, stateName(s.states, value));
  }
}

/** One metric of a row: kind, factors and scale applied (null: no value; a value left out is counted). */
function metricValue(
  stats: MetricStats,
  st: TemplateState,
  key: string,
  tab: CompiledTable,
  ts: TableState,
  row: Map<number, RawValue>,
  idx: string,
  columns: Map<string, Map<string, RawValue>>,
  m: TemplateTableMetric,
  at: number,
): { name: string; unit: string | null; value: number } | null {
  let name = m.name;
  let unit = m.unit ?? null;
  let kindMult = 1;
  if (m.kindColumn) {
    const k = numberOf(row.get(m.kindColumn.column));
    const kind = k === null ? undefined : Object.hasOwn(m.kindColumn.map, String(k)) ? m.kindColumn.map[String(k)] : undefined;
    if (!kind) return null;
    name = `${m.name}.${kind.name}`;
    unit = kind.unit ?? unit;
    kindMult = kind.multiplier ?? 1;
  }
  const raw = row.get(m.column);
  let value: number | null;
  if (m.type === 'counter') {
    const c = counterOf(raw);
    value = c ? rateOf(st.counters, key, c, at) : null;
  } else value = numberOf(raw);
  if (value === null) return null;
  value *= m.multiplier;
  if (m.multiplierColumn !== undefined) {
    const f = numberOf(resolveRef(ts, row, idx, columns, m.multiplierColumn));
    if (f === null) return skip(stats);
    value *= f;
  }
  if (m.divisorColumn !== undefined) {
    const f = numberOf(resolveRef(ts, row, idx, columns, m.divisorColumn));
    if (f === null || f === 0) return skip(stats);
    value /= f;
  }
  let exp = 0;
  if (m.scaleColumn !== undefined) {
    const s = numberOf(row.get(m.scaleColumn));
    const e = s === null ? undefined : SENSOR_SCALE_EXPONENT.get(s);
    if (e === undefined) return skip(stats);
    exp = e;
  }
  let precision = 0;
  if (m.precisionColumn !== undefined) {
    const p = numberOf(row.get(m.precisionColumn));
    if (p === null || p < -8 || p > 9) return skip(stats);
    precision = p;
  }
  value = scaleValue(value, exp, precision) * kindMult;
  return Number.isFinite(value) ? { name, unit, value } : skip(stats);
}

function skip(stats: MetricStats): null {
  stats.skipped_values++;
  return null;
}
