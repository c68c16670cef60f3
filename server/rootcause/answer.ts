import type { DeviceStatusDto } from '../contracts/poll-state.js';

export type Answer = 'up' | 'down' | 'unknown';

/** The alarms that say a device does not answer (`nodeDown:<id>`, `snmpUnreachable:<id>`): what root cause suppresses. */
export const REACH_KEYS = ['nodeDown', 'snmpUnreachable'] as const;

/** Whether a device answers, from its poll status: ICMP first (reachability), SNMP where ICMP is not known. */
export function answerOf(s: DeviceStatusDto | undefined): Answer {
  if (!s) return 'unknown';
  if (s.icmpState === 'down') return 'down';
  if (s.icmpState === 'up') return 'up';
  if (s.snmpState === 'down') return 'down';
  if (s.snmpState === 'up') return 'up';
  return 'unknown';
}
