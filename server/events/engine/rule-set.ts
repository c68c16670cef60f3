import type { NormalizedEvent } from '../../contracts/events.js';
import type { RuleDto } from '../../contracts/alarms.js';
import { EventContext, type DeviceInfo, type OidNameResolver } from './event-context.js';
import { compileEventRule, type CompiledEventRule, type Decision } from './rule-compiler.js';

const MAX_CACHE = 5000;

/**
 * The enabled event rules in position order, compiled. Candidates for an
 * event's (source, type) are looked up once and cached, so an event is only
 * tested against rules that could match it; order is preserved.
 */
export class RuleSet {
  private readonly rules: CompiledEventRule[];
  /** source -> type -> candidate rules. */
  private readonly candidates = new Map<string, Map<string, CompiledEventRule[]>>();
  private cached = 0;
  /** Rules that failed to compile (e.g. a MIB name not known any more): skipped, reported. */
  readonly broken: { id: number; name: string; error: string }[] = [];

  constructor(
    rules: RuleDto[],
    private readonly oidNames?: OidNameResolver,
    /** Rule id -> events matched (kept by the caller across reloads). */
    private readonly hits: Map<number, number> = new Map(),
  ) {
    this.rules = [];
    for (const r of rules) {
      if (!r.enabled || r.body.kind !== 'event') continue;
      try {
        this.rules.push(compileEventRule(r.id, r.name, r.body, oidNames));
      } catch (err) {
        this.broken.push({ id: r.id, name: r.name, error: (err as Error).message });
      }
    }
  }

  get size(): number {
    return this.rules.length;
  }

  private candidatesFor(e: NormalizedEvent): CompiledEventRule[] {
    let byType = this.candidates.get(e.source);
    if (!byType) this.candidates.set(e.source, (byType = new Map()));
    let list = byType.get(e.type);
    if (!list) {
      list = this.rules.filter((r) => (!r.sources || r.sources.has(e.source)) && (!r.types || r.types.has(e.type)));
      if (++this.cached > MAX_CACHE) {
        this.candidates.clear();
        this.cached = 0;
        this.candidates.set(e.source, (byType = new Map()));
      }
      byType.set(e.type, list);
    }
    return list;
  }

  /**
   * Runs the rules on one event: the first matching rule applies its actions
   * and stops evaluation, unless it says `continue`. Mutates the event's
   * severity and title; returns the decision (store when no rule matched).
   */
  evaluate(e: NormalizedEvent, device: DeviceInfo | undefined): Decision {
    const d: Decision = { disposition: 'store', ruleId: null, reductionKey: null, clearKey: null, notify: null };
    const list = this.candidatesFor(e);
    if (list.length === 0) return d;
    const ctx = new EventContext(e, device, this.oidNames);
    for (const rule of list) {
      if (!rule.testIndexed(ctx)) continue;
      this.hits.set(rule.id, (this.hits.get(rule.id) ?? 0) + 1);
      if (!rule.apply(ctx, d)) break;
    }
    return d;
  }
}
