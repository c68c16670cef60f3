import type { AssignmentKind, EscalationPolicyBody, EscalationPolicyDto } from '@contracts/escalation';

export interface StepForm {
  waitMinutes: number;
  channelIds: number[];
}

export interface PolicyForm {
  name: string;
  enabled: boolean;
  position: number;
  steps: StepForm[];
  repeat: boolean;
  repeatMinutes: number;
  assignments: { kind: AssignmentKind; value: string }[];
}

export const ASSIGNMENT_LABELS: Record<AssignmentKind, string> = { rule: 'Rule', group: 'Device group', site: 'Site', severity: 'Severity (this or worse)' };

export function policyForm(p: EscalationPolicyDto | null): PolicyForm {
  return {
    name: p?.name ?? '',
    enabled: p?.enabled ?? true,
    position: p?.position ?? 0,
    steps: p ? p.steps.map((s) => ({ waitMinutes: s.waitMinutes, channelIds: [...s.channelIds] })) : [{ waitMinutes: 5, channelIds: [] }],
    repeat: p ? p.repeatMinutes !== null : false,
    repeatMinutes: p?.repeatMinutes ?? 30,
    assignments: p ? p.assignments.map((a) => ({ ...a })) : [{ kind: 'severity', value: 'critical' }],
  };
}

export function policyErrors(f: PolicyForm): Map<string, string> {
  const e = new Map<string, string>();
  if (!f.name.trim()) e.set('name', 'Give the policy a name');
  if (f.steps.length === 0) e.set('steps', 'At least one step');
  f.steps.forEach((s, i) => {
    if (!(s.waitMinutes >= 0)) e.set(`steps.${i}.wait`, 'Minutes, 0 or more');
    if (s.channelIds.length === 0) e.set(`steps.${i}.channels`, 'Pick at least one channel');
  });
  if (f.repeat && !(f.repeatMinutes > 0)) e.set('repeat', 'Minutes, more than 0');
  f.assignments.forEach((a, i) => {
    if (!a.value.trim()) e.set(`assign.${i}`, 'A value');
  });
  return e;
}

export function buildPolicy(f: PolicyForm): EscalationPolicyBody {
  return {
    name: f.name.trim(),
    enabled: f.enabled,
    position: f.position,
    steps: f.steps.map((s) => ({ waitMinutes: s.waitMinutes, channelIds: [...s.channelIds] })),
    repeatMinutes: f.repeat ? f.repeatMinutes : null,
    assignments: f.assignments.map((a) => ({ kind: a.kind, value: a.value.trim() })),
  };
}

/** e.g. `5 min → ops-hook; 15 min → pagerduty; then every 30 min`. */
export function describeSteps(p: EscalationPolicyDto, channelName: (id: number) => string): string {
  const steps = p.steps.map((s) => `${s.waitMinutes} min → ${s.channelIds.map(channelName).join(', ')}`).join('; ');
  return p.repeatMinutes ? `${steps}; then every ${p.repeatMinutes} min` : steps;
}
