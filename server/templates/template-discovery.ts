import type { InventorySink } from '../contracts/inventory.js';
import type { RawValue, TemplateReport } from '../contracts/templates.js';
import { compileSafeRegex, testBounded, type SafeRegex } from '../events/engine/safe-regex.js';
import { columnOid, filtersOf, type CompiledTable, type CompiledTemplate } from './template-compile.js';
import { inventoryItem } from './template-inventory.js';
import { refText, type InstanceStore, type TemplateState } from './template-state.js';
import { textOf } from './template-values.js';

/** Longest instance label kept (the rest of a longer value is cut). */
const MAX_LABEL = 200;
/** Most gone instances reported for a device between two reports (the rest stay open until the rule changes). */
const MAX_GONE_REPORTED = 1000;

/** The metric names a table's samples carry (kinds expanded): a gone instance's threshold alarms are among them. */
function tableMetricNames(tab: CompiledTable): string[] {
  const out = new Set<string>();
  for (const m of tab.def.metrics) {
    if (m.kindColumn) for (const k of Object.values(m.kindColumn.map)) out.add(`${m.name}.${k.name}`);
    else out.add(m.name);
  }
  return [...out];
}

/** Gone instances are forgotten after this long. */
const GONE_KEEP_MS = 30 * 86_400_000;

/**
 * Instance discovery of collection templates: which rows of a table are instances (filters),
 * their labels, the ones gone, and the inventory their rows describe.
 */
export class TemplateDiscovery {
  private readonly regexes = new Map<string, SafeRegex | null>();

  constructor(
    private readonly deps: { store?: InstanceStore; inventory?: InventorySink },
    private readonly stats: { instances_gone: number },
  ) {}

  /** Updates a template's instances from a discovery read; gone ones are appended to `gone`. */
  discover(deviceId: number, t: CompiledTemplate, st: TemplateState, columns: Map<string, Map<string, RawValue>>, at: number, gone: TemplateReport['gone']): void {
    t.tables.forEach((tab, ti) => {
      const ts = st.tables[ti]!;
      const entry = tab.def.entry;
      const indexes = new Set<string>();
      if (st.applied) for (const c of tab.rowColumns) for (const idx of columns.get(columnOid(entry, c))?.keys() ?? []) indexes.add(idx);
      ts.static = new Map();
      for (const idx of indexes) {
        const row = new Map<number, RawValue>();
        for (const c of [...tab.staticColumns, ...tab.valueColumns]) {
          const v = columns.get(columnOid(entry, c))?.get(idx);
          if (v) row.set(c, v);
        }
        ts.static.set(idx, row);
      }
      ts.lookups = new Map();
      for (const l of tab.staticLookups) ts.lookups.set(l, columns.get(l) ?? new Map());
      for (const idx of [...indexes]) {
        if (!this.passes(tab, ts.static.get(idx)!)) {
          indexes.delete(idx);
          ts.static.delete(idx);
        }
      }
      // Labels, told apart when two rows share one.
      const labels = new Map<string, string>();
      const count = new Map<string, number>();
      for (const idx of indexes) {
        const l = (refText(ts, ts.static.get(idx)!, idx, columns, tab.def.label) ?? idx).trim();
        // Labels come from the device: bounded, like any stored instance name.
        const label = l === '' ? idx.slice(0, MAX_LABEL) : l.slice(0, MAX_LABEL);
        labels.set(idx, label);
        count.set(label, (count.get(label) ?? 0) + 1);
      }
      for (const [idx, label] of labels) {
        const name = count.get(label)! > 1 && label !== idx ? `${label} (${idx})` : label;
        const inst = ts.instances.get(idx);
        if (inst) {
          inst.label = name;
          inst.lastSeen = at;
          inst.goneAt = null;
        } else ts.instances.set(idx, { index: idx, label: name, firstSeen: at, lastSeen: at, goneAt: null });
      }
      for (const inst of [...ts.instances.values()]) {
        if (inst.goneAt !== null && at - inst.goneAt > GONE_KEEP_MS) ts.instances.delete(inst.index);
        else if (!indexes.has(inst.index) && inst.goneAt === null) {
          inst.goneAt = at;
          this.stats.instances_gone++;
          st.last.delete(`${ti}|${inst.index}`);
          if (gone.length < MAX_GONE_REPORTED) gone.push({ instance: inst.label, metrics: tableMetricNames(tab) });
        }
      }
      if (tab.def.inventory && this.deps.inventory && st.applied) {
        this.deps.inventory.ingest({ deviceId, source: t.id, collectedAt: at, items: [...indexes].map((idx) => inventoryItem(tab, ts, idx, columns)) });
      }
    });
    this.deps.store?.save(
      deviceId,
      t.id,
      st.tables.flatMap((ts, table) => [...ts.instances.values()].map((instance) => ({ table, instance }))),
    );
  }

  private passes(tab: CompiledTable, row: Map<number, RawValue>): boolean {
    for (const f of filtersOf(tab.def)) {
      const v = textOf(row.get(f.column));
      if (f.in && (v === null || !f.in.some((x) => String(x) === v))) return false;
      if (f.notIn && v !== null && f.notIn.some((x) => String(x) === v)) return false;
      if (f.match !== undefined) {
        const re = this.regex(f.match);
        if (v === null || !re || !testBounded(re, v)) return false;
      }
    }
    return true;
  }

  private regex(p: string): SafeRegex | null {
    let re = this.regexes.get(p);
    if (re === undefined) {
      try {
        re = compileSafeRegex(p, 'i');
      } catch {
        re = null;
      }
      this.regexes.set(p, re);
    }
    return re;
  }
}
