import { EVENT_TYPES, type RuleDto, type ThresholdEventParams, type ThresholdRuleBody } from '../../contracts/alarms.js';
import type { NormalizedEvent } from '../../contracts/events.js';
import type { DeviceInfo } from './event-context.js';
import { compileGlob, type SafeRegex } from './safe-regex.js';
import { compileTemplate, mapScope, type Template } from './template.js';

/** One polled value, as published on `metrics.sampled`. */
export interface MetricSample {
  deviceId: number;
  metric: string;
  instance: string;
  value: number;
  /** Seconds since epoch (as stored samples); millisecond values are accepted too. */
  ts: number;
}

interface Compiled {
  id: number;
  body: ThresholdRuleBody;
  metrics: Set<string>;
  instance: SafeRegex | undefined;
  deviceIds: Set<number> | undefined;
  groups: Set<string> | undefined;
  tags: Set<string> | undefined;
  title: Template;
}

interface State {
  since: number;
  polls: number;
  raised: boolean;
  seen: number;
}

const toMs = (ts: number) => (ts < 1e11 ? ts * 1000 : ts);

function over(op: ThresholdRuleBody['op'], v: number, limit: number): boolean {
  return op === '>' ? v > limit : op === '>=' ? v >= limit : op === '<' ? v < limit : v <= limit;
}

/**
 * Polled metric thresholds: raises when a value has been past the threshold
 * for `forPolls` polls and `forSec` seconds, clears when it is back past
 * `clearValue` (hysteresis). Emits NormalizedEvents (source 'poll',
 * `threshold.exceeded` / `threshold.cleared`) that the event rules turn into
 * alarms, so thresholds take the same path as every other problem.
 */
export class ThresholdEvaluator {
  private rules: Compiled[] = [];
  private readonly state = new Map<string, State>();
  readonly stats = { samples: 0, exceeded: 0, cleared: 0 };

  constructor(
    private readonly emit: (e: NormalizedEvent) => void,
    private readonly device: (id: number) => DeviceInfo | undefined,
  ) {}

  setRules(rules: RuleDto[]): void {
    const next: Compiled[] = [];
    for (const r of rules) {
      if (!r.enabled || r.body.kind !== 'threshold') continue;
      const b = r.body;
      next.push({
        id: r.id,
        body: b,
        metrics: new Set(b.metrics),
        instance: b.instance !== undefined ? compileGlob(b.instance) : undefined,
        deviceIds: b.deviceIds?.length ? new Set(b.deviceIds) : undefined,
        groups: b.groups?.length ? new Set(b.groups) : undefined,
        tags: b.tags?.length ? new Set(b.tags) : undefined,
        title: compileTemplate(b.title ?? '{device.name}: {metric}{instanceSuffix} {value} {op} {threshold}'),
      });
    }
    this.rules = next;
    // Forget state of rules that are gone, and of devices a rule no longer names (a template that
    // stopped applying to a device): a raised one would never clear otherwise, so clear it now.
    const live = new Map(next.map((r) => [r.id, r]));
    for (const [key, st] of this.state) {
      const [rule, device, metric] = key.split('|');
      const ruleId = Number(rule);
      const r = live.get(ruleId);
      const deviceId = Number(device);
      if (r && (!r.deviceIds || r.deviceIds.has(deviceId))) continue;
      this.state.delete(key);
      if (st.raised) {
        // The instance is the rest of the key (it may itself hold '|').
        const instance = key.slice(rule!.length + device!.length + metric!.length + 3);
        const why = r ? 'threshold rule no longer applies to the device' : 'threshold rule removed';
        this.publish(EVENT_TYPES.thresholdCleared, ruleId, deviceId, metric!, instance, NaN, NaN, 'info', why, Date.now());
      }
    }
  }

  /**
   * Instances that vanished from a device (a template table row marked gone): what they had raised
   * is cleared, saying so, and their pending state forgotten (no sample will ever clear them).
   */
  clearInstances(deviceId: number, gone: readonly { instance: string; metrics: readonly string[] }[], at = Date.now()): void {
    for (const g of gone) {
      for (const metric of g.metrics) {
        for (const r of this.rules) {
          if (!r.metrics.has(metric)) continue;
          const key = `${r.id}|${deviceId}|${metric}|${g.instance}`;
          const st = this.state.get(key);
          if (!st) continue;
          this.state.delete(key);
          if (!st.raised) continue;
          this.stats.cleared++;
          const name = this.device(deviceId)?.name ?? `device ${deviceId}`;
          this.publish(EVENT_TYPES.thresholdCleared, r.id, deviceId, metric, g.instance, NaN, r.body.value, 'info', `${name}: ${metric} ${g.instance} is gone from the device (cleared)`, at);
        }
      }
    }
  }

  get size(): number {
    return this.rules.length;
  }

  evaluate(samples: MetricSample[]): void {
    for (const s of samples) {
      this.stats.samples++;
      if (!Number.isFinite(s.value)) continue;
      for (const r of this.rules) {
        if (!r.metrics.has(s.metric)) continue;
        if (r.instance && !r.instance.test(s.instance)) continue;
        if (r.deviceIds && !r.deviceIds.has(s.deviceId)) continue;
        const dev = r.groups || r.tags ? this.device(s.deviceId) : undefined;
        if (r.groups && !(dev?.group && r.groups.has(dev.group))) continue;
        if (r.tags && !dev?.tags.some((t) => r.tags!.has(t))) continue;
        this.step(r, s);
      }
    }
  }

  private step(r: Compiled, s: MetricSample): void {
    const b = r.body;
    const key = `${r.id}|${s.deviceId}|${s.metric}|${s.instance}`;
    const at = toMs(s.ts);
    let st = this.state.get(key);
    if (over(b.op, s.value, b.value)) {
      if (!st) this.state.set(key, (st = { since: at, polls: 0, raised: false, seen: at }));
      if (st.polls === 0) st.since = at;
      st.polls++;
      st.seen = at;
      const forMs = (b.forSec ?? 0) * 1000;
      if (!st.raised && st.polls >= (b.forPolls ?? 1) && (forMs === 0 || at - st.since >= forMs)) {
        st.raised = true;
        this.stats.exceeded++;
        const title = r.title(this.scope(r, s));
        this.publish(EVENT_TYPES.thresholdExceeded, r.id, s.deviceId, s.metric, s.instance, s.value, b.value, b.severity, title, at);
      }
      return;
    }
    if (!st) return;
    const clearLimit = b.clearValue ?? b.value;
    if (st.raised && over(b.op, s.value, clearLimit)) return;
    if (st.raised) {
      this.stats.cleared++;
      const title = `${r.title(this.scope(r, s))} (cleared)`;
      this.publish(EVENT_TYPES.thresholdCleared, r.id, s.deviceId, s.metric, s.instance, s.value, b.value, 'info', title, at);
    }
    this.state.delete(key);
  }

  private scope(r: Compiled, s: MetricSample) {
    const dev = this.device(s.deviceId);
    return mapScope({
      metric: s.metric,
      instance: s.instance,
      instanceSuffix: s.instance ? ` ${s.instance}` : '',
      value: Math.round(s.value * 100) / 100,
      threshold: r.body.value,
      op: r.body.op,
      'device.name': dev?.name ?? `device ${s.deviceId}`,
      'device.id': s.deviceId,
      'device.group': dev?.group,
    });
  }

  private publish(type: string, ruleId: number, deviceId: number, metric: string, instance: string, value: number, threshold: number, severity: NormalizedEvent['severity'], title: string, at: number): void {
    const params: ThresholdEventParams = { ruleId, metric, instance, value, threshold, title };
    this.emit({
      receivedAt: Date.now(),
      reportedAt: at,
      source: 'poll',
      sourceAddress: null,
      deviceId,
      severity,
      type,
      message: title,
      params: params as unknown as Record<string, unknown>,
    });
  }
}
