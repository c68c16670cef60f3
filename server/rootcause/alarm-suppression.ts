import type { RootCauseDeps } from './root-cause.service.js';

/** Alarm writes and status pushes per turn of the event loop. */
const FLUSH_SLICE = 500;

/** What the writer reads from the root-cause state when it flushes. */
export interface SuppressionSource {
  /** The alarm a cause device's impact is counted on (for the device behind it), or null. */
  causeAlarmOf: (cause: number, forDevice?: number) => number | null;
  /** Devices unreachable under a cause device now. */
  impacted: (cause: number) => Iterable<number>;
}

/**
 * The root-cause side of the alarms, written in batches: suppressions (alarm -> its root alarm), the
 * impact counts on cause alarms, and the `device.status` pushes of devices whose reachability changed.
 * Changes are collected and flushed on the next turn of the event loop, at most FLUSH_SLICE writes and
 * pushes per turn.
 */
export class AlarmSuppression {
  /** Alarm -> root alarm we last wrote (so each change is written once). */
  private readonly written = new Map<number, number | null>();
  /** Cause device -> the alarms its impact was last counted on, with the counts (kept after they clear, so counts drop to 0). */
  private readonly impactCounts = new Map<number, Map<number, number>>();
  private readonly pendingSuppress = new Map<number, { suppressed: boolean; rootAlarmId: number | null }>();
  private readonly pendingStatus = new Set<number>();
  private readonly dirtyCauses = new Set<number>();
  private flushScheduled = false;

  constructor(
    private readonly deps: Pick<RootCauseDeps, 'alarms' | 'status' | 'publishStatus' | 'log'>,
    private readonly source: SuppressionSource,
  ) {}

  suppress(alarmId: number, cause: number | null, forDevice?: number): void {
    const root = cause === null ? null : this.source.causeAlarmOf(cause, forDevice);
    if (root === alarmId) return;
    if (this.written.has(alarmId) && this.written.get(alarmId) === root) return;
    this.written.set(alarmId, root);
    this.pendingSuppress.set(alarmId, { suppressed: true, rootAlarmId: root });
    this.scheduleFlush();
  }

  /** Whether a suppression was written for the alarm (and not forgotten since). */
  wasWritten(alarmId: number): boolean {
    return this.written.has(alarmId);
  }

  /** The stored alarm row is unsuppressed again (raised, reopened, cleared): the next decision is written afresh. */
  forget(alarmId: number): void {
    this.written.delete(alarmId);
  }

  /** The alarm is released as its own problem: nothing is written for it any more. */
  cancel(alarmId: number): void {
    this.written.delete(alarmId);
    this.pendingSuppress.delete(alarmId);
  }

  /** A cause device's set of impacted devices changed: its counts are written on the next flush. */
  causeChanged(cause: number): void {
    this.dirtyCauses.add(cause);
  }

  /** A device's reachability changed: its status is pushed on the next flush. */
  statusChanged(deviceId: number): void {
    this.pendingStatus.add(deviceId);
  }

  scheduleFlush(): void {
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
      for (const d of this.source.impacted(c)) {
        const alarmId = this.source.causeAlarmOf(c, d);
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
}
