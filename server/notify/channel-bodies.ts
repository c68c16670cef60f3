/**
 * Request bodies of the vendor channels (Teams, Telegram, PagerDuty, Opsgenie,
 * Alertmanager) and the HTTP template renderer. Pure: the senders post them.
 */
import type { AlarmNotificationPayload } from '../contracts/alarms.js';
import type { Severity } from '../contracts/events.js';
import { PLACEHOLDER } from './channel.schema.js';
import { SEVERITY_COLOR, subjectLine } from './message.js';

/** Link to the alarm in the console, when the channel knows the console's address. */
export function alarmLink(consoleUrl: string | null | undefined, p: AlarmNotificationPayload): string | null {
  if (!consoleUrl) return null;
  return `${consoleUrl.replace(/\/+$/, '')}/alarms?alarm=${p.alarm.id}`;
}

const deviceOf = (p: AlarmNotificationPayload) => p.alarm.deviceName ?? p.alarm.sourceAddress ?? 'unknown';
const iso = (ms: number) => new Date(ms).toISOString();
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const CLEAR_COLOR = '#2e7d32';

function facts(p: AlarmNotificationPayload): { name: string; value: string }[] {
  const a = p.alarm;
  return [
    { name: 'Severity', value: a.severity },
    { name: 'State', value: a.state },
    { name: 'Device', value: deviceOf(p) },
    { name: 'Count', value: String(a.count) },
    { name: 'First seen', value: iso(a.firstSeen) },
    { name: 'Alarm', value: `#${a.id} (${a.reductionKey})` },
  ];
}

/** Microsoft Teams incoming webhook: a MessageCard (themeColor = severity) or an Adaptive Card message. */
export function teamsBody(p: AlarmNotificationPayload, format: 'messageCard' | 'adaptiveCard', link: string | null): Record<string, unknown> {
  const color = p.kind === 'clear' ? CLEAR_COLOR : SEVERITY_COLOR[p.alarm.severity];
  const title = subjectLine(p);
  if (format === 'messageCard') {
    return {
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      themeColor: color.slice(1).toUpperCase(),
      summary: clip(title, 200),
      title,
      sections: [{ activityTitle: p.alarm.title, text: p.alarm.message, facts: facts(p), markdown: false }],
      ...(link || p.ackUrl
        ? {
            potentialAction: [
              ...(link ? [{ '@type': 'OpenUri', name: 'Open in Netwatch', targets: [{ os: 'default', uri: link }] }] : []),
              ...(p.ackUrl ? [{ '@type': 'OpenUri', name: 'Acknowledge', targets: [{ os: 'default', uri: p.ackUrl }] }] : []),
            ],
          }
        : {}),
    };
  }
  const style = p.kind === 'clear' ? 'good' : ['critical', 'major'].includes(p.alarm.severity) ? 'attention' : ['minor', 'warning'].includes(p.alarm.severity) ? 'warning' : 'accent';
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: title, weight: 'Bolder', size: 'Medium', color: style, wrap: true },
            { type: 'TextBlock', text: p.alarm.message, wrap: true },
            { type: 'FactSet', facts: facts(p).map((f) => ({ title: f.name, value: f.value })) },
          ],
          ...(link || p.ackUrl
            ? {
                actions: [
                  ...(link ? [{ type: 'Action.OpenUrl', title: 'Open in Netwatch', url: link }] : []),
                  ...(p.ackUrl ? [{ type: 'Action.OpenUrl', title: 'Acknowledge', url: p.ackUrl }] : []),
                ],
              }
            : {}),
        },
      },
    ],
  };
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** MarkdownV2 wants these escaped everywhere outside entities. */
const escapeMdV2 = (s: string) => s.replace(/[_*[\]()~`>#+\-=|{}.!\\]/g, (c) => `\\${c}`);

/** Telegram Bot API `sendMessage` body; text within Telegram's 4096 characters. */
export function telegramBody(p: AlarmNotificationPayload, chatId: string, parseMode: 'HTML' | 'MarkdownV2', link: string | null): Record<string, unknown> {
  const a = p.alarm;
  const lines = [
    [subjectLine(p), true],
    [clip(a.message, 3000), false],
    [`Device: ${deviceOf(p)} · Count: ${a.count}`, false],
    [`Alarm #${a.id} (${a.reductionKey})`, false],
  ] as const;
  const esc = parseMode === 'HTML' ? escapeHtml : escapeMdV2;
  const bold = (s: string) => (parseMode === 'HTML' ? `<b>${s}</b>` : `*${s}*`);
  let text = lines.map(([l, b]) => (b ? bold(esc(l)) : esc(l))).join('\n');
  if (link) text += parseMode === 'HTML' ? `\n<a href="${escapeHtml(link)}">Open in Netwatch</a>` : `\n[Open in Netwatch](${link.replace(/[)\\]/g, (c) => `\\${c}`)})`;
  if (p.ackUrl) text += parseMode === 'HTML' ? `\n<a href="${escapeHtml(p.ackUrl)}">Acknowledge</a>` : `\n[Acknowledge](${p.ackUrl.replace(/[)\\]/g, (c) => `\\${c}`)})`;
  return { chat_id: chatId, text: text.slice(0, 4096), parse_mode: parseMode, disable_web_page_preview: true };
}

/** Netwatch severity -> PagerDuty Events v2 severity. */
export const PAGERDUTY_SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical',
  major: 'error',
  minor: 'warning',
  warning: 'warning',
  info: 'info',
  debug: 'info',
};

/** PagerDuty Events API v2 event: trigger, acknowledge (alarm acknowledged) or resolve (cleared); dedup_key = the alarm's key. */
export function pagerdutyBody(p: AlarmNotificationPayload, routingKey: string, link: string | null): Record<string, unknown> {
  const a = p.alarm;
  const event_action = p.kind === 'clear' || a.state === 'cleared' ? 'resolve' : p.kind === 'ack' || a.state === 'acknowledged' ? 'acknowledge' : 'trigger';
  const base = { routing_key: routingKey, event_action, dedup_key: clip(a.reductionKey, 255) };
  if (event_action !== 'trigger') return base;
  return {
    ...base,
    payload: {
      summary: clip(`${a.title}: ${a.message}`, 1024),
      source: deviceOf(p),
      severity: PAGERDUTY_SEVERITY[a.severity],
      timestamp: iso(a.lastSeen),
      component: a.deviceName ?? undefined,
      custom_details: { alarmId: a.id, reductionKey: a.reductionKey, netwatchSeverity: a.severity, count: a.count, firstSeen: iso(a.firstSeen), address: a.sourceAddress },
    },
    client: 'Netwatch',
    ...(link ? { client_url: link } : {}),
    ...(link || p.ackUrl
      ? { links: [...(link ? [{ href: link, text: 'Open in Netwatch' }] : []), ...(p.ackUrl ? [{ href: p.ackUrl, text: 'Acknowledge in Netwatch' }] : [])] }
      : {}),
  };
}

/** Netwatch severity -> Opsgenie priority. */
export const OPSGENIE_PRIORITY: Record<Severity, 'P1' | 'P2' | 'P3' | 'P4' | 'P5'> = {
  critical: 'P1',
  major: 'P2',
  minor: 'P3',
  warning: 'P4',
  info: 'P5',
  debug: 'P5',
};

/** Opsgenie "create alert" body; alias = the alarm's key, so a clear closes the same alert. */
export function opsgenieCreateBody(p: AlarmNotificationPayload, link: string | null): Record<string, unknown> {
  const a = p.alarm;
  return {
    message: clip(`${a.title}`, 130),
    alias: clip(a.reductionKey, 512),
    description: clip(`${a.message}${link ? `\n\n${link}` : ''}`, 15_000),
    priority: OPSGENIE_PRIORITY[a.severity],
    source: 'Netwatch',
    entity: clip(deviceOf(p), 512),
    tags: ['netwatch', a.severity],
    details: { alarmId: String(a.id), severity: a.severity, device: deviceOf(p), count: String(a.count), ...(link ? { link } : {}) },
  };
}

export function opsgenieCloseBody(p: AlarmNotificationPayload): Record<string, unknown> {
  return { source: 'Netwatch', note: clip(`Cleared in Netwatch: ${p.alarm.title}`, 25_000) };
}

/** Prometheus Alertmanager `POST /api/v2/alerts` body: one alert; endsAt set to the clear time when cleared. */
export function alertmanagerBody(p: AlarmNotificationPayload, link: string | null, activeForMinutes: number): Record<string, unknown>[] {
  const a = p.alarm;
  const cleared = p.kind === 'clear' || a.state === 'cleared';
  return [
    {
      labels: {
        alertname: a.title,
        severity: a.severity,
        device: deviceOf(p),
        instance: a.sourceAddress ?? deviceOf(p),
        alarm_key: a.reductionKey,
        source: 'netwatch',
      },
      annotations: { summary: subjectLine(p), description: a.message, alarm_id: String(a.id) },
      startsAt: iso(a.firstSeen),
      endsAt: iso(cleared ? p.sentAt : p.sentAt + activeForMinutes * 60_000),
      ...(link ? { generatorURL: link } : {}),
    },
  ];
}

/** The values of the HTTP template channel's placeholders (a Map: names from a template never reach an object's keys). */
export function placeholderValues(p: AlarmNotificationPayload, link: string | null): Map<string, string> {
  const a = p.alarm;
  return new Map<string, string>([
    ['alarm.id', String(a.id)],
    ['alarm.key', a.reductionKey],
    ['alarm.title', a.title],
    ['alarm.message', a.message],
    ['alarm.severity', a.severity],
    ['alarm.state', a.state],
    ['alarm.count', String(a.count)],
    ['alarm.firstSeen', iso(a.firstSeen)],
    ['alarm.lastSeen', iso(a.lastSeen)],
    ['alarm.link', link ?? ''],
    ['alarm.ackUrl', p.ackUrl ?? ''],
    ['device.name', deviceOf(p)],
    ['device.address', a.sourceAddress ?? ''],
    ['severity', a.severity],
    ['kind', p.kind],
    ['subject', subjectLine(p)],
    ['sentAt', iso(p.sentAt)],
  ]);
}

export type Escape = 'json' | 'form' | 'text' | 'url';
const ESCAPES: Record<Escape, (s: string) => string> = {
  // Inside a JSON string literal: quotes, backslashes and control characters escaped (also U+2028/9).
  json: (s) => JSON.stringify(s).slice(1, -1).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029'),
  form: (s) => encodeURIComponent(s),
  url: (s) => encodeURIComponent(s),
  text: (s) => s,
};

/** Replaces `{name}` placeholders with escaped values; an unknown name stays as written. */
export function renderTemplate(template: string, values: Map<string, string>, escape: Escape): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const v = values.get(name);
    return v === undefined ? whole : ESCAPES[escape](v);
  });
}
