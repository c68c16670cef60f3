import type { Disposition, EventRuleBody, NotifyOn } from '../../contracts/alarms.js';
import { SEVERITIES, type Severity, type SourceKind } from '../../contracts/events.js';
import { compileCondition, facilityNumber, RateWindow, syslogSeverity, type ValueTest } from './conditions.js';
import { findVarbind, paramAt, resolveOid, trapOidOf, varbindsOf, type EventContext, type OidNameResolver } from './event-context.js';
import { own } from './own.js';
import { compileSafeRegex, execBounded, requiredPrefix } from './safe-regex.js';
import { compileTemplate, templateVariables, type Template } from './template.js';

/** What the rules decided for one event (the last matching rule wins for each field). */
export interface Decision {
  disposition: Disposition;
  ruleId: number | null;
  reductionKey: string | null;
  clearKey: string | null;
  notify: { channelIds: number[]; on: NotifyOn[] } | null;
}

export interface CompiledEventRule {
  id: number;
  name: string;
  /** Index filters: undefined = any. */
  sources: Set<SourceKind> | undefined;
  types: Set<string> | undefined;
  test(ctx: EventContext): boolean;
  /** `test` minus the source/type checks, for callers that already filtered on them (RuleSet). */
  testIndexed(ctx: EventContext): boolean;
  /** Applies the actions to the event and the decision; returns true when evaluation should continue. */
  apply(ctx: EventContext, d: Decision): boolean;
}

export class RuleCompileError extends Error {}

type Check = (ctx: EventContext) => boolean;

const sevIndex = (s: Severity) => SEVERITIES.indexOf(s);

function tpl(src: string, where: string): Template {
  for (const v of templateVariables(src)) {
    if (v.length > 200) throw new RuleCompileError(`${where}: variable name too long`);
  }
  return compileTemplate(src);
}

function oid(ref: string, resolver: OidNameResolver | undefined, where: string): string {
  const o = resolveOid(ref, resolver);
  if (!o) throw new RuleCompileError(`${where}: unknown MIB name "${ref}" (use a numeric OID)`);
  return o;
}

/** Membership test: `===` for one value, a scan for a few, a Set beyond. */
function member<T>(values: T[]): (x: T) => boolean {
  if (values.length === 1) {
    const v = values[0];
    return (x) => x === v;
  }
  if (values.length <= 8) return (x) => values.includes(x);
  const set = new Set(values);
  return (x) => set.has(x);
}

function guard<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RuleCompileError) throw err;
    throw new RuleCompileError(`${where}: ${(err as Error).message}`);
  }
}

/**
 * Turns a rule body into closures: the cheapest checks first, the message
 * regular expression next, the rate window last (it counts only events that
 * matched everything else). Throws RuleCompileError with a readable reason.
 */
export function compileEventRule(id: number, name: string, body: EventRuleBody, resolver?: OidNameResolver): CompiledEventRule {
  const m = body.match;
  const set = <T>(xs: T[] | undefined) => (xs && xs.length ? new Set(xs) : undefined);
  const sources = set(m.sources);
  const types = set(m.types);
  // Source and type are also what RuleSet indexes on: kept apart so indexed evaluation skips them.
  const indexChecks: Check[] = [];
  const srcIn = sources && member([...sources]);
  const typeIn = types && member([...types]);
  if (srcIn) indexChecks.push((c) => srcIn(c.event.source));
  if (typeIn) indexChecks.push((c) => typeIn(c.event.type));
  const checks: Check[] = [];
  const deviceIn = m.deviceIds?.length ? member(m.deviceIds) : undefined;
  if (deviceIn) checks.push((c) => c.event.deviceId !== null && deviceIn(c.event.deviceId));
  const groupIn = m.groups?.length ? member(m.groups) : undefined;
  if (groupIn) checks.push((c) => !!c.device?.group && groupIn(c.device.group));
  const tagIn = m.tags?.length ? member(m.tags) : undefined;
  if (tagIn) checks.push((c) => !!c.device?.tags.some(tagIn));
  if (m.minSeverity) {
    const max = sevIndex(m.minSeverity);
    checks.push((c) => sevIndex(c.event.severity) <= max);
  }
  if (m.trapOid) {
    const o = oid(m.trapOid, resolver, 'match.trapOid');
    checks.push((c) => trapOidOf(c.event) === o);
  }
  if (m.trapOidPrefix) {
    const p = oid(m.trapOidPrefix, resolver, 'match.trapOidPrefix');
    checks.push((c) => {
      const t = trapOidOf(c.event);
      // Cheap length and separator tests first: most OIDs fail there.
      return t !== undefined && (t === p || (t.length > p.length && t.charCodeAt(p.length) === 46 && t.startsWith(p)));
    });
  }
  (m.varbinds ?? []).forEach((vb, i) => {
    const where = `match.varbinds.${i}`;
    const o = oid(vb.oid, resolver, where);
    const test = guard(where, () => compileCondition(vb.op, vb.value, where));
    checks.push((c) => test(own(findVarbind(varbindsOf(c.event), o), 'value')));
  });
  if (m.syslog) {
    const s = m.syslog;
    const facilities = s.facilities?.map((f) => {
      const n = facilityNumber(f);
      if (n === undefined) throw new RuleCompileError(`match.syslog.facilities: unknown facility "${f}"`);
      return n;
    });
    if (facilities?.length) checks.push((c) => facilities.includes(facilityNumber(own(c.event.params, 'facility')) ?? -1));
    if (s.maxSeverity !== undefined) {
      const max = s.maxSeverity;
      checks.push((c) => syslogSeverity(c.event) <= max);
    }
    if (s.hostname) {
      const h = s.hostname.toLowerCase();
      checks.push((c) => String(own(c.event.params, 'hostname') ?? '').toLowerCase() === h);
    }
    if (s.appName) checks.push((c) => own(c.event.params, 'appName') === s.appName);
    if (s.msgId) checks.push((c) => own(c.event.params, 'msgId') === s.msgId);
    for (const [key, value] of Object.entries(s.structuredData ?? {})) {
      checks.push((c) => {
        const sd = own(c.event.params, 'structuredData');
        return !!sd && typeof sd === 'object' && String(paramAt(sd as Record<string, unknown>, key) ?? '') === value;
      });
    }
  }
  (m.params ?? []).forEach((p, i) => {
    const where = `match.params.${i}`;
    const test = guard(where, () => compileCondition(p.op, p.value, where));
    const path = p.path;
    const parts = path.split('.');
    checks.push(parts.length === 1 ? (c) => test(own(c.event.params, path)) : (c) => test(paramAt(c.event.params, path)));
  });
  if (m.message) {
    const flags = m.messageCaseInsensitive ? 'i' : '';
    const re = guard('match.message', () => compileSafeRegex(m.message!, flags));
    const prefix = requiredPrefix(m.message, flags);
    const first = prefix.charCodeAt(0);
    checks.push((c) => {
      const msg = c.event.message;
      if (prefix && (msg.charCodeAt(0) !== first || !msg.startsWith(prefix))) return false;
      const r = execBounded(re, msg);
      if (!r) return false;
      c.captures = r.groups ? { ...r.groups } : undefined;
      return true;
    });
  }
  if (m.rate) {
    const w = new RateWindow(m.rate.count, m.rate.windowSec * 1000);
    checks.push((c) => w.hit(String(c.event.deviceId ?? c.event.sourceAddress ?? ''), c.event.receivedAt));
  }

  const a = body.actions;
  const title = a.title ? tpl(a.title, 'actions.title') : undefined;
  const reductionKey = a.reductionKey ? tpl(a.reductionKey, 'actions.reductionKey') : undefined;
  const clearKey = a.clearKey ? tpl(a.clearKey, 'actions.clearKey') : undefined;
  if (a.disposition === 'alarm' && !reductionKey) throw new RuleCompileError('actions.reductionKey: an alarm action needs a reductionKey');
  if (a.disposition === 'clear' && !clearKey) throw new RuleCompileError('actions.clearKey: a clear action needs a clearKey');
  const disposition: Disposition = a.disposition ?? 'store';
  const notify = a.notify ? { channelIds: [...a.notify.channelIds], on: [...a.notify.on] } : null;
  const goOn = a.continue === true;

  const all = [...indexChecks, ...checks];
  const run = (list: Check[], ctx: EventContext) => {
    ctx.captures = undefined;
    for (let i = 0; i < list.length; i++) if (!list[i]!(ctx)) return false;
    return true;
  };
  return {
    id,
    name,
    sources,
    types,
    test: (ctx) => run(all, ctx),
    testIndexed: (ctx) => run(checks, ctx),
    apply(ctx, d) {
      const e = ctx.event;
      if (a.severity) e.severity = a.severity;
      if (title) e.params.title = title(ctx);
      d.disposition = disposition;
      d.ruleId = id;
      d.reductionKey = reductionKey ? reductionKey(ctx) : null;
      d.clearKey = clearKey ? clearKey(ctx) : null;
      d.notify = notify;
      return goOn;
    },
  };
}
