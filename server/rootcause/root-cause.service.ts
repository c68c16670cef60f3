import type { AlarmDto } from '../contracts/alarms.js';
import type { DeviceStatusDto } from '../contracts/poll-state.js';
import type { AlarmImpactDto, DeviceDependencyDto, Reachability } from '../contracts/root-cause.js';
import type { AlarmService, NotificationKind } from '../events/engine/alarm-service.js';
import type { Logger } from '../log/logger.js';
import type { DerivedResult, DerivedRow } from './derive.js';

type Answer = 'up' | 'down' | 'unknown';

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

const REACH_KEYS = ['nodeDown', 'snmpUnreachable'] as const;
/** Alarm writes and status pushes per turn of the event loop. */
const FLUSH_SLICE = 500;
const LINK_DOWN = /^linkDown:(\d+):(.+)$/;

/** Whether a device answers, from its poll status: ICMP first (reachability), SNMP where ICMP is not known. */
export function answerOf(s: DeviceStatusDto | undefined): Answer {
  if (!s) return 'unknown';
  if (s.icmpState === 'down') return 'down';
  if (s.icmpState === 'up') return 'up';
  if (s.snmpState === 'down') return 'down';
  if (s.snmpState === 'up') return 'up';
  return 'unknown';
}

/** Not answering at the last probe (before hysteresis calls it down): what a hold decides on. */
const failingNow = (s: DeviceStatusDto | undefined) => !!s && (answerOf(s) === 'down' || s.rtt.lossPct === 100);

interface Held {
  deviceId: number;
  parentId: number;
  send: () => void;
  timer: NodeJS.Timeout;
}

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
  /** Cause device -> the alarms its impact was last counted on, with the counts (kept after they clear, so counts drop to 0). */
  private readonly impactCounts = new Map<number, Map<number, number>>();
  /** Alarm -> root alarm we last wrote (so each change is written once). */
  private readonly written = new Map<number, number | null>();
  private readonly held = new Map<number, Held>();
  /** Parent -> alarms held for it (a parent's state resolves only its own children: O(children)). */
  private readonly heldBy = new Map<number, Set<number>>();
  /** Alarms suppressed because the parent failed a probe before being declared down: alarm -> parent. */
  private readonly suspect = new Map<number, number>();
  private readonly suspectBy = new Map<number, Set<number>>();
  private readonly released = new Set<number>();
  private readonly pendingSuppress = new Map<number, { suppressed: boolean; rootAlarmId: number | null }>();
  private readonly pendingStatus = new Set<number>();
  private readonly dirtyCauses = new Set<number>();
  private flushScheduled = false;
  private recomputeTimer: NodeJS.Timeout | null = null;
  private recomputing: Promise<void> | null = null;
  private again = false;
  private followUp: Promise<void> | null = null;
  private stopped = false;
  /** The device whose own status is being handled (its status is pushed by the poller, not again here). */
  private current: number | null = null;
  readonly stats = { recomputes: 0, recompute_errors: 0, recompute_ms_last: 0, notifications_suppressed: 0, notifications_held: 0, notifications_released_after_hold: 0, released_own_problem: 0, repolled: 0, unreachable: 0 };

  constructor(private readonly deps: RootCauseDeps) {}

  start(): void {
    for (const [id, s] of this.deps.allStatus()) this.answer.set(id, answerOf(s));
    this.deps.alarms.setGate((kind, alarm, send) => this.gate(kind, alarm, send));
    this.scheduleRecompute(0);
  }

  stop(): void {
    this.stopped = true;
    this.deps.alarms.setGate(null);
    if (this.recomputeTimer) clearTimeout(this.recomputeTimer);
    for (const h of this.held.values()) clearTimeout(h.timer);
    this.held.clear();
    this.heldBy.clear();
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
      if (behind.length) this.recover(behind);
    }
    this.resolveHolds(id, s);
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
      this.dirtyCauses.add(wasCause);
    }
    if (was === 'unreachable') this.stats.unreachable--;
    if (r === 'unreachable') {
      this.stats.unreachable++;
      let set = this.impacted.get(cause!);
      if (!set) this.impacted.set(cause!, (set = new Set()));
      set.add(id);
      this.dirtyCauses.add(cause!);
      // Its alarms raised before the cause was known are suppressed now.
      for (const k of REACH_KEYS) {
        const alarmId = this.deps.alarms.openAlarmId(`${k}:${id}`);
        if (alarmId !== undefined) this.suppress(alarmId, cause!);
      }
    }
    // Pushed in slices (a cause seen down after its 5,000 children must not hold the thread for 5,000 reads).
    if (was !== undefined && id !== this.current) this.pendingStatus.add(id);
    this.scheduleFlush();
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

  private suppress(alarmId: number, cause: number | null, forDevice?: number): void {
    const root = cause === null ? null : this.causeAlarmOf(cause, forDevice);
    if (root === alarmId) return;
    if (this.written.has(alarmId) && this.written.get(alarmId) === root) return;
    this.written.set(alarmId, root);
    this.pendingSuppress.set(alarmId, { suppressed: true, rootAlarmId: root });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      try {
        this.flush();
      } catch (err) {
        this.deps.log.error({ err }, 'root-cause alarm update failed');
      }
    });
  }

  /** Writes pending suppressions and impact counts in one transaction. */
  flush(): void {
    // At most FLUSH_SLICE writes and pushes per turn of the event loop; the rest on the next turn.
    const suppress: { id: number; suppressed: boolean; rootAlarmId: number | null }[] = [];
    for (const [id, v] of this.pendingSuppress) {
      if (suppress.length >= FLUSH_SLICE) break;
      suppress.push({ id, ...v });
    }
    for (const s of suppress) this.pendingSuppress.delete(s.id);
    let pushed = 0;
    for (const id of this.pendingStatus) {
      if (pushed++ >= FLUSH_SLICE) break;
      this.pendingStatus.delete(id);
      const s = this.deps.status(id);
      if (s) this.deps.publishStatus(s);
    }
    if (this.pendingSuppress.size || this.pendingStatus.size) this.scheduleFlush();
    const impacts: { id: number; count: number }[] = [];
    for (const c of this.dirtyCauses) {
      // Per alarm: a linkDown on a port counts the devices behind that port, the device's own alarm the rest.
      const counts = new Map<number, number>();
      for (const d of this.impacted.get(c) ?? []) {
        const alarmId = this.causeAlarmOf(c, d);
        if (alarmId !== null) counts.set(alarmId, (counts.get(alarmId) ?? 0) + 1);
      }
      const before = this.impactCounts.get(c);
      for (const [alarmId, n] of counts) impacts.push({ id: alarmId, count: n });
      if (before) for (const alarmId of before.keys()) if (!counts.has(alarmId)) impacts.push({ id: alarmId, count: 0 });
      if (counts.size) this.impactCounts.set(c, counts);
      else this.impactCounts.delete(c);
    }
    this.dirtyCauses.clear();
    this.deps.alarms.applyRootCause(suppress, impacts);
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
      this.written.delete(a.id);
      this.released.delete(a.id);
      this.unsuspect(a.id);
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
          if (alarmId !== undefined) this.suppress(alarmId, id, d);
        }
      }
      this.dirtyCauses.add(id);
      this.scheduleFlush();
    }
    // Held or suspect alarms of this device's children whose parent is now known down.
    for (const alarmId of [...(this.suspectBy.get(id) ?? [])]) {
      this.unsuspect(alarmId);
      const dev = this.alarmDevice(alarmId);
      this.suppress(alarmId, (dev !== null ? this.causeOf(dev) : null) ?? id, dev ?? undefined);
    }
  }

  private alarmDevice(alarmId: number): number | null {
    return this.deps.alarm(alarmId)?.deviceId ?? null;
  }

  private updateChildren(dev: number): void {
    for (const c of this.children.get(dev) ?? []) this.update(c);
  }

  /** The notification gate (AlarmService): suppress, hold or let go. */
  private gate(kind: NotificationKind, alarm: AlarmDto, send: () => void): boolean {
    const id = alarm.deviceId;
    if (kind !== 'raise' || id === null || this.released.has(alarm.id)) return false;
    if (!REACH_KEYS.some((k) => alarm.reductionKey === `${k}:${id}`)) return false;
    // Just raised or reopened: the stored row is not suppressed, whatever was written for it before.
    this.written.delete(alarm.id);
    if (this.reachability(id) === 'unreachable') {
      this.suppress(alarm.id, this.causeOf(id), id);
      this.stats.notifications_suppressed++;
      return true;
    }
    const parent = this.parentOf(id);
    if (parent === null || !this.deps.probe) return false;
    if (failingNow(this.deps.status(parent))) {
      // The parent failed its last probe but is not down yet (hysteresis): the child waits under it.
      this.addSuspect(alarm.id, parent);
      this.suppress(alarm.id, null);
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
  private resolveHolds(parentId: number, s: DeviceStatusDto): void {
    const held = this.heldBy.get(parentId);
    if (held) for (const alarmId of [...held]) this.endHold(alarmId, failingNow(s) ? 'suppress' : 'send');
    // Suspects whose parent answers after all: their alarms were their own problem.
    if (!failingNow(s) && answerOf(s) === 'up') {
      for (const alarmId of [...(this.suspectBy.get(parentId) ?? [])]) {
        this.unsuspect(alarmId);
        const dev = this.alarmDevice(alarmId);
        if (dev !== null && this.reachability(dev) === 'down') this.releaseAlarm(alarmId);
      }
    }
  }

  private endHold(alarmId: number, how: 'send' | 'suppress' | 'timeout'): void {
    const h = this.held.get(alarmId);
    if (!h) return;
    this.held.delete(alarmId);
    const set = this.heldBy.get(h.parentId);
    set?.delete(alarmId);
    if (set?.size === 0) this.heldBy.delete(h.parentId);
    clearTimeout(h.timer);
    if (how === 'suppress' || this.reachability(h.deviceId) === 'unreachable') {
      if (this.reachability(h.deviceId) !== 'unreachable') this.addSuspect(alarmId, h.parentId);
      this.suppress(alarmId, this.causeOf(h.deviceId), h.deviceId);
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
    this.written.delete(alarmId);
    this.pendingSuppress.delete(alarmId);
    this.stats.released_own_problem++;
    this.deps.alarms.release(alarmId);
  }

  /** A cause answers again: the devices behind it are polled now; one still down is its own problem. */
  private recover(ids: number[]): void {
    if (!this.deps.repoll) return;
    this.stats.repolled += ids.length;
    this.deps
      .repoll(ids)
      .then(() => {
        for (const id of ids) {
          if (this.reachability(id) !== 'down') continue;
          for (const k of REACH_KEYS) {
            const alarmId = this.deps.alarms.openAlarmId(`${k}:${id}`);
            if (alarmId !== undefined && this.written.has(alarmId)) this.releaseAlarm(alarmId);
          }
        }
      })
      .catch((err: unknown) => this.deps.log.warn({ err, devices: ids.length }, 're-polling the devices behind a recovered cause failed'));
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
    return { ...this.stats, devices: this.rows.size, held_now: this.held.size };
  }
}
