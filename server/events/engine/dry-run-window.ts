import type { EventRuleBody } from '../../contracts/alarms.js';
import type { StoredEvent } from '../../contracts/events.js';
import type { RuleWindowDryRun } from '../../contracts/inbox.js';
import type { Reads } from '../../store/read-ops.js';
import { EventContext, type DeviceInfo, type OidNameResolver } from './event-context.js';
import { compileEventRule, type CompiledEventRule, type Decision } from './rule-compiler.js';

/** Gives the event loop back after this much work (as the engine's dryRun). */
const SLICE_MS = 4;
/** Stored events per read (on a reader thread). */
const PAGE = 500;
/** Most events examined: a busier window answers `truncated` with the figures so far. */
export const WINDOW_MAX_EVENTS = 200_000;
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export interface WindowDryRunDeps {
  reads: Reads;
  device: (id: number | null) => DeviceInfo | undefined;
  resolveOidName?: OidNameResolver;
}

/** One stored event through a dry-run rule, on a copy: its event and decision, or null when the rule does not match. */
export function tryRule(rule: CompiledEventRule, stored: StoredEvent, deps: Pick<WindowDryRunDeps, 'device' | 'resolveOidName'>): { e: StoredEvent; d: Decision } | null {
  const e: StoredEvent = { ...stored, params: { ...stored.params } };
  const ctx = new EventContext(e, deps.device(e.deviceId), deps.resolveOidName);
  if (!rule.test(ctx)) return null;
  const d: Decision = { disposition: 'store', ruleId: null, reductionKey: null, clearKey: null, notify: null };
  rule.apply(ctx, d);
  return { e, d };
}

/**
 * Dry run of an event rule body over a time window of stored events, newest
 * first: events it would match, alarms it would raise (distinct reduction
 * keys of matching alarm decisions), clears. Pages come from a reader thread
 * (narrowed to the rule's one source and one type when it names them); the
 * rule runs here in slices that yield the event loop. Nothing is changed.
 */
export async function dryRunWindow(deps: WindowDryRunDeps, body: EventRuleBody, from: number, to: number, maxEvents = WINDOW_MAX_EVENTS): Promise<RuleWindowDryRun> {
  const rule = compileEventRule(0, 'dry run', body, deps.resolveOidName);
  const m = body.match;
  const source = m.sources?.length === 1 ? m.sources : undefined;
  // The type filter is exact or a `*` prefix and case-insensitive: a superset the rule narrows again.
  const type = m.types?.length === 1 && !m.types[0]!.includes('*') ? m.types[0] : undefined;
  const out: RuleWindowDryRun = { from, to, evaluated: 0, matched: 0, alarms: 0, clears: 0, truncated: false, samples: [] };
  const keys = new Set<string>();
  let beforeId: number | undefined;
  let sliceStart = performance.now();
  for (;;) {
    const page = await deps.reads.run('events.query', { source, type, from, to, beforeId, limit: Math.min(PAGE, maxEvents - out.evaluated) });
    for (const stored of page.items) {
      if (performance.now() - sliceStart > SLICE_MS) {
        await yieldToLoop();
        sliceStart = performance.now();
      }
      out.evaluated++;
      const hit = tryRule(rule, stored, deps);
      if (!hit) continue;
      const { e, d } = hit;
      out.matched++;
      if (d.disposition === 'alarm' && d.reductionKey !== null) keys.add(d.reductionKey);
      else if (d.disposition === 'clear') out.clears++;
      if (out.samples.length < 20) out.samples.push({ eventId: e.id, receivedAt: e.receivedAt, message: e.message.slice(0, 500), reductionKey: d.reductionKey, clearKey: d.clearKey });
    }
    if (page.nextCursor === null) break;
    if (out.evaluated >= maxEvents) {
      out.truncated = true;
      break;
    }
    beforeId = page.nextCursor;
  }
  out.alarms = keys.size;
  return out;
}
