import type { AlarmDto } from '../contracts/alarms.js';
import type { DeviceStatusDto } from '../contracts/poll-state.js';
import type { NotificationKind } from '../events/engine/alarm-service.js';
import type { AlarmSuppression } from './alarm-suppression.js';
import { answerOf, REACH_KEYS } from './answer.js';
import type { RootCauseDeps, RootCauseService } from './root-cause.service.js';

/** Not answering at the last probe (before hysteresis calls it down): what a hold decides on. */
const failingNow = (s: DeviceStatusDto | undefined) => !!s && (answerOf(s) === 'down' || s.rtt.lossPct === 100);

interface Held {
  deviceId: number;
  parentId: number;
  send: () => void;
  timer: NodeJS.Timeout;
}

/**
 * The notification side of root cause: the gate AlarmService asks before it notifies a raised
 * nodeDown/snmpUnreachable alarm. An unreachable device's alarm is suppressed; a device going down
 * while its parent still looks up is held while the parent is probed (suppressed if the parent does
 * not answer, notified if it does or the hold ends undecided); one whose parent failed its last probe
 * waits as a suspect under it. Alarms found to be their device's own problem are released.
 */
export class NotificationHold {
  private readonly held = new Map<number, Held>();
  /** Parent -> alarms held for it (a parent's state resolves only its own children: O(children)). */
  private readonly heldBy = new Map<number, Set<number>>();
  /** Alarms suppressed because the parent failed a probe before being declared down: alarm -> parent. */
  private readonly suspect = new Map<number, number>();
  private readonly suspectBy = new Map<number, Set<number>>();
  private readonly released = new Set<number>();

  constructor(
    /** The service's own deps object (read at each call: `probe` may be swapped after construction). */
    private readonly deps: Pick<RootCauseDeps, 'alarms' | 'alarm' | 'status' | 'probe' | 'repoll' | 'log' | 'holdMs'>,
    private readonly stats: RootCauseService['stats'],
    private readonly rc: Pick<RootCauseService, 'reachability' | 'causeOf' | 'parentOf'>,
    private readonly suppression: AlarmSuppression,
  ) {}

  /** Alarms held now, waiting for their parent's state. */
  get heldNow(): number {
    return this.held.size;
  }

  stop(): void {
    for (const h of this.held.values()) clearTimeout(h.timer);
    this.held.clear();
    this.heldBy.clear();
  }

  /** The notification gate (AlarmService): suppress, hold or let go. */
  gate(kind: NotificationKind, alarm: AlarmDto, send: () => void): boolean {
    const id = alarm.deviceId;
    if (kind !== 'raise' || id === null || this.released.has(alarm.id)) return false;
    if (!REACH_KEYS.some((k) => alarm.reductionKey === `${k}:${id}`)) return false;
    // Just raised or reopened: the stored row is not suppressed, whatever was written for it before.
    this.suppression.forget(alarm.id);
    if (this.rc.reachability(id) === 'unreachable') {
      this.suppression.suppress(alarm.id, this.rc.causeOf(id), id);
      this.stats.notifications_suppressed++;
      return true;
    }
    const parent = this.rc.parentOf(id);
    if (parent === null || !this.deps.probe) return false;
    if (failingNow(this.deps.status(parent))) {
      // The parent failed its last probe but is not down yet (hysteresis): the child waits under it.
      this.addSuspect(alarm.id, parent);
      this.suppression.suppress(alarm.id, null);
      this.stats.notifications_suppressed++;
      return true;
    }
    // Hold until the parent's state is known: probe it now.
    this.stats.notifications_held++;
    const timer = setTimeout(() => this.endHold(alarm.id, 'timeout'), this.deps.holdMs);
    timer.unref();
    this.held.set(alarm.id, { deviceId: id, parentId: parent, send, timer });
    let set = this.heldBy.get(parent);
    if (!set) this.heldBy.set(parent, (set = new Set()));
    set.add(alarm.id);
    this.deps
      .probe(parent)
      .then((s) => {
        if (s) this.resolveHolds(parent, s);
      })
      .catch((err: unknown) => this.deps.log.warn({ err, device: parent }, 'probing a parent failed'));
    return true;
  }

  /** A parent's state arrived: held children are suppressed (it does not answer) or notified (it does). */
  resolveHolds(parentId: number, s: DeviceStatusDto): void {
    const held = this.heldBy.get(parentId);
    if (held) for (const alarmId of [...held]) this.endHold(alarmId, failingNow(s) ? 'suppress' : 'send');
    // Suspects whose parent answers after all: their alarms were their own problem.
    if (!failingNow(s) && answerOf(s) === 'up') {
      for (const alarmId of [...(this.suspectBy.get(parentId) ?? [])]) {
        this.unsuspect(alarmId);
        const dev = this.alarmDevice(alarmId);
        if (dev !== null && this.rc.reachability(dev) === 'down') this.releaseAlarm(alarmId);
      }
    }
  }

  /** A device's own nodeDown/snmpUnreachable alarm is open: its children's suspect alarms are suppressed under their cause. */
  parentDown(parentId: number): void {
    for (const alarmId of [...(this.suspectBy.get(parentId) ?? [])]) {
      this.unsuspect(alarmId);
      const dev = this.alarmDevice(alarmId);
      this.suppression.suppress(alarmId, (dev !== null ? this.rc.causeOf(dev) : null) ?? parentId, dev ?? undefined);
    }
  }

  /** An alarm cleared: a reopened alarm is decided afresh (neither released nor suspect). */
  cleared(alarmId: number): void {
    this.released.delete(alarmId);
    this.unsuspect(alarmId);
  }

  private alarmDevice(alarmId: number): number | null {
    return this.deps.alarm(alarmId)?.deviceId ?? null;
  }

  private endHold(alarmId: number, how: 'send' | 'suppress' | 'timeout'): void {
    const h = this.held.get(alarmId);
    if (!h) return;
    this.held.delete(alarmId);
    const set = this.heldBy.get(h.parentId);
    set?.delete(alarmId);
    if (set?.size === 0) this.heldBy.delete(h.parentId);
    clearTimeout(h.timer);
    if (how === 'suppress' || this.rc.reachability(h.deviceId) === 'unreachable') {
      if (this.rc.reachability(h.deviceId) !== 'unreachable') this.addSuspect(alarmId, h.parentId);
      this.suppression.suppress(alarmId, this.rc.causeOf(h.deviceId), h.deviceId);
      this.stats.notifications_suppressed++;
      return;
    }
    this.stats.notifications_released_after_hold++;
    h.send();
  }

  private addSuspect(alarmId: number, parentId: number): void {
    this.suspect.set(alarmId, parentId);
    let set = this.suspectBy.get(parentId);
    if (!set) this.suspectBy.set(parentId, (set = new Set()));
    set.add(alarmId);
  }

  private unsuspect(alarmId: number): void {
    const p = this.suspect.get(alarmId);
    if (p === undefined) return;
    this.suspect.delete(alarmId);
    const set = this.suspectBy.get(p);
    set?.delete(alarmId);
    if (set?.size === 0) this.suspectBy.delete(p);
  }

  private releaseAlarm(alarmId: number): void {
    this.released.add(alarmId);
    if (this.released.size > 100_000) this.released.delete(this.released.values().next().value!);
    this.suppression.cancel(alarmId);
    this.stats.released_own_problem++;
    this.deps.alarms.release(alarmId);
  }

  /** A cause answers again: the devices behind it are polled now; one still down is its own problem. */
  recover(ids: number[]): void {
    if (!this.deps.repoll) return;
    this.stats.repolled += ids.length;
    this.deps
      .repoll(ids)
      .then(() => {
        for (const id of ids) {
          if (this.rc.reachability(id) !== 'down') continue;
          for (const k of REACH_KEYS) {
            const alarmId = this.deps.alarms.openAlarmId(`${k}:${id}`);
            if (alarmId !== undefined && this.suppression.wasWritten(alarmId)) this.releaseAlarm(alarmId);
          }
        }
      })
      .catch((err: unknown) => this.deps.log.warn({ err, devices: ids.length }, 're-polling the devices behind a recovered cause failed'));
  }
}
