/**
 * Hysteresis for reachability: a device goes down after `downAfter`
 * consecutive failed cycles (default 3) and comes back up on the first
 * success. Pure: the caller keeps the state per device.
 */
export type Reach = 'up' | 'down' | 'unknown';

export interface ReachState {
  status: Reach;
  /** Consecutive failed cycles so far. */
  failures: number;
}

export const initialReach = (): ReachState => ({ status: 'unknown', failures: 0 });

export interface ReachStep {
  state: ReachState;
  /** Set when the status changed in this step (for events). */
  changed: { from: Reach; to: Reach } | null;
}

export function stepReach(prev: ReachState, success: boolean, downAfter = 3): ReachStep {
  const n = Math.max(1, Math.floor(downAfter));
  if (success) {
    const state: ReachState = { status: 'up', failures: 0 };
    return { state, changed: prev.status === 'up' ? null : { from: prev.status, to: 'up' } };
  }
  const failures = prev.failures + 1;
  const status: Reach = failures >= n ? 'down' : prev.status;
  return { state: { status, failures }, changed: status !== prev.status ? { from: prev.status, to: status } : null };
}

/** An ICMP cycle counts as a success when at least one echo came back. */
export const icmpSuccess = (r: { received: number }) => r.received > 0;
