/**
 * The settings form of the vendor channel types (Teams, Telegram, PagerDuty,
 * Opsgenie, Alertmanager, HTTP template), declared once: the dialog renders
 * the fields, `buildVendorConfig` turns the typed values into the API's
 * settings. Pure, so it is unit-tested without a browser.
 */
import type { ChannelType } from '@contracts/alarms';

export type VendorType = 'teams' | 'telegram' | 'pagerduty' | 'opsgenie' | 'alertmanager' | 'http';
export const VENDOR_TYPES: readonly VendorType[] = ['teams', 'telegram', 'pagerduty', 'opsgenie', 'alertmanager', 'http'];
export const isVendorType = (t: ChannelType): t is VendorType => (VENDOR_TYPES as readonly string[]).includes(t);

export const CHANNEL_TYPE_LABELS: Record<ChannelType, string> = {
  webhook: 'Webhook (JSON POST)',
  slack: 'Slack incoming webhook',
  email: 'Email (SMTP)',
  teams: 'Microsoft Teams incoming webhook',
  telegram: 'Telegram bot',
  pagerduty: 'PagerDuty (Events API v2)',
  opsgenie: 'Opsgenie',
  alertmanager: 'Prometheus Alertmanager',
  http: 'HTTP template (SMS gateways, messengers)',
};

export interface VendorField {
  key: string;
  label: string;
  kind: 'text' | 'secret' | 'select' | 'textarea' | 'number' | 'headers';
  options?: { value: string; label: string }[];
  placeholder?: string;
  hint?: string;
  /** Needed when adding; a secret already stored may be left empty on edit. */
  required?: boolean;
}

const consoleUrl: VendorField = { key: 'consoleUrl', label: 'Console address', kind: 'text', placeholder: 'https://netwatch.example.net', hint: 'Optional: messages link to the alarm there' };

export const VENDOR_FIELDS: Record<VendorType, VendorField[]> = {
  teams: [
    { key: 'url', label: 'Webhook URL', kind: 'secret', required: true, placeholder: 'https://….webhook.office.com/webhookb2/…', hint: 'It holds a token: stored encrypted, never shown again' },
    { key: 'format', label: 'Card', kind: 'select', options: [{ value: 'messageCard', label: 'MessageCard (connector)' }, { value: 'adaptiveCard', label: 'Adaptive Card (Workflows)' }] },
    consoleUrl,
  ],
  telegram: [
    { key: 'botToken', label: 'Bot token', kind: 'secret', required: true, placeholder: '123456:ABC…', hint: 'From BotFather; stored encrypted, never shown again' },
    { key: 'chatId', label: 'Chat id', kind: 'text', required: true, placeholder: '-1001234567890 or @channel' },
    { key: 'parseMode', label: 'Formatting', kind: 'select', options: [{ value: 'HTML', label: 'HTML' }, { value: 'MarkdownV2', label: 'MarkdownV2' }] },
    { key: 'apiBaseUrl', label: 'Bot API address', kind: 'text', placeholder: 'https://api.telegram.org', hint: 'Optional: a local Bot API server' },
    consoleUrl,
  ],
  pagerduty: [
    { key: 'routingKey', label: 'Integration (routing) key', kind: 'secret', required: true, hint: 'Events API v2; stored encrypted, never shown again' },
    { key: 'apiBaseUrl', label: 'Events API address', kind: 'text', placeholder: 'https://events.pagerduty.com', hint: 'Optional' },
    consoleUrl,
  ],
  opsgenie: [
    { key: 'apiKey', label: 'API key', kind: 'secret', required: true, hint: 'An API integration key; stored encrypted, never shown again' },
    { key: 'region', label: 'Region', kind: 'select', options: [{ value: 'us', label: 'US (api.opsgenie.com)' }, { value: 'eu', label: 'EU (api.eu.opsgenie.com)' }] },
    { key: 'apiBaseUrl', label: 'API address', kind: 'text', hint: 'Optional: overrides the region' },
    consoleUrl,
  ],
  alertmanager: [
    { key: 'url', label: 'Alertmanager address', kind: 'text', required: true, placeholder: 'http://alertmanager:9093', hint: 'Alerts go to <address>/api/v2/alerts' },
    { key: 'username', label: 'User name', kind: 'text', hint: 'Optional (basic auth)' },
    { key: 'password', label: 'Password', kind: 'secret' },
    { key: 'activeForMinutes', label: 'Active alarms valid for (minutes)', kind: 'number', hint: 'Alertmanager resolves an alert not re-sent by then' },
    { key: 'headers', label: 'Extra headers', kind: 'headers', hint: 'One per line, Name: value (stored encrypted, never shown again)' },
    consoleUrl,
  ],
  http: [
    { key: 'method', label: 'Method', kind: 'select', options: ['POST', 'PUT', 'PATCH', 'GET'].map((v) => ({ value: v, label: v })) },
    { key: 'url', label: 'URL', kind: 'text', required: true, placeholder: 'https://sms.example.net/send?to=…&text={alarm.title}', hint: 'Placeholders here are percent-encoded' },
    { key: 'headers', label: 'Headers', kind: 'headers', hint: 'One per line, Name: value (stored encrypted, never shown again)' },
    { key: 'bodyFormat', label: 'Body format', kind: 'select', options: [{ value: 'json', label: 'JSON (placeholders JSON-escaped)' }, { value: 'form', label: 'Form (percent-encoded)' }, { value: 'text', label: 'Text (as is)' }] },
    {
      key: 'body', label: 'Body template', kind: 'textarea', placeholder: '{"to": "+491701234567", "text": "{severity}: {alarm.title} on {device.name}"}',
      hint: 'Placeholders: {alarm.id} {alarm.key} {alarm.title} {alarm.message} {alarm.severity} {alarm.state} {alarm.count} {alarm.firstSeen} {alarm.lastSeen} {alarm.link} {device.name} {device.address} {severity} {kind} {subject} {sentAt}',
    },
    consoleUrl,
  ],
};

const DEFAULTS: Partial<Record<string, string>> = { format: 'messageCard', parseMode: 'HTML', region: 'us', method: 'POST', bodyFormat: 'json', activeForMinutes: '10080' };

/** The form's starting values from a channel's (redacted) settings: secrets start empty. */
export function vendorFormValues(type: VendorType, config: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of VENDOR_FIELDS[type]) {
    const v = config[f.key];
    out.set(f.key, f.kind === 'secret' || f.kind === 'headers' ? '' : typeof v === 'string' || typeof v === 'number' ? String(v) : (DEFAULTS[f.key] ?? ''));
  }
  return out;
}

/** `Name: value` lines into pairs; lines without a name are skipped. */
export function parseHeaderLines(text: string): [string, string][] {
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((p) => p.length >= 2 && p[0]!.trim())
    .map((p): [string, string] => [p[0]!.trim(), p.slice(1).join(':').trim()]);
}

/** What the form can tell before the server does: required fields missing. */
export function vendorErrors(type: VendorType, values: Map<string, string>, storedSecrets: (key: string) => boolean): Map<string, string> {
  const e = new Map<string, string>();
  for (const f of VENDOR_FIELDS[type]) {
    if (!f.required || (values.get(f.key) ?? '').trim()) continue;
    if (f.kind === 'secret' && storedSecrets(f.key)) continue;
    e.set(f.key, `${f.label} is needed`);
  }
  return e;
}

/**
 * The settings to send. Empty optional fields become null (cleared on edit),
 * an empty secret is left out (kept on edit), headers merge by name (a
 * stored header ticked for removal is sent as null).
 */
export function buildVendorConfig(type: VendorType, values: Map<string, string>, removeHeaders: readonly string[] = []): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const f of VENDOR_FIELDS[type]) {
    const raw = values.get(f.key) ?? '';
    const v = f.kind === 'textarea' ? raw : raw.trim();
    if (f.kind === 'secret') {
      if (v) config[f.key] = v;
    } else if (f.kind === 'headers') {
      const typed = parseHeaderLines(raw);
      const removed = removeHeaders.filter((n) => !typed.some(([t]) => t.toLowerCase() === n.toLowerCase())).map((n): [string, null] => [n, null]);
      config[f.key] = Object.fromEntries([...removed, ...typed]);
    } else if (f.kind === 'number') {
      if (v) config[f.key] = Number(v);
    } else if (f.key === 'body') {
      config[f.key] = v;
    } else config[f.key] = v === '' ? null : v;
  }
  // Settings with a server default: omitted rather than null.
  for (const k of ['format', 'parseMode', 'region', 'method', 'bodyFormat']) if (config[k] === null) delete config[k];
  return config;
}
