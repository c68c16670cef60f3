import type { AlarmDto, AlarmNotificationPayload } from '../contracts/alarms.js';
import type { Severity } from '../contracts/events.js';

export type NoticeKind = AlarmNotificationPayload['kind'];

export function buildPayload(kind: NoticeKind, alarm: AlarmDto, deviceName: string | null, previousSeverity?: Severity, now = Date.now()): AlarmNotificationPayload {
  const { id, reductionKey, state, severity, title, message, deviceId, sourceAddress, count, firstSeen, lastSeen } = alarm;
  return {
    kind,
    alarm: { id, reductionKey, state, severity, title, message, deviceId, sourceAddress, count, firstSeen, lastSeen, deviceName },
    ...(previousSeverity ? { previousSeverity } : {}),
    sentAt: now,
  };
}

const VERB: Record<NoticeKind, string> = { raise: 'RAISED', severity: 'SEVERITY CHANGED', clear: 'CLEARED', test: 'TEST', escalate: 'ESCALATED', ack: 'ACKNOWLEDGED', digest: 'DIGEST' };

/** One-line subject, e.g. `[Netwatch] MAJOR RAISED: core1: Gi0/1 down`. */
export function subjectLine(p: AlarmNotificationPayload): string {
  const sev = p.alarm.severity.toUpperCase();
  const change = p.kind === 'severity' && p.previousSeverity ? ` (${p.previousSeverity} -> ${p.alarm.severity})` : '';
  const step = p.kind === 'escalate' && p.escalation ? ` (step ${p.escalation.step + 1}${p.escalation.repeat ? `, repeat ${p.escalation.repeat}` : ''})` : '';
  return `[Netwatch] ${sev} ${VERB[p.kind]}${change}${step}: ${p.alarm.title}`;
}

/** Plain-text body for e-mail. */
export function textBody(p: AlarmNotificationPayload): string {
  const a = p.alarm;
  if (p.kind === 'digest') return [subjectLine(p), '', a.message].join('\n');
  return [
    subjectLine(p),
    '',
    `Alarm:     #${a.id} (${a.reductionKey})`,
    `State:     ${a.state}`,
    `Severity:  ${a.severity}`,
    `Device:    ${a.deviceName ?? a.sourceAddress ?? 'unknown'}`,
    `Count:     ${a.count}`,
    `First:     ${new Date(a.firstSeen).toISOString()}`,
    `Last:      ${new Date(a.lastSeen).toISOString()}`,
    `Message:   ${a.message}`,
    ...(p.ackUrl ? ['', `Acknowledge: ${p.ackUrl}`] : []),
  ].join('\n');
}

export const SEVERITY_COLOR: Record<Severity, string> = {
  critical: '#b71c1c',
  major: '#e65100',
  minor: '#f9a825',
  warning: '#fbc02d',
  info: '#1976d2',
  debug: '#757575',
};

/** Slack incoming-webhook body (also understood by Mattermost and Rocket.Chat). */
export function slackBody(p: AlarmNotificationPayload): Record<string, unknown> {
  const a = p.alarm;
  return {
    text: subjectLine(p),
    attachments: [
      {
        color: p.kind === 'clear' ? '#2e7d32' : SEVERITY_COLOR[a.severity],
        fields: [
          { title: 'Device', value: a.deviceName ?? a.sourceAddress ?? 'unknown', short: true },
          { title: 'Count', value: String(a.count), short: true },
          { title: 'Message', value: a.message, short: false },
          ...(p.ackUrl ? [{ title: 'Acknowledge', value: `<${p.ackUrl}|Acknowledge this alarm>`, short: false }] : []),
        ],
        footer: `Netwatch alarm #${a.id}`,
        ts: Math.floor(a.lastSeen / 1000),
      },
    ],
  };
}
