/**
 * Root-cause view helpers (issue 17), pure: the alarms page groups alarms raised
 * as suppressed under their cause, the map styles causes/unreachable devices,
 * the device pages say "unreachable (behind <cause>)". Fields from
 * server/contracts/root-cause.ts are optional here so an older server's answers
 * still read as "no root-cause information".
 */
import type { AlarmDto } from '@contracts/alarms';
import type { DeviceDependencyDto, Reachability, RootCauseAlarmFields } from '@contracts/root-cause';
import { compareAlarms } from './event-list';

export type RcAlarm = AlarmDto & Partial<RootCauseAlarmFields>;

export interface AlarmGroup<A extends RcAlarm = RcAlarm> {
  alarm: A;
  /** Open suppressed alarms under this one that the client holds (may be fewer than `count`). */
  suppressed: A[];
  /** Devices impacted: the server's impactCount, else the suppressed alarms known here. */
  count: number;
}

/**
 * Top-level rows (alarms not suppressed, plus suppressed ones whose cause is not in
 * the list, so nothing disappears) with their suppressed alarms under them, sorted
 * like the flat list (severity, then most recent).
 */
export function groupByCause<A extends RcAlarm>(alarms: readonly A[]): AlarmGroup<A>[] {
  const ids = new Set(alarms.map((a) => a.id));
  const under = new Map<number, A[]>();
  const top: A[] = [];
  for (const a of alarms) {
    const cause = a.suppressed && a.rootAlarmId != null && a.rootAlarmId !== a.id && ids.has(a.rootAlarmId) ? a.rootAlarmId : null;
    if (cause === null) top.push(a);
    else {
      const list = under.get(cause);
      if (list) list.push(a);
      else under.set(cause, [a]);
    }
  }
  return top.sort(compareAlarms).map((alarm) => {
    const suppressed = (under.get(alarm.id) ?? []).sort(compareAlarms);
    return { alarm, suppressed, count: Math.max(alarm.impactCount ?? 0, suppressed.length) };
  });
}

/** Device state for lists and the device page: a device behind a failed one is not "down". */
export interface ReachInput {
  icmpState: string;
  snmpState: string;
  reachability?: Reachability;
  causeDeviceId?: number | null;
}

export function unreachableLabel(s: ReachInput | undefined, name: (id: number) => string | undefined): string | null {
  if (!s || s.reachability !== 'unreachable') return null;
  if (s.causeDeviceId == null) return 'unreachable';
  return `unreachable (behind ${name(s.causeDeviceId) ?? `#${s.causeDeviceId}`})`;
}

/** Map node classes: one per root-cause state, so the stylesheet (and the legend) can tell them apart. */
export function nodeRcClasses(n: { reachability?: Reachability; rootCause?: boolean; suppressedAlarms?: number }): string {
  const c: string[] = [];
  if (n.rootCause) c.push('rc-cause');
  if (n.reachability === 'unreachable') c.push('rc-unreachable');
  if ((n.suppressedAlarms ?? 0) > 0) c.push('rc-suppressed');
  return c.join(' ');
}

/** Node label: a cause marked, the device's suppressed alarm count as a badge after the name (cytoscape draws text, not HTML). */
export function nodeLabel(n: { label: string; suppressedAlarms?: number; rootCause?: boolean }): string {
  const s = n.suppressedAlarms ?? 0;
  const base = n.rootCause ? `⚠ ${n.label} (root cause)` : n.label;
  return s > 0 ? `${base} [${s} suppressed]` : base;
}

export const DERIVED_FROM_TEXT: Record<DeviceDependencyDto['derivedFrom'], string> = {
  pinned: 'pinned on this device',
  group: "pinned for the device's group",
  topology: 'derived from the topology (LLDP/CDP and manual links)',
  root: 'marked as a root (first hop from the polling site)',
  none: 'none: no path from the polling site is known',
};
