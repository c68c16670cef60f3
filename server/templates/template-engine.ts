import type { PollResult } from '../contracts/poll.js';
import type { DeviceTemplateDto, RawValue, TemplateInstanceDto, TemplateRawResult, TemplateReport, TemplateRequest } from '../contracts/templates.js';
import type { InventoryClass, InventoryItem, InventorySink } from '../contracts/inventory.js';
import type { SampleInput } from '../store/sample.repository.js';
import { rebooted } from '../poller/rate.js';
import { compileSafeRegex, testBounded, type SafeRegex } from '../events/engine/safe-regex.js';
import { columnOid, filtersOf, lookupOid, type CompiledTable, type CompiledTemplate } from './template-compile.js';
import type { ColumnRef, TemplateTableMetric } from './template.schema.js';
import { counterOf, indexFrom, numberOf, rateOf, scaleValue, SENSOR_SCALE_EXPONENT, textOf, type CounterMemory } from './template-values.js';

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

interface LastValue {
  value: number;
  unit: string | null;
  state: string | null;
  at: number;
}

interface TableState {
  instances: Map<string, Instance>;
  /** Discovery-time column values by index. */
  static: Map<string, Map<number, RawValue>>;
  /** Discovery-time lookup columns: lookup column OID -> index -> value. */
  lookups: Map<string, Map<string, RawValue>>;
}

interface TemplateState {
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

interface DeviceState {
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
interface Candidates {
  list: readonly CompiledTemplate[];
  group: string | null;
  items: CompiledTemplate[];
}

const PHYSICAL_CLASS: ReadonlyMap<number, InventoryClass> = new Map([
  [1, 'other'], [2, 'unknown'], [3, 'chassis'], [4, 'backplane'], [5, 'container'], [6, 'powerSupply'], [7, 'fan'], [8, 'sensor'],
  [9, 'module'], [10, 'port'], [11, 'stack'], [12, 'cpu'], [13, 'energyObject'], [14, 'battery'], [15, 'storageDrive'],
]);

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

const stateName = (states: Record<string, string> | undefined, value: number): string | null =>
  states && Object.hasOwn(states, String(value)) ? states[String(value)]! : null;

const newTemplateState = (t: CompiledTemplate): TemplateState => ({
  version: t.version,
  applied: false,
  discoveredAt: null,
  nextDiscovery: 0,
  error: null,
  tables: t.tables.map(() => ({ instances: new Map(), static: new Map(), lookups: new Map() })),
  counters: new Map(),
  last: new Map(),
});

export interface TemplateEngineDeps {
  /** The current templates (files and database). */
  templates: () => readonly CompiledTemplate[];
  store?: InstanceStore;
  inventory?: InventorySink;
  /** Called when the set of devices a template applies to changed (threshold rules follow). */
  onApplied?: () => void;
  /**
   * A template that did not apply (e.g. its `hasTable` absent) is matched again this often, sooner
   * than its `rediscoverMinutes` (config `templateRecheckMinutes`, default 60).
   */
  recheckMinutes?: number;
}

/**
 * Low-level discovery and value maths of collection templates, per device, in
 * the poller's thread. The poll worker reads (snmp.templates.ts); this decides
 * what to read (discovery or values only), keeps the instances (gone ones
 * included), turns readings into samples, and remembers the last values.
 */
export class TemplateEngine {
  private readonly devices = new Map<number, DeviceState>();
  private readonly regexes = new Map<string, SafeRegex | null>();
  private readonly candidateCache = new Map<number, Candidates>();
  readonly stats = { discoveries: 0, instances_gone: 0, samples: 0, skipped_values: 0 };

  constructor(private readonly deps: TemplateEngineDeps) {}

  private device(id: number): DeviceState {
    let d = this.devices.get(id);
    if (!d) {
      d = { templates: new Map(), pending: null, uptimeCs: null, atMs: null, identity: null, loaded: false, gone: [], lastRequest: null };
      this.devices.set(id, d);
    }
    if (!d.loaded && this.deps.store) {
      d.loaded = true;
      const byId = new Map(this.deps.templates().map((t) => [t.id, t]));
      for (const row of this.deps.store.load(id)) {
        const t = byId.get(row.templateId);
        if (!t) continue;
        let st = d.templates.get(t.id);
        if (!st) d.templates.set(t.id, (st = newTemplateState(t)));
        st.tables[row.table]?.instances.set(row.instance.index, row.instance);
      }
    }
    return d;
  }

  /** Templates a device is a candidate for (generated ones only for their device or group); cached per template set. */
  private candidates(dev: TemplateDevice): CompiledTemplate[] {
    const list = this.deps.templates();
    const c = this.candidateCache.get(dev.id);
    if (c && c.list === list && c.group === dev.group) return c.items;
    const items = list.filter((t) => {
      if (t.origin.deviceId != null) return t.origin.deviceId === dev.id;
      if (t.origin.group != null) return t.origin.group === dev.group;
      return true;
    });
    this.candidateCache.set(dev.id, { list, group: dev.group, items });
    return items;
  }

  /** What the next poll of this device reads for its templates (undefined: nothing). */
  request(dev: TemplateDevice, nowMs = Date.now()): TemplateRequest | undefined {
    const cands = this.candidates(dev);
    if (cands.length === 0) {
      this.devices.delete(dev.id);
      return undefined;
    }
    const d = this.device(dev.id);
    if (d.lastRequest?.cands !== cands || d.templates.size > cands.length) {
      // Templates deleted or no longer for this device: forget their state.
      const ids = new Set(cands.map((t) => t.id));
      for (const id of d.templates.keys()) if (!ids.has(id)) d.templates.delete(id);
    }
    // What each candidate is read for this poll: discovery, values, or nothing (did not apply, not due).
    d.pending = new Map();
    let modes = '';
    for (const t of cands) {
      const st = d.templates.get(t.id);
      const discover = !st || st.version !== t.version || st.discoveredAt === null || nowMs >= st.nextDiscovery;
      if (!discover && !st.applied) {
        modes += '-';
        continue;
      }
      d.pending.set(t.id, discover ? 'discover' : 'values');
      modes += discover ? 'd' : 'v';
    }
    if (d.pending.size === 0) return undefined;
    const cached = d.lastRequest;
    if (cached && cached.cands === cands && cached.modes === modes) return cached.req;
    const req: TemplateRequest = { templates: [], columns: [], scalars: [] };
    const cols = new Map<string, Set<string>>();
    const scal = new Map<string, Set<string>>();
    const want = (m: Map<string, Set<string>>, oid: string, id: string) => {
      let s = m.get(oid);
      if (!s) m.set(oid, (s = new Set()));
      s.add(id);
    };
    for (const t of cands) {
      const mode = d.pending.get(t.id);
      if (!mode) continue;
      const discover = mode === 'discover';
      req.templates.push({ id: t.id, match: t.match, hasTable: discover ? t.hasTable : [] });
      for (const tab of t.tables) {
        const entry = tab.def.entry;
        for (const c of tab.valueColumns) want(cols, columnOid(entry, c), t.id);
        for (const l of tab.valueLookups) want(cols, l, t.id);
        if (discover) {
          for (const c of tab.staticColumns) want(cols, columnOid(entry, c), t.id);
          for (const l of tab.staticLookups) want(cols, l, t.id);
        }
      }
      for (const s of t.body.scalars) want(scal, s.oid, t.id);
    }
    req.columns = [...cols].map(([oid, ids]) => ({ oid, templates: [...ids] }));
    req.scalars = [...scal].map(([oid, ids]) => ({ oid, templates: [...ids] }));
    d.lastRequest = { cands, modes, req };
    return req;
  }

  /** Turns what the worker read into samples; updates instances (discovery) and last values. */
  process(dev: TemplateDevice, r: PollResult): SampleInput[] {
    const d = this.devices.get(dev.id);
    if (!d) return [];
    const pending = d.pending;
    d.pending = null;
    if (!r.ok) return [];
    const at = r.startedAt;
    const ts = Math.floor(at / 1000);
    // Reboot: counters restart (no rate this poll) and instances are rediscovered next poll.
    const uptime = r.system?.sysUpTimeCs ?? null;
    const reboot = d.atMs !== null && rebooted(d.uptimeCs, uptime, (at - d.atMs) / 1000);
    d.uptimeCs = uptime;
    d.atMs = at;
    const identity = r.system ? `${r.system.sysObjectID}|${r.system.vendor}|${r.system.sysDescr}` : null;
    const identityChanged = d.identity !== null && identity !== null && identity !== d.identity;
    if (identity !== null) d.identity = identity;
    // A reboot or another system identity: every template is matched and discovered again next poll
    // (also those that did not apply, e.g. the device was replaced by another model at the same address).
    if (reboot || identityChanged) for (const [id, st] of d.templates) if (pending?.get(id) !== 'discover') st.nextDiscovery = 0;
    if (!pending) return [];
    const raw: TemplateRawResult = r.templates ?? { applied: [], columns: [], scalars: [], error: 'no template data in the poll result' };
    const columns = new Map(raw.columns.map((c) => [c.oid, new Map(c.rows)]));
    const scalars = new Map(raw.scalars.map((s) => [s.oid, s.value]));
    const applied = new Set(raw.applied);
    const samples: SampleInput[] = [];
    let appliedChanged = false;
    const cands = this.candidates(dev);
    for (const [id, mode] of pending) {
      const t = cands.find((x) => x.id === id);
      if (!t) continue;
      let st = d.templates.get(id);
      if (!st || st.version !== t.version) {
        const keep = st;
        st = newTemplateState(t);
        // Same tables: keep the instances (a renamed metric or a new threshold is no reason to forget rows).
        if (keep && keep.tables.length === st.tables.length) keep.tables.forEach((x, i) => (st!.tables[i]!.instances = x.instances));
        d.templates.set(id, st);
      }
      if (reboot) st.counters.clear();
      if (mode === 'discover') {
        if (raw.error) {
          // Partial data: keep what we know, try again next poll.
          st.error = raw.error;
          st.nextDiscovery = 0;
          continue;
        }
        st.error = null;
        if (st.applied !== applied.has(id)) appliedChanged = true;
        st.applied = applied.has(id);
        st.discoveredAt = at;
        // Not applied: looked at again sooner (the table may appear, e.g. a module enabled SNMP for it).
        const minutes = st.applied ? t.body.rediscoverMinutes : Math.min(t.body.rediscoverMinutes, this.deps.recheckMinutes ?? 60);
        st.nextDiscovery = at + minutes * 60_000;
        this.stats.discoveries++;
        this.discover(dev.id, t, st, columns, at, d.gone);
        if (!st.applied) continue;
      } else if (!applied.has(id)) {
        // It stopped applying (sysObjectID changed under us): find out properly next poll.
        st.nextDiscovery = 0;
        continue;
      } else st.error = raw.error;
      this.collect(dev.id, t, st, columns, scalars, at, ts, samples);
    }
    if (appliedChanged) this.deps.onApplied?.();
    this.stats.samples += samples.length;
    return samples;
  }

  private discover(deviceId: number, t: CompiledTemplate, st: TemplateState, columns: Map<string, Map<string, RawValue>>, at: number, gone: TemplateReport['gone']): void {
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
        const l = (this.text(tab, ts, ts.static.get(idx)!, idx, columns, tab.def.label) ?? idx).trim();
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
        this.deps.inventory.ingest({ deviceId, source: t.id, collectedAt: at, items: [...indexes].map((idx) => this.inventoryItem(tab, ts, idx, columns)) });
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

  /** Resolves a column ref for a row: own column, or a value looked up in another table. */
  private ref(ts: TableState, row: Map<number, RawValue> | undefined, idx: string, columns: Map<string, Map<string, RawValue>>, ref: ColumnRef | undefined): RawValue | undefined {
    if (ref === undefined) return undefined;
    if (typeof ref === 'number') return row?.get(ref);
    const key = ref.column === undefined ? idx : indexFrom(row?.get(ref.column));
    if (!ref.lookup) return ref.column === undefined ? undefined : row?.get(ref.column);
    if (key === null) return undefined;
    const oid = lookupOid(ref.lookup);
    return (columns.get(oid) ?? ts.lookups.get(oid))?.get(key);
  }

  private text(_tab: CompiledTable, ts: TableState, row: Map<number, RawValue>, idx: string, columns: Map<string, Map<string, RawValue>>, ref: ColumnRef | undefined): string | null {
    return textOf(this.ref(ts, row, idx, columns, ref));
  }

  private inventoryItem(tab: CompiledTable, ts: TableState, idx: string, columns: Map<string, Map<string, RawValue>>): InventoryItem {
    const inv = tab.def.inventory!;
    const row = ts.static.get(idx);
    const txt = (ref: ColumnRef | undefined) => {
      const v = this.text(tab, ts, row ?? new Map(), idx, columns, ref);
      return v === null || v.trim() === '' ? null : v.trim();
    };
    let cls: InventoryClass = 'unknown';
    if (typeof inv.class === 'string') cls = inv.class;
    else if (inv.class !== undefined) {
      const col = typeof inv.class === 'number' ? inv.class : inv.class.column;
      const n = numberOf(row?.get(col));
      const map = typeof inv.class === 'object' && inv.class.map ? new Map(Object.entries(inv.class.map)) : null;
      cls = (n === null ? undefined : map ? map.get(String(n)) : PHYSICAL_CLASS.get(n)) ?? 'unknown';
    }
    const parent = inv.parentIndex !== undefined ? numberOf(row?.get(inv.parentIndex)) : null;
    const fru = inv.fru !== undefined ? numberOf(row?.get(inv.fru)) : null;
    return {
      index: idx,
      parentIndex: parent === null || parent === 0 ? null : String(parent),
      class: cls,
      name: txt(inv.name),
      descr: txt(inv.descr),
      model: txt(inv.model),
      serial: txt(inv.serial),
      hardwareRev: txt(inv.hardwareRev),
      firmwareRev: txt(inv.firmwareRev),
      softwareRev: txt(inv.softwareRev),
      manufacturer: txt(inv.manufacturer),
      fru: fru === 1 ? true : fru === 2 ? false : null,
    };
  }

  private collect(
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
          const v = this.metricValue(st, `${ti}|${inst.index}|${m.name}|${m.column}`, tab, tstate, row, inst.index, columns, m, at);
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

  private metricValue(
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
      const f = numberOf(this.ref(ts, row, idx, columns, m.multiplierColumn));
      if (f === null) return this.skip();
      value *= f;
    }
    if (m.divisorColumn !== undefined) {
      const f = numberOf(this.ref(ts, row, idx, columns, m.divisorColumn));
      if (f === null || f === 0) return this.skip();
      value /= f;
    }
    let exp = 0;
    if (m.scaleColumn !== undefined) {
      const s = numberOf(row.get(m.scaleColumn));
      const e = s === null ? undefined : SENSOR_SCALE_EXPONENT.get(s);
      if (e === undefined) return this.skip();
      exp = e;
    }
    let precision = 0;
    if (m.precisionColumn !== undefined) {
      const p = numberOf(row.get(m.precisionColumn));
      if (p === null || p < -8 || p > 9) return this.skip();
      precision = p;
    }
    value = scaleValue(value, exp, precision) * kindMult;
    return Number.isFinite(value) ? { name, unit, value } : this.skip();
  }

  private skip(): null {
    this.stats.skipped_values++;
    return null;
  }

  /** Forgets a device (deleted). */
  forget(deviceId: number): void {
    this.devices.delete(deviceId);
    this.candidateCache.delete(deviceId);
    this.deps.store?.forgetDevice(deviceId);
  }

  /**
   * What the last polls told of a device's templates: the ids applied now and the instances marked
   * gone since the previous report (taken: reported once). The poller hands it to its output.
   */
  report(deviceId: number): TemplateReport {
    const d = this.devices.get(deviceId);
    if (!d) return { deviceId, applied: [], gone: [] };
    const applied: string[] = [];
    for (const [id, st] of d.templates) if (st.applied) applied.push(id);
    const gone = d.gone;
    if (gone.length) d.gone = [];
    return { deviceId, applied, gone };
  }

  /** Devices each template currently applies to. */
  appliedDevices(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const [deviceId, d] of this.devices) {
      for (const [id, st] of d.templates) {
        if (!st.applied) continue;
        let l = out.get(id);
        if (!l) out.set(id, (l = []));
        l.push(deviceId);
      }
    }
    return out;
  }

  /** The templates applied to a device, with instances and last values (GET /devices/:id/templates). */
  deviceView(dev: TemplateDevice): DeviceTemplateDto[] {
    const d = this.devices.get(dev.id) ?? (this.deps.store ? this.device(dev.id) : undefined);
    if (!d) return [];
    const out: DeviceTemplateDto[] = [];
    for (const t of this.candidates(dev)) {
      const st = d.templates.get(t.id);
      if (!st || (!st.applied && !st.tables.some((x) => x.instances.size))) continue;
      const instances: TemplateInstanceDto[] = [];
      st.tables.forEach((ts, ti) => {
        for (const inst of ts.instances.values()) {
          const last = st.last.get(`${ti}|${inst.index}`);
          instances.push({
            table: t.tables[ti]?.def.name ?? String(ti),
            index: inst.index,
            label: inst.label,
            firstSeen: inst.firstSeen,
            lastSeen: inst.lastSeen,
            goneAt: inst.goneAt,
            values: last ? [...last].map(([metric, v]) => ({ metric, ...v })) : [],
          });
        }
      });
      const sc = st.last.get('|');
      out.push({
        id: t.id,
        name: t.body.name,
        source: t.origin.source,
        discoveredAt: st.discoveredAt,
        nextDiscoveryAt: st.discoveredAt === null ? null : st.nextDiscovery,
        error: st.error,
        instances,
        scalars: sc ? [...sc].map(([metric, v]) => ({ metric, ...v })) : [],
      });
    }
    return out;
  }
}
