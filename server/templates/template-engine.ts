import type { PollResult } from '../contracts/poll.js';
import type { DeviceTemplateDto, TemplateInstanceDto, TemplateRawResult, TemplateReport, TemplateRequest } from '../contracts/templates.js';
import type { InventorySink } from '../contracts/inventory.js';
import type { SampleInput } from '../store/sample.repository.js';
import { rebooted } from '../poller/rate.js';
import { columnOid, type CompiledTemplate } from './template-compile.js';
import { TemplateDiscovery } from './template-discovery.js';
import { collectSamples } from './template-metrics.js';
import { newTemplateState, type Candidates, type DeviceState, type InstanceStore, type TemplateDevice } from './template-state.js';

export type { Instance, InstanceStore, TemplateDevice } from './template-state.js';

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
 * Instances are found by template-discovery.ts, samples computed by template-metrics.ts;
 * the state they share is declared in template-state.ts.
 */
export class TemplateEngine {
  private readonly devices = new Map<number, DeviceState>();
  private readonly candidateCache = new Map<number, Candidates>();
  readonly stats = { discoveries: 0, instances_gone: 0, samples: 0, skipped_values: 0 };

  private readonly discovery: TemplateDiscovery;

  constructor(private readonly deps: TemplateEngineDeps) {
    this.discovery = new TemplateDiscovery(deps, this.stats);
  }

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
        this.discovery.discover(dev.id, t, st, columns, at, d.gone);
        if (!st.applied) continue;
      } else if (!applied.has(id)) {
        // It stopped applying (sysObjectID changed under us): find out properly next poll.
        st.nextDiscovery = 0;
        continue;
      } else st.error = raw.error;
      collectSamples(this.stats, dev.id, t, st, columns, scalars, at, ts, samples);
    }
    if (appliedChanged) this.deps.onApplied?.();
    this.stats.samples += samples.length;
    return samples;
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
