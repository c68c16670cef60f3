import type { EventRuleBody, RuleTestResult } from '../../contracts/alarms.js';
import type { StoredEvent } from '../../contracts/events.js';
import { tryRule, type WindowDryRunDeps } from './dry-run-window.js';
import { own } from './own.js';
import { compileEventRule } from './rule-compiler.js';

/** A dry run gives the event loop back after this much work. */
const DRY_RUN_SLICE_MS = 4;
/** Stored events per read during a dry run (read on a reader thread, each page within the read budget). */
const DRY_RUN_PAGE = 1000;
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/** Dry run of an event rule body over the last `limit` stored events (the engine's `dryRun`; same deps as the window dry run). */
export async function dryRunLatest(deps: WindowDryRunDeps, body: EventRuleBody, limit: number): Promise<RuleTestResult> {
  const rule = compileEventRule(0, 'dry run', body, deps.resolveOidName);
  // Newest first, a page at a time from a reader thread; then evaluated here (rules need the device
  // directory and the MIB names) in slices that give the event loop back: a dry run over 10,000 long
  // events never holds the server for more than a few milliseconds at once.
  const items: StoredEvent[] = [];
  let beforeId: number | undefined;
  while (items.length < limit) {
    const page = await deps.reads.run('events.query', { limit: Math.min(DRY_RUN_PAGE, limit - items.length), beforeId });
    items.push(...page.items);
    if (page.nextCursor === null) break;
    beforeId = page.nextCursor;
  }
  const out: RuleTestResult = { evaluated: items.length, matched: 0, results: [] };
  let sliceStart = performance.now();
  for (const stored of items.reverse()) {
    if (performance.now() - sliceStart > DRY_RUN_SLICE_MS) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
    const hit = tryRule(rule, stored, deps);
    if (!hit) continue;
    const { e, d } = hit;
    out.matched++;
    if (out.results.length < 200) {
      out.results.push({
        eventId: e.id,
        receivedAt: e.receivedAt,
        message: e.message,
        severity: e.severity,
        title: typeof own(e.params, 'title') === 'string' ? (own(e.params, 'title') as string) : null,
        disposition: d.disposition,
        reductionKey: d.reductionKey,
        clearKey: d.clearKey,
      });
    }
  }
  out.results.reverse();
  return out;
}
