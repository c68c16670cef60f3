import type { AlarmDto, AlarmNotificationPayload, ChannelType } from '../contracts/alarms.js';
import type { AlarmEscalationDto, EscalationPolicyDto } from '../contracts/escalation.js';
import { SEVERITIES, type Severity } from '../contracts/events.js';
import type { EscalationRepository } from '../store/escalation.repository.js';

/** Channel types told when an alarm is acknowledged (they keep incident state of their own). */
export const ACK_NOTICE_TYPES: ReadonlySet<ChannelType> = new Set<ChannelType>(['pagerduty', 'opsgenie']);
/** Channel types an escalation resolves when the alarm clears (the rule may not have notified them). */
export const STATEFUL_TYPES: ReadonlySet<ChannelType> = new Set<ChannelType>(['pagerduty', 'opsgenie', 'alertmanager']);
/** A held alarm (maintenance, flapping, suppressed) is looked at again this much later. */
export const HELD_RECHECK_MS = 60_000;

export interface EscalationDeps {
  repo: EscalationRepository;
  /** The clock seam: tests pass a fake one and call `tick()`. */
  clock: () => number;
  /** The alarm as it is now. */
  alarm: (id: number) => AlarmDto | undefined;
  /** The alarm's device: group and polling site (for assignments). */
  device: (id: number | null) => { group: string | null; site: string | null } | undefined;
  channelType: (id: number) => ChannelType | undefined;
  /** Channels the rule that raised the alarm notifies. */
  ruleChannels: (ruleId: number | null) => number[];
  /** Hands one notification on (to the delivery gate). */
  send: (channelId: number, kind: AlarmNotificationPayload['kind'], alarm: AlarmDto, escalation?: AlarmNotificationPayload['escalation']) => void;
  /**
   * Several central nodes: alarms raised on other nodes start their escalations there (stored); the node
   * running the ticks reads every alarm's position from the store at each tick. Default: this process only.
   */
  sharedStates?: boolean;
}

const sev = (s: Severity) => SEVERITIES.indexOf(s);
const held = (a: AlarmDto) => a.inMaintenance || a.flapping || (a as AlarmDto & { suppressed?: boolean }).suppressed === true;

/**
 * Runs escalation policies: an active alarm with a matching policy walks its steps until it is
 * acknowledged or cleared. The position of each alarm is stored at every step, so a restart
 * carries on where it stopped (an overdue step runs once at the first tick, not once per missed period).
 */
export class EscalationService {
  private policies: EscalationPolicyDto[] = [];
  private readonly states = new Map<number, AlarmEscalationDto>();
  readonly stats = { started: 0, steps: 0, repeats: 0, stopped_ack: 0, stopped_clear: 0, held: 0, ack_notices: 0, clear_notices: 0 };

  constructor(private readonly deps: EscalationDeps) {
    this.reload();
    for (const s of deps.repo.states()) this.states.set(s.alarmId, s);
  }

  /** Re-reads the policies (after a change through the API). */
  reload(): void {
    this.policies = this.deps.repo.list().filter((p) => p.enabled);
  }

  get active(): number {
    return this.states.size;
  }

  state(alarmId: number): AlarmEscalationDto | undefined {
    return this.states.get(alarmId);
  }

  /** The policy for an alarm: rule, then device group, then site, then severity; policies in list order within a kind. */
  match(alarm: AlarmDto): EscalationPolicyDto | undefined {
    if (this.policies.length === 0) return undefined;
    // The device is looked up only when a group or site assignment asks (alarm pushes are frequent).
    let dev: { group: string | null; site: string | null } | undefined | null = null;
    const device = () => (dev === null ? (dev = this.deps.device(alarm.deviceId)) : dev);
    const tests: [string, (v: string) => boolean][] = [
      ['rule', (v) => alarm.ruleId !== null && v === String(alarm.ruleId)],
      ['group', (v) => !!device()?.group && v === device()!.group],
      ['site', (v) => !!device()?.site && v === device()!.site],
      ['severity', (v) => sev(alarm.severity) <= sev(v as Severity)],
    ];
    for (const [kind, test] of tests) {
      for (const p of this.policies) if (p.assignments.some((a) => a.kind === kind && test(a.value))) return p;
    }
    return undefined;
  }

  /** An alarm changed (`alarm.changed`): starts escalating a newly active alarm, stops on clear. */
  onAlarmChanged(a: AlarmDto): void {
    const st = this.stateOf(a.id);
    if (a.state === 'active') {
      if (st || a.archived) return;
      const policy = this.match(a);
      if (!policy) return;
      const now = this.deps.clock();
      const s: AlarmEscalationDto = { alarmId: a.id, policyId: policy.id, startedAt: now, nextStep: 0, nextDueAt: now + policy.steps[0]!.waitMinutes * 60_000, repeats: 0, notified: [] };
      this.states.set(a.id, s);
      this.deps.repo.saveState(s);
      this.stats.started++;
      if (s.nextDueAt! <= now) this.tick();
      return;
    }
    // An acknowledgement arrives through `acknowledged()` (it needs the channels notified so far);
    // one that did not is noticed at the next due step.
    if (st && a.state === 'cleared') this.stop(a, 'clear');
  }

  /** The alarm was acknowledged (console, API or signed link): escalation stops; PagerDuty/Opsgenie are told. */
  acknowledged(a: AlarmDto): void {
    const st = this.stateOf(a.id);
    const targets = new Set([...this.deps.ruleChannels(a.ruleId), ...(st?.notified ?? [])]);
    if (st) this.stop(a, 'ack');
    for (const id of targets) {
      const t = this.deps.channelType(id);
      if (!t || !ACK_NOTICE_TYPES.has(t)) continue;
      this.deps.send(id, 'ack', a);
      this.stats.ack_notices++;
    }
  }

  /** An alarm's position: kept here, or (shared states) as stored now, by whichever node moved it last. */
  private stateOf(alarmId: number): AlarmEscalationDto | undefined {
    if (!this.deps.sharedStates) return this.states.get(alarmId);
    const s = this.deps.repo.state(alarmId);
    if (s) this.states.set(alarmId, s);
    else this.states.delete(alarmId);
    return s;
  }

  private stop(a: AlarmDto, why: 'ack' | 'clear'): void {
    const st = this.states.get(a.id);
    if (!st) return;
    this.states.delete(a.id);
    this.deps.repo.removeState(a.id);
    if (why === 'ack') this.stats.stopped_ack++;
    else {
      this.stats.stopped_clear++;
      // Channels only the escalation notified would otherwise keep an open incident.
      const byRule = new Set(this.deps.ruleChannels(a.ruleId));
      for (const id of st.notified) {
        const t = this.deps.channelType(id);
        if (byRule.has(id) || !t || !STATEFUL_TYPES.has(t)) continue;
        this.deps.send(id, 'clear', a);
        this.stats.clear_notices++;
      }
    }
  }

  /** Runs the steps that are due. Returns how many notifications were handed on. */
  tick(): number {
    const now = this.deps.clock();
    let sent = 0;
    if (this.deps.sharedStates) {
      // Every change of a position is stored as it is made (here or on another node): the store is current.
      this.states.clear();
      for (const s of this.deps.repo.states()) this.states.set(s.alarmId, s);
    }
    for (const st of [...this.states.values()]) {
      if (st.nextDueAt === null || st.nextDueAt > now) continue;
      const alarm = this.deps.alarm(st.alarmId);
      const policy = this.deps.repo.get(st.policyId);
      if (!alarm || alarm.state !== 'active' || !policy || !policy.enabled) {
        // Acknowledged/cleared while nobody told us (or the policy went): nothing more to do.
        this.states.delete(st.alarmId);
        this.deps.repo.removeState(st.alarmId);
        continue;
      }
      if (held(alarm)) {
        st.nextDueAt = now + HELD_RECHECK_MS;
        this.stats.held++;
        this.deps.repo.saveState(st);
        continue;
      }
      const last = policy.steps.length - 1;
      const repeating = st.nextStep > last;
      const stepIndex = repeating ? last : st.nextStep;
      const step = policy.steps[stepIndex]!;
      if (repeating) st.repeats++;
      for (const id of step.channelIds) {
        this.deps.send(id, 'escalate', alarm, { policyId: policy.id, policyName: policy.name, step: stepIndex, repeat: repeating ? st.repeats : 0 });
        if (!st.notified.includes(id)) st.notified.push(id);
        sent++;
      }
      if (repeating) this.stats.repeats++;
      else this.stats.steps++;
      if (!repeating) st.nextStep++;
      const next = policy.steps[st.nextStep];
      st.nextDueAt = next ? now + next.waitMinutes * 60_000 : policy.repeatMinutes ? now + policy.repeatMinutes * 60_000 : null;
      this.deps.repo.saveState(st);
    }
    return sent;
  }

  /** When the next step is due (for a timer), or null. */
  nextDueAt(): number | null {
    let min: number | null = null;
    for (const s of this.states.values()) if (s.nextDueAt !== null && (min === null || s.nextDueAt < min)) min = s.nextDueAt;
    return min;
  }
}
