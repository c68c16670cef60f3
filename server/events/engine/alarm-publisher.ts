import type { AlarmDto } from '../../contracts/alarms.js';
import type { AlarmService, AlarmServiceDeps, NotificationKind, NotifyGate, NotifyTarget, PendingNotice } from './alarm-service.js';

/** Alarms pushed (`alarm.changed`) per turn of the event loop when many changed at once. */
export const CHANGE_SLICE = 250;

/**
 * What goes out of AlarmService: the `alarm.changed` pushes, batched and sliced, and the
 * notifications, decided at once (held in maintenance or while flapping, suppressed under a root
 * cause, or handed to the root-cause gate).
 */
export class AlarmPublisher {
  /** Last notified state per reduction key: what a settled flapping alarm must catch up on. */
  private readonly lastNotified = new Map<string, NotificationKind>();
  private readonly pendingChanges = new Set<number>();
  private changeTimer: NodeJS.Timeout | undefined;
  /** The next slice of a push under way (drainChanges). */
  private changeDrain: NodeJS.Immediate | undefined;
  private gate: NotifyGate | null = null;

  constructor(
    /** The service's own deps object. */
    private readonly deps: Pick<AlarmServiceDeps, 'repo' | 'ruleNotify' | 'onChange' | 'notify' | 'onError'>,
    /** The service's own stats object (notifications_held, notifications_suppressed are counted here). */
    private readonly stats: AlarmService['stats'],
    private readonly changeDelayMs: number,
  ) {}

  /** The state last notified for a reduction key (raise or clear), if any. */
  notified(key: string): NotificationKind | undefined {
    return this.lastNotified.get(key);
  }

  /**
   * Pushes changes (`alarm.changed`) at most every `changeDelayMs`, the newest
   * state of each alarm once, so a trap storm folding into one alarm does not
   * become a storm of pushes. Notifications are decided at once.
   */
  publish(changed: Set<number>, notices: PendingNotice[]): void {
    for (const id of changed) this.pendingChanges.add(id);
    if (this.changeDelayMs === 0) this.flushChanges();
    else if (!this.changeDrain) this.armChangeTimer();
    // Only notices some channel wants cost a database read.
    const wanted: { n: PendingNotice; target: NotifyTarget }[] = [];
    for (const n of notices) {
      const target = n.target ?? this.deps.ruleNotify(n.ruleId);
      if (target && target.on.includes(n.kind) && target.channelIds.length > 0) wanted.push({ n, target });
    }
    if (wanted.length === 0) return;
    const dtos = new Map<number, AlarmDto>();
    for (const d of this.deps.repo.dtos([...new Set(wanted.map((w) => w.n.alarmId))])) dtos.set(d.id, d);
    for (const { n, target } of wanted) {
      const alarm = dtos.get(n.alarmId);
      if (!alarm) continue;
      if (alarm.inMaintenance || alarm.flapping) {
        this.stats.notifications_held++;
        continue;
      }
      // Raised under a root cause: nothing goes out for it (issue 17).
      if (alarm.suppressed) {
        this.stats.notifications_suppressed++;
        continue;
      }
      const send = () => {
        this.lastNotified.set(alarm.reductionKey, n.kind === 'clear' ? 'clear' : 'raise');
        this.deps.notify(n.kind, alarm, target.channelIds, n.previous);
      };
      if (this.gate?.(n.kind, alarm, send)) continue;
      send();
    }
  }

  /** Root cause: who decides on notifications about to go out (server/rootcause). */
  setGate(gate: NotifyGate | null): void {
    this.gate = gate;
  }

  /**
   * Publishes the oldest `max` pending alarm changes now (all by default), in the order they changed.
   * An alarm changed again after its push is pending again and pushed again with its newest state.
   */
  flushChanges(max = Infinity): void {
    if (this.pendingChanges.size === 0) return;
    let ids: number[];
    if (this.pendingChanges.size <= max) {
      ids = [...this.pendingChanges];
      this.pendingChanges.clear();
    } else {
      ids = [];
      for (const id of this.pendingChanges) {
        if (ids.length >= max) break;
        ids.push(id);
      }
      for (const id of ids) this.pendingChanges.delete(id);
    }
    for (const d of this.deps.repo.dtos(ids)) this.deps.onChange(d);
  }

  /**
   * The timer's push: CHANGE_SLICE alarms per turn of the event loop until none is pending (a storm
   * raising 5,000 alarms pushed them in one turn: ~0.75 s of DTOs and `alarm.changed` listeners,
   * PERFORMANCE.md "Alarm storm"). Changes arriving meanwhile are pushed after the next interval, as
   * before (a busy alarm is not pushed every turn).
   */
  private drainChanges(left: number): void {
    this.changeDrain = undefined;
    const n = Math.min(CHANGE_SLICE, left);
    try {
      this.flushChanges(n);
    } catch (err) {
      this.deps.onError?.(err);
    }
    if (left - n > 0) this.changeDrain = setImmediate(() => this.drainChanges(left - n));
    else this.armChangeTimer();
  }

  private armChangeTimer(): void {
    if (this.changeTimer || this.pendingChanges.size === 0) return;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      // What is pending now, a slice per turn; what changes meanwhile waits for the next interval.
      this.drainChanges(this.pendingChanges.size);
    }, this.changeDelayMs);
    this.changeTimer.unref();
  }

  /** Stops the push timer after publishing what is pending. */
  close(): void {
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
    if (this.changeDrain) clearImmediate(this.changeDrain);
    this.changeDrain = undefined;
    this.flushChanges();
  }
}
