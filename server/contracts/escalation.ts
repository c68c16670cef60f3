/**
 * Escalation policies (issue 17): ordered steps of (wait N minutes unacknowledged -> notify these
 * channels), then the last step's channels again every `repeatMinutes` until the alarm is
 * acknowledged or cleared.
 *
 * Assignment: the first matching assignment wins, checked in this order: rule, device group,
 * site, severity (at least); within one kind, policies in list order (`position`, then id).
 */
import type { Severity } from './events.js';

export const ASSIGNMENT_KINDS = ['rule', 'group', 'site', 'severity'] as const;
export type AssignmentKind = (typeof ASSIGNMENT_KINDS)[number];

export interface EscalationStep {
  /** Minutes after the previous step (the first: after the alarm was raised) with no acknowledgement. Fractions allowed. */
  waitMinutes: number;
  channelIds: number[];
}

/** rule: a rule id (as text); group: a device group; site: a polling site; severity: this or worse. */
export interface EscalationAssignment {
  kind: AssignmentKind;
  value: string;
}

export interface EscalationPolicyBody {
  name: string;
  enabled: boolean;
  position: number;
  steps: EscalationStep[];
  /** After the last step, notify its channels again every this many minutes; null = no repeat. */
  repeatMinutes: number | null;
  assignments: EscalationAssignment[];
}

export interface EscalationPolicyDto extends EscalationPolicyBody {
  id: number;
  createdAt: number;
  updatedAt: number;
}

/** Where an open alarm's escalation stands. */
export interface AlarmEscalationDto {
  alarmId: number;
  policyId: number;
  startedAt: number;
  nextStep: number;
  nextDueAt: number | null;
  repeats: number;
  notified: number[];
}

export type { Severity };
