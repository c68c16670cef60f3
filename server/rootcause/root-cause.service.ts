import type { AlarmDto } from '../contracts/alarms.js';
import type { DeviceStatusDto } from '../contracts/poll-state.js';
import type { AlarmImpactDto, DeviceDependencyDto, Reachability } from '../contracts/root-cause.js';
import type { AlarmService } from '../events/engine/alarm-service.js';
import type { Logger } from '../log/logger.js';
import { AlarmSuppression } from './alarm-suppression.js';
import { type Answer, answerOf, REACH_KEYS } from './answer.js';
import type { DerivedResult, DerivedRow } from './derive.js';
import { NotificationHold } from './notification-hold.js';

export { answerOf } from './answer.js';

export interface RootCauseDeps {
  alarms: Pick<AlarmService, 'setGate' | 'openAlarmId' | 'applyRootCause' | 'release'>;
  /** Alarms raised as suppressed under a cause (open first). */
  suppressedUnder: (alarmId: number) => number[];
  /** An alarm's device and reduction key. */
  alarm: (id: number) => { deviceId: number | null; reductionKey: string } | undefined;
  device: (id: number) => { id: number; name: string; address: string } | undefined;
  /** A device's stored poll status. */
  status: (id: number) => DeviceStatusDto | undefined;
  allStatus: () => Map<number, DeviceStatusDto>;
  /** Pushes a device's status (decorated with reachability) to consoles: `device.status`. */
  publishStatus: (s: DeviceStatusDto) => void;
  /** Runs the derivation (on a reader thread). */
  derive: () => Promise<DerivedResult>;
  /** Probes a device now (the poll service's poll-now); null where nothing is polled here (central). */
  probe: ((deviceId: number) => Promise<DeviceStatusDto | undefined>) | null;
  /** Polls these devices now, bounded concurrency (recovery); null where nothing is polled here. */
  repoll: ((ids: number[]) => Promise<void>) | null;
  log: Logger;
  /** How long a child's notification waits for its parent's state (rootCauseHoldSeconds). */
  holdMs: number;
  /** Pause before a recompute after a topology/device/pin change. Default 500 ms. */
  recomputeDelayMs?: number;
}

const LINK_DOWN = /^linkDown:(\d+):(.+)$/;

/**
 * Root-cause analysis (issue 17). Keeps each device's parent (derived on a reader thread, recomputed
 * on topology/device/pin changes only) and its reachability: a device that does not answer while a
 * device on its path is down, or while its parent's port toward it has an open linkDown alarm, is
 * `unreachable` under that cause. A state change touches the device and the part of its subtree that
 * does not answer (O(children)), never the whole graph.
 *
 * Alarms: nodeDown/snmpUnreachable alarms of unreachable devices are suppressed under the cause's alarm
 * (no notification); the cause carries `impactCount`. A device going down while its parent still looks
 * up holds its notification: the parent is probed at once (OpenNMS path outage) and the notification
 * goes out only if the parent answers (or the hold ends undecided). When a cause answers again, the
 * devices behind it are polled at once; one still down then is its own problem (released, notified).
 *
 * This class keeps the graph and the reachability; it owns an AlarmSuppression (batched writes of
 * suppressions, impact counts and status pushes) and a NotificationHold (the gate: hold, suspect, release).
 */
export class RootCauseService {
  private rows = new Map<number, DerivedRow>();
  private children = new Map<number, number[]>();
  private readonly answer = new Map<number, Answer>();
  private readonly reach = new Map<number, Reachability>();
  private readonly cause = new Map<number, number | null>();
  /** Cause device -> devices unreachable under it. */
  private readonly impacted = new Map<number, Set<number>>();
  /** Device -> its ports (lower case) with an open linkDown alarm, and the alarm. */
  private readonly downPorts = new Map<number, Map<string, number>>();
  private readonly suppression: AlarmSuppression;
  private readonly hold: NotificationHold;
  private recomputeTimer: NodeJS.Timeout | null = null;
  private recomputing: Promise<void> | null = null;
  private again = false;
  private followUp: Promise<void> | null = null;
  private stopped = false;
  /** The device whose own status is being handled (its status is pushed by the poller, not again here). */
  private current: number | null = null;
  readonly stats = { recomputes: 0, recompute_errors: 0, recompute_ms_last: 0, notifications_suppressed: 0, notifications_held: 0, notifications_released_after_hold: 0, released_own_problem: 0, repolled: 0, unreachable: 0 };

  constructor(private readonly deps: RootCauseDeps) {
    this.suppression = new AlarmSuppression(deps, { causeAlarmOf: (cause, forDevice) => this.causeAlarmOf(cause, forDevice), impacted: (cause) => this.impacted.get(cause) ?? [] });
    this.hold = new NotificationHold(deps, this.stats, this, this.suppression);
  }

  start(): void {
    for (const [id, s] of this.deps.allStatus()) this.answer.set(id, answerOf(s));
    this.deps.alarms.setGate((kind, alarm, send) => this.hold.gate(kind, alarm, send));
    this.scheduleRecompute(0);
  }

  stop(): void {
    this.stopped = true;
    this.deps.alarms.setGate(null);
    if (this.recomputeTimer) clearTimeout(this.recomputeTimer);
    this.hold.stop();
  }

  // ---- graph ----

  /** Topology, devices or pins changed: recompute soon (once for a burst of changes). */
  scheduleRecompute(delayMs = this.deps.recomputeDelayMs ?? 500): void {
    if (this.stopped) return;
    if (this.recomputing) {
      this.again = true;
      return;
    }
    if (this.recomputeTimer) return;
    this.recomputeTimer = setTimeout(() => {
      this.recomputeTimer = null;
      void this.recompute();
    }, delayMs);
    this.recomputeTimer.unref();
  }

  /**
   * Recomputes parents now; resolves once a computation that started after this call is applied.
   * One under way may have read the pins and links before the change the caller just made: one more
   * follows it (shared by every call made meanwhile), and the callers are answered after that one.
   */
  recompute(): Promise<void> {
    if (this.recomputing) {
      this.followUp ??= this.recomputing.then(() => {
        this.followUp = null;
        return this.stopped ? undefined : this.recompute();
      });
      return this.followUp;
    }
    const started = performance.now();
    this.recomputing = this.deps
      .derive()
      .then((r) => {
        if (!this.stopped) this.apply(r);
        this.stats.recomputes++;
        this.stats.recompute_ms_last = Math.round(performance.now() - started);
      })
      .catch((err: unknown) => {
        this.stats.recompute_errors++;
        this.deps.log.error({ err }, 'root-cause parents could not be derived');
      })
      .finally(() => {
        this.recomputing = null;
        if (this.again) {
          this.again = false;
          this.scheduleRecompute();
        }
      });
    return this.recomputing;
  }

  private apply(r: DerivedResult): void {
    const rows = new Map<number, DerivedRow>();
    const children = new Map<number, number[]>();
    for (const row of r.rows) {
      rows.set(row.id, row);
      if (row.parentId !== null) {
        let l = children.get(row.parentId);
        if (!l) children.set(row.parentId, (l = []));
        l.push(row.id);
      }
    }
    this.rows = rows;
    this.children = children;
    for (const id of [...this.answer.keys()]) if (!rows.has(id)) this.forget(id);
    // Every device, top-down from the roots, so each is judged after its parent (once per recompute).
    const queue = r.rows.filter((row) => row.parentId === null).map((row) => row.id);
    for (let i = 0; i < queue.length; i++) {
      this.evaluate(queue[i]!);
      for (const c of children.get(queue[i]!) ?? []) queue.push(c);
    }
  }

  private forget(id: number): void {
    this.answer.delete(id);
    this.setReach(id, 'unknown', null);
    this.reach.delete(id);
    this.cause.delete(id);
  }

  parentOf(id: number): number | null {
    return this.rows.get(id)?.parentId ?? null;
  }

  /** Ids from the root down to the device (inclusive); [] when the device is unknown. */
  path(id: number): number[] {
    if (!this.rows.has(id)) return [];
    const out: number[] = [];
    const seen = new Set<number>();
    for (let cur: number | null = id; cur !== null && !seen.has(cur); cur = this.parentOf(cur)) {
      seen.add(cur);
      out.push(cur);
    }
    return out.reverse();
  }

  dependency(id: number, pins: { pinnedParentId: number | null; isRoot: boolean; groupParentId: number | null }): DeviceDependencyDto {
    const row = this.rows.get(id);
    return {
      deviceId: id,
      parentId: row?.parentId ?? null,
      pinnedParentId: pins.pinnedParentId,
      groupParentId: pins.groupParentId,
      isRoot: pins.isRoot,
      derivedFrom: row?.derivedFrom ?? 'none',
      path: this.path(id),
      viaPort: row?.viaPort ?? null,
    };
  }

  // ---- reachability ----

  reachability(id: number): Reachability {
    return this.reach.get(id) ?? 'unknown';
  }

  causeOf(id: number): number | null {
    return this.cause.get(id) ?? null;
  }

  /** Devices unreachable under a cause device now. */
  impactedBy(id: number): number[] {
    return [...(this.impacted.get(id) ?? [])];
  }

  /** Decorates a status with reachability (what the API and pushes carry). */
  decorate(s: DeviceStatusDto): DeviceStatusDto {
    s.reachability = this.reachability(s.deviceId);
    s.causeDeviceId = this.causeOf(s.deviceId);
    return s;
  }

  /** A device's polled state arrived (`device.status`). */
  onStatus(s: DeviceStatusDto): void {
    const id = s.deviceId;
    const next = answerOf(s);
    const before = this.answer.get(id) ?? 'unknown';
    if (next !== before) {
      this.answer.set(id, next);
      // Devices behind a cause that answers again: poll them now, not at their next interval.
      const behind = next === 'up' ? this.impactedBy(id) : [];
      this.current = id;
      try {
        this.update(id);
      } finally {
        this.current = null;
      }
      if (behind.length) this.hold.recover(behind);
    }
    this.hold.resolveHolds(id, s);
    this.decorate(s);
  }

  /** Judges a device, then the part of its subtree that does not answer (top-down): O(affected devices). */
  private update(start: number): void {
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i]!;
      this.evaluate(id);
      // A child that answers (and is known up) is judged by itself: below it nothing depends on what happened here.
      for (const c of this.children.get(id) ?? []) if ((this.answer.get(c) ?? 'unknown') !== 'up' || this.reach.get(c) !== 'up') queue.push(c);
    }
  }

  /** Returns whether the device's reachability or cause changed. */
  private evaluate(id: number): boolean {
    const a = this.answer.get(id) ?? 'unknown';
    if (a === 'up') return this.setReach(id, 'up', null);
    if (a === 'unknown') return this.setReach(id, 'unknown', null);
    const row = this.rows.get(id);
    const p = row?.parentId ?? null;
    if (p === null) return this.setReach(id, 'down', null);
    const ports = this.downPorts.get(p);
    if (ports && row!.viaKeys.some((k) => ports.has(k))) return this.setReach(id, 'unreachable', p);
    if ((this.answer.get(p) ?? 'unknown') === 'down') {
      const pc = this.reach.get(p) === 'unreachable' ? (this.cause.get(p) ?? p) : p;
      return this.setReach(id, 'unreachable', pc);
    }
    return this.setReach(id, 'down', null);
  }

  private setReach(id: number, r: Reachability, cause: number | null): boolean {
    const was = this.reach.get(id);
    const wasCause = this.cause.get(id) ?? null;
    if (was === r && wasCause === cause) return false;
    this.reach.set(id, r);
    this.cause.set(id, cause);
    if (wasCause !== null) {
      this.impacted.get(wasCause)?.delete(id);
      this.suppression.causeChanged(wasCause);
    }
    if (was === 'unreachable') this.stats.unreachable--;
    if (r === 'unreachable') {
      this.stats.unreachable++;
      let set = this.impacted.get(cause!);
      if (!set) this.impacted.set(cause!, (set = new Set()));
      set.add(id);
      this.suppression.causeChanged(cause!);
      // Its alarms raised before the cause was known are suppressed now.
      for (const k of REACH_KEYS) {
        const alarmId = this.deps.alarms.openAlarmId(`${k}:${id}`);
        if (alarmId !== undefined) this.suppression.suppress(alarmId, cause!);
      }
    }
    // Pushed in slices (a cause seen down after its 5,000 children must not hold the thread for 5,000 reads).
    if (was !== undefined && id !== this.current) this.suppression.statusChanged(id);
    this.suppression.scheduleFlush();
    return true;
  }

  /** The alarm a cause device's impact is counted on: a linkDown on the port toward the subtree, its nodeDown, its snmpUnreachable. */
  private causeAlarmOf(cause: number, forDevice?: number): number | null {
    if (forDevice !== undefined) {
      const ports = this.downPorts.get(cause);
      const row = this.rows.get(forDevice);
      if (ports && row) for (const k of row.viaKeys) if (ports.has(k)) return ports.get(k)!;
    }
    for (const k of REACH_KEYS) {
      const id = this.deps.alarms.openAlarmId(`${k}:${cause}`);
      if (id !== undefined) return id;
    }
    return null;
  }

  /** Writes pending suppressions and impact counts in one transaction. */
  flush(): void {
    this.suppression.flush();
  }

  // ---- alarms ----

  /** `alarm.changed`: a cause's alarm appeared (its impacted devices' alarms point at it), linkDown ports. */
  onAlarm(a: AlarmDto): void {
    const open = a.state !== 'cleared';
    const link = LINK_DOWN.exec(a.reductionKey);
    if (link) {
      const dev = Number(link[1]);
      const port = link[2]!.toLowerCase();
      let ports = this.downPorts.get(dev);
      const had = ports?.get(port) === a.id;
      if (open && !had) {
        if (!ports) this.downPorts.set(dev, (ports = new Map()));
        ports.set(port, a.id);
        this.update(dev);
        this.updateChildren(dev);
      } else if (!open && had) {
        ports!.delete(port);
        if (ports!.size === 0) this.downPorts.delete(dev);
        this.updateChildren(dev);
      }
      return;
    }
    if (!open) {
      // A reopened alarm starts unsuppressed (the repository resets it): decided afresh.
      this.suppression.forget(a.id);
      this.hold.cleared(a.id);
      return;
    }
    if (a.deviceId === null) return;
    const id = a.deviceId;
    if (!REACH_KEYS.some((k) => a.reductionKey === `${k}:${id}`)) return;
    // The cause's alarm exists now: impacted devices' alarms point at it, its count is set.
    const set = this.impacted.get(id);
    if (set?.size) {
      for (const d of set) {
        for (const k of REACH_KEYS) {
          const alarmId = this.deps.alarms.openAlarmId(`${k}:${d}`);
          if (alarmId !== undefined) this.suppression.suppress(alarmId, id, d);
        }
      }
      this.suppression.causeChanged(id);
      this.suppression.scheduleFlush();
    }
    // Held or suspect alarms of this device's children whose parent is now known down.
    this.hold.parentDown(id);
  }

  private updateChildren(dev: number): void {
    for (const c of this.children.get(dev) ?? []) this.update(c);
  }

  /** `GET /alarms/:id/impact`. */
  impact(alarmId: number): AlarmImpactDto | undefined {
    const a = this.deps.alarm(alarmId);
    if (!a) return undefined;
    let cause: number | null = null;
    const link = LINK_DOWN.exec(a.reductionKey);
    if (link) cause = Number(link[1]);
    else if (a.deviceId !== null) cause = a.deviceId;
    const ids = cause === null ? [] : this.impactedBy(cause).filter((d) => !link || this.causeAlarmOf(cause!, d) === alarmId);
    const devices = ids
      .sort((x, y) => x - y)
      .map((d) => {
        const dev = this.deps.device(d);
        return { id: d, name: dev?.name ?? String(d), address: dev?.address ?? '', reachability: this.reachability(d) };
      });
    return { alarmId, count: devices.length, devices, suppressedAlarmIds: this.deps.suppressedUnder(alarmId) };
  }

  counters(): Record<string, number> {
    return { ...this.stats, devices: this.rows.size, held_now: this.hold.heldNow };
  }
}
