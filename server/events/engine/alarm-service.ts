import type { AlarmDto, NotifyOn } from '../../contracts/alarms.js';
import type { Severity, StoredEvent } from '../../contracts/events.js';
import { sevIndex, sevName, type AlarmRepository, type AlarmRow } from '../../store/alarm.repository.js';
import { AlarmPublisher } from './alarm-publisher.js';
import type { DeviceInfo } from './event-context.js';
import type { MaintenanceIndex } from './maintenance.js';
import { own } from './own.js';
import type { Decision } from './rule-compiler.js';

export { CHANGE_SLICE } from './alarm-publisher.js';

export interface AlarmOptions {
  /** A cleared alarm that recurs: reopen it (default) or open a new one. */
  recurrence: 'reopen' | 'new';
  /** More than `flapCount` state changes within `flapWindowMs` = flapping. */
  flapCount: number;
  flapWindowMs: number;
  /** Flapping ends after this long without a state change. */
  flapSettleMs: number;
  /** Cleared alarms are archived this long after clearing. */
  archiveAfterMs: number;
}

export const DEFAULT_ALARM_OPTIONS: AlarmOptions = {
  recurrence: 'reopen',
  flapCount: 4,
  flapWindowMs: 10 * 60_000,
  flapSettleMs: 10 * 60_000,
  archiveAfterMs: 7 * 86_400_000,
};

export type NotificationKind = 'raise' | 'severity' | 'clear';

/**
 * Root cause (issue 17): sees each notification about to go out. Returns true when it takes it
 * over: it calls `send` later (held until a parent's state is known) or never (suppressed).
 */
export type NotifyGate = (kind: NotificationKind, alarm: AlarmDto, send: () => void) => boolean;

export interface NotifyTarget {
  channelIds: number[];
  on: NotifyOn[];
}

export interface AlarmServiceDeps {
  repo: AlarmRepository;
  maintenance: MaintenanceIndex;
  device: (id: number | null) => DeviceInfo | undefined;
  /** Notification settings of the rule that raised an alarm (current rules). */
  ruleNotify: (ruleId: number | null) => NotifyTarget | null;
  /** An alarm changed (published on the bus as `alarm.changed`). */
  onChange: (alarm: AlarmDto) => void;
  /** Queue a notification (never blocks). */
  notify: (kind: NotificationKind, alarm: AlarmDto, channelIds: number[], previousSeverity?: Severity) => void;
  clock?: () => number;
  options?: Partial<AlarmOptions>;
  /** Coalescing delay for `onChange` pushes (0 = immediately). Default 100 ms. */
  changeDelayMs?: number;
  /** A deferred push failed. */
  onError?: (err: unknown) => void;
  /** An alarm was acknowledged (escalation stops; PagerDuty/Opsgenie are told). */
  onAck?: (alarm: AlarmDto) => void;
}

/** What the service keeps in memory about each open alarm (it is the only writer of alarm state). */
interface OpenAlarm {
  id: number;
  ruleId: number | null;
  severity: number;
  inMaintenance: boolean;
}

/** Repeats of one open alarm within a batch, written as one UPDATE. */
interface Recurrence {
  n: number;
  at: number;
  severity: Severity;
  title: string;
  message: string;
  inMaintenance: boolean;
}

export interface PendingNotice {
  kind: NotificationKind;
  alarmId: number;
  /** Rule that raised the alarm (its notify settings apply when the event's rule has none). */
  ruleId: number | null;
  target: NotifyTarget | null;
  previous?: Severity;
}

/**
 * Folds problem events into alarms by reduction key, clears by clear key,
 * reopens recurring alarms, tracks flapping and maintenance, and decides
 * which changes notify. All writes of a batch run in one transaction.
 */
export class AlarmService {
  readonly opts: AlarmOptions;
  private readonly clock: () => number;
  /** State-change times per reduction key (flap detection). */
  private readonly changes = new Map<string, number[]>();
  readonly stats = { raised: 0, reopened: 0, reduced: 0, cleared: 0, clears_unmatched: 0, notifications_held: 0, notifications_suppressed: 0 };
  /** Open alarms by reduction key: lookups on the intake path never hit SQLite. */
  private readonly openByKey = new Map<string, OpenAlarm>();
  private readonly recurrences = new Map<number, Recurrence>();
  /** Reduction key -> id of the alarm marked flapping (so the flag is written once per transition). */
  private readonly flapping = new Map<string, number>();
  /** Pushes `alarm.changed` and sends notifications (alarm-publisher.ts). */
  private readonly out: AlarmPublisher;

  constructor(private readonly deps: AlarmServiceDeps) {
    this.opts = { ...DEFAULT_ALARM_OPTIONS, ...deps.options };
    this.clock = deps.clock ?? Date.now;
    this.out = new AlarmPublisher(deps, this.stats, deps.changeDelayMs ?? 100);
    this.loadOpen();
  }

  private loadOpen(): void {
    this.openByKey.clear();
    for (const a of this.deps.repo.openAll()) {
      this.openByKey.set(a.reduction_key, { id: a.id, ruleId: a.rule_id, severity: a.severity, inMaintenance: a.in_maintenance === 1 });
    }
  }

  private flushRecurrence(id: number): void {
    const r = this.recurrences.get(id);
    if (!r) return;
    this.recurrences.delete(id);
    this.deps.repo.recur(id, r.n, r.at, r.severity, r.title, r.message, r.inMaintenance);
  }

  /** Applies the alarm decisions of one stored batch. */
  applyBatch(items: { event: StoredEvent; decision: Decision }[]): void {
    if (items.length === 0) return;
    const changed = new Set<number>();
    const notices: PendingNotice[] = [];
    try {
      this.deps.repo.transaction(() => {
        for (const { event, decision } of items) {
          if (decision.disposition === 'alarm' && decision.reductionKey) this.raise(event, decision, changed, notices);
          else if (decision.disposition === 'clear' && decision.clearKey) this.clearByKey(event, decision, changed, notices);
        }
        for (const id of [...this.recurrences.keys()]) this.flushRecurrence(id);
      });
    } catch (err) {
      // The transaction rolled back: forget what memory believed and re-read the truth.
      this.recurrences.clear();
      this.loadOpen();
      throw err;
    }
    this.out.publish(changed, notices);
  }

  private raise(e: StoredEvent, d: Decision, changed: Set<number>, notices: PendingNotice[]): void {
    const repo = this.deps.repo;
    const key = repo.storedKey(d.reductionKey!);
    const device = this.deps.device(e.deviceId);
    const inMaint = this.deps.maintenance.covers(e.deviceId, device, e.receivedAt);
    const ownTitle = own(e.params, 'title');
    const title = typeof ownTitle === 'string' ? ownTitle : e.message;
    const open = this.openByKey.get(key);
    if (open) {
      const rose = sevIndex(e.severity) < open.severity;
      const previous = sevName(open.severity);
      if (rose) open.severity = sevIndex(e.severity);
      open.inMaintenance = inMaint;
      const r = this.recurrences.get(open.id);
      if (r) {
        r.n++;
        r.at = Math.max(r.at, e.receivedAt);
        r.severity = sevName(open.severity);
        r.title = title;
        r.message = e.message;
        r.inMaintenance = inMaint;
      } else {
        this.recurrences.set(open.id, { n: 1, at: e.receivedAt, severity: sevName(open.severity), title, message: e.message, inMaintenance: inMaint });
      }
      repo.link(open.id, e.id);
      changed.add(open.id);
      this.stats.reduced++;
      if (rose) notices.push({ kind: 'severity', alarmId: open.id, ruleId: open.ruleId, target: d.notify, previous });
      return;
    }
    const latest = this.opts.recurrence === 'reopen' ? repo.latest(key) : undefined;
    let id: number;
    if (latest && latest.state === 'cleared') {
      id = latest.id;
      this.flushRecurrence(id);
      repo.reopen(id, e.receivedAt, e.severity, title, e.message, inMaint);
      this.stats.reopened++;
    } else {
      id = repo.insert({
        reductionKey: key,
        severity: e.severity,
        title,
        message: e.message,
        deviceId: e.deviceId,
        sourceAddress: e.sourceAddress,
        source: e.source,
        eventType: e.type,
        ruleId: d.ruleId,
        at: e.receivedAt,
        inMaintenance: inMaint,
      });
      this.stats.raised++;
    }
    const ruleId = latest && latest.state === 'cleared' ? latest.rule_id : d.ruleId;
    this.openByKey.set(key, { id, ruleId, severity: sevIndex(e.severity), inMaintenance: inMaint });
    repo.link(id, e.id);
    changed.add(id);
    this.stateChanged(key, id, inMaint);
    notices.push({ kind: 'raise', alarmId: id, ruleId, target: d.notify });
  }

  private clearByKey(e: StoredEvent, d: Decision, changed: Set<number>, notices: PendingNotice[]): void {
    const key = this.deps.repo.storedKey(d.clearKey!);
    const open = this.openByKey.get(key);
    if (!open) {
      this.stats.clears_unmatched++;
      return;
    }
    this.flushRecurrence(open.id);
    this.openByKey.delete(key);
    this.deps.repo.clear(open.id, e.receivedAt, null);
    this.deps.repo.link(open.id, e.id);
    changed.add(open.id);
    this.stats.cleared++;
    this.stateChanged(key, open.id, open.inMaintenance);
    notices.push({ kind: 'clear', alarmId: open.id, ruleId: open.ruleId, target: d.notify });
  }

  /** Records a raise/clear for flap detection; marks the alarm flapping when over the limit. */
  private stateChanged(key: string, id: number, inMaint: boolean): void {
    const now = this.clock();
    let times = this.changes.get(key);
    if (!times) this.changes.set(key, (times = []));
    times.push(now);
    while (times.length && times[0]! <= now - this.opts.flapWindowMs) times.shift();
    if (times.length > this.opts.flapCount && this.flapping.get(key) !== id) {
      this.flapping.set(key, id);
      this.deps.repo.setFlags(id, inMaint, true);
    }
    if (this.changes.size > 100_000) this.changes.delete(this.changes.keys().next().value!);
  }

  /** Operator actions. Each returns the updated alarm, or undefined when the transition does not apply. */
  ack(id: number, user: string): AlarmDto | undefined {
    const dto = this.operator(id, () => this.deps.repo.ack(id, user, this.clock()));
    if (dto) this.deps.onAck?.(dto);
    return dto;
  }

  unack(id: number): AlarmDto | undefined {
    return this.operator(id, () => this.deps.repo.unack(id));
  }

  clear(id: number, user: string): AlarmDto | undefined {
    const row = this.deps.repo.get(id);
    const done = this.operator(id, () => this.deps.repo.clear(id, this.clock(), user));
    if (done && row) {
      if (this.openByKey.get(row.reduction_key)?.id === id) this.openByKey.delete(row.reduction_key);
      this.stateChanged(row.reduction_key, id, row.in_maintenance === 1);
      this.out.publish(new Set(), [{ kind: 'clear', alarmId: id, ruleId: row.rule_id, target: null }]);
    }
    return done;
  }

  note(id: number, user: string, text: string): AlarmDto | undefined {
    return this.operator(id, () => {
      this.deps.repo.addNote(id, user, text, this.clock());
      return true;
    });
  }

  private operator(id: number, fn: () => boolean): AlarmDto | undefined {
    if (!fn()) return undefined;
    const dto = this.deps.repo.dto(id);
    if (dto) this.deps.onChange(dto);
    return dto;
  }

  /**
   * Housekeeping: archives old cleared alarms, refreshes maintenance flags of
   * open alarms, ends flapping that has settled (sending the state the
   * operator missed). Returns the number of alarms changed.
   */
  sweep(): number {
    const now = this.clock();
    const repo = this.deps.repo;
    const changed = new Set<number>();
    const notices: PendingNotice[] = [];
    repo.transaction(() => {
      repo.archiveClearedBefore(now - this.opts.archiveAfterMs);
      for (const a of repo.openAll()) {
        const inMaint = this.deps.maintenance.covers(a.device_id, this.deps.device(a.device_id), now);
        if (inMaint !== (a.in_maintenance === 1)) {
          repo.setFlags(a.id, inMaint, a.flapping === 1);
          const open = this.openByKey.get(a.reduction_key);
          if (open) open.inMaintenance = inMaint;
          changed.add(a.id);
          // Out of maintenance and still a problem: tell the operator now (nothing was sent during the window).
          if (!inMaint && a.flapping !== 1 && this.out.notified(a.reduction_key) !== 'raise') {
            notices.push({ kind: 'raise', alarmId: a.id, ruleId: a.rule_id, target: null });
          }
        }
      }
      for (const a of repo.flapping()) {
        if (!this.settled(a.reduction_key, now)) continue;
        this.flapping.delete(a.reduction_key);
        repo.setFlags(a.id, a.in_maintenance === 1, false);
        changed.add(a.id);
        const state = a.state === 'cleared' ? 'clear' : 'raise';
        if (this.out.notified(a.reduction_key) !== state) notices.push({ kind: state, alarmId: a.id, ruleId: a.rule_id, target: null });
      }
    });
    this.out.publish(changed, notices);
    return changed.size;
  }

  private settled(key: string, now: number): boolean {
    const last = this.changes.get(key)?.at(-1);
    return last === undefined || now - last >= this.opts.flapSettleMs;
  }

  /** Root cause: who decides on notifications about to go out (server/rootcause). */
  setGate(gate: NotifyGate | null): void {
    this.out.setGate(gate);
  }

  /** The open alarm of a reduction key (from memory). */
  openAlarmId(key: string): number | undefined {
    return this.openByKey.get(key)?.id;
  }

  /**
   * Root cause: marks alarms suppressed under a cause (or not), sets causes' impact counts, in one
   * transaction; the changed alarms are pushed (`alarm.changed`). Returns the ids that changed.
   */
  applyRootCause(suppress: { id: number; suppressed: boolean; rootAlarmId: number | null }[], impacts: { id: number; count: number }[]): Set<number> {
    const changed = new Set<number>();
    if (suppress.length === 0 && impacts.length === 0) return changed;
    this.deps.repo.transaction(() => {
      for (const s of suppress) {
        this.deps.repo.setSuppressed(s.id, s.suppressed, s.rootAlarmId);
        changed.add(s.id);
      }
      for (const i of impacts) if (this.deps.repo.setImpact(i.id, i.count)) changed.add(i.id);
    });
    this.out.publish(changed, []);
    return changed;
  }

  /** Root cause: an alarm suppressed under a cause turned out to be its own problem: unsuppressed, and its raise notified now. */
  release(id: number): void {
    const row = this.deps.repo.get(id);
    if (!row || row.state === 'cleared') return;
    this.deps.repo.setSuppressed(id, false, null);
    this.out.publish(new Set([id]), [{ kind: 'raise', alarmId: id, ruleId: row.rule_id, target: null }]);
  }

  /** Publishes the oldest `max` pending alarm changes now (all by default): AlarmPublisher.flushChanges. */
  flushChanges(max = Infinity): void {
    this.out.flushChanges(max);
  }

  /** Stops the push timer after publishing what is pending. */
  close(): void {
    this.out.close();
  }

}

export type { AlarmRow };
