import { z } from 'zod';

const httpUrl = z
  .string()
  .max(2000)
  .refine((u) => {
    try {
      return ['http:', 'https:'].includes(new URL(u).protocol);
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

/** Header values: printable, no CR/LF/NUL (a value cannot smuggle a second header or a body). */
const headerValue = z.string().max(2000).regex(/^[^\x00-\x08\x0a-\x1f\x7f]*$/, 'header values: no control characters (CR/LF)');
const headersSchema = z.record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'header names: letters, digits, dashes'), headerValue);

export const webhookConfigSchema = z
  .object({
    url: httpUrl,
    /** When set, the body is signed: `X-Netwatch-Signature: sha256=<hex HMAC-SHA256 of the body>`. */
    secret: z.string().min(8).max(500).nullable().optional(),
    headers: headersSchema.optional(),
  })
  .strict();

export const slackConfigSchema = z.object({ url: httpUrl }).strict();

export const emailConfigSchema = z
  .object({
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65_535).default(587),
    /** Implicit TLS (port 465); otherwise STARTTLS when offered. */
    secure: z.boolean().default(false),
    /** Refuse to send without STARTTLS. */
    requireTls: z.boolean().default(false),
    username: z.string().max(255).nullable().optional(),
    password: z.string().max(500).nullable().optional(),
    from: z.string().min(3).max(255),
    to: z.array(z.string().min(3).max(255)).min(1).max(50),
  })
  .strict();

/** The console's address, for the link to the alarm in a message (`<consoleUrl>/alarms?alarm=<id>`). */
const consoleUrl = httpUrl.nullable().optional();

export const teamsConfigSchema = z
  .object({
    url: httpUrl,
    /** MessageCard (classic connectors, severity colour) or an Adaptive Card (Workflows webhooks). */
    format: z.enum(['messageCard', 'adaptiveCard']).default('messageCard'),
    consoleUrl,
  })
  .strict();

export const telegramConfigSchema = z
  .object({
    botToken: z.string().regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, 'a bot token as BotFather gives it: <digits>:<key>'),
    chatId: z.union([z.number().int(), z.string().regex(/^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/, 'a numeric chat id or @channelname')]).transform(String),
    parseMode: z.enum(['HTML', 'MarkdownV2']).default('HTML'),
    /** Bot API server (default `https://api.telegram.org`); another one (a local Bot API server, a test receiver) may stand in. */
    apiBaseUrl: httpUrl.nullable().optional(),
    consoleUrl,
  })
  .strict();

export const pagerdutyConfigSchema = z
  .object({
    routingKey: z.string().regex(/^[A-Za-z0-9]{20,64}$/, 'an Events API v2 integration (routing) key'),
    /** Default `https://events.pagerduty.com`. */
    apiBaseUrl: httpUrl.nullable().optional(),
    consoleUrl,
  })
  .strict();

export const OPSGENIE_BASE = { us: 'https://api.opsgenie.com', eu: 'https://api.eu.opsgenie.com' } as const;
export const opsgenieConfigSchema = z
  .object({
    apiKey: z.string().regex(/^[A-Za-z0-9-]{16,100}$/, 'an Opsgenie API integration key'),
    region: z.enum(['us', 'eu']).default('us'),
    /** Overrides the region's API address. */
    apiBaseUrl: httpUrl.nullable().optional(),
    consoleUrl,
  })
  .strict();

export const alertmanagerConfigSchema = z
  .object({
    /** Alertmanager's address, e.g. `http://alertmanager:9093`; alerts go to `<url>/api/v2/alerts`. */
    url: httpUrl,
    username: z.string().max(255).regex(/^[^:\x00-\x1f\x7f]*$/, 'no colon or control characters').nullable().optional(),
    password: z.string().max(500).regex(/^[^\x00-\x1f\x7f]*$/, 'no control characters').nullable().optional(),
    headers: headersSchema.optional(),
    /** Alertmanager resolves an alert nobody re-sends; an active alarm is sent with endsAt this far ahead. */
    activeForMinutes: z.number().int().min(5).max(525_600).default(10_080),
    consoleUrl,
  })
  .strict();

/** Placeholders of the HTTP template channel. */
export const TEMPLATE_PLACEHOLDERS = [
  'alarm.id', 'alarm.key', 'alarm.title', 'alarm.message', 'alarm.severity', 'alarm.state', 'alarm.count', 'alarm.firstSeen', 'alarm.lastSeen', 'alarm.link', 'alarm.ackUrl',
  'device.name', 'device.address', 'severity', 'kind', 'subject', 'sentAt',
] as const;
export const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.]{0,40})\}/g;
const KNOWN_PLACEHOLDERS = new Set<string>(TEMPLATE_PLACEHOLDERS);
const unknownPlaceholders = (t: string) => [...t.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((n) => !KNOWN_PLACEHOLDERS.has(n));
const template = (max: number) =>
  z.string().max(max).superRefine((t, ctx) => {
    const bad = unknownPlaceholders(t);
    if (bad.length) ctx.addIssue({ code: 'custom', message: `unknown placeholder {${bad[0]}}; known: ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}` });
  });
export const MAX_TEMPLATE_BODY = 65_536;

export const httpTemplateConfigSchema = z
  .object({
    method: z.enum(['POST', 'PUT', 'PATCH', 'GET']).default('POST'),
    /** Placeholders in the URL are percent-encoded. */
    url: template(2000).refine((u) => {
      try {
        return ['http:', 'https:'].includes(new URL(u.replace(PLACEHOLDER, 'x')).protocol);
      } catch {
        return false;
      }
    }, 'must be an http(s) URL'),
    headers: headersSchema.optional(),
    /** `json`: placeholders are JSON-string-escaped; `form`: percent-encoded; `text`: as they are. */
    bodyFormat: z.enum(['json', 'form', 'text']).default('json'),
    body: template(MAX_TEMPLATE_BODY).default(''),
    consoleUrl,
  })
  .strict();

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;
export type SlackConfig = z.infer<typeof slackConfigSchema>;
export type EmailConfig = z.infer<typeof emailConfigSchema>;
export type TeamsConfig = z.infer<typeof teamsConfigSchema>;
export type TelegramConfig = z.infer<typeof telegramConfigSchema>;
export type PagerdutyConfig = z.infer<typeof pagerdutyConfigSchema>;
export type OpsgenieConfig = z.infer<typeof opsgenieConfigSchema>;
export type AlertmanagerConfig = z.infer<typeof alertmanagerConfigSchema>;
export type HttpTemplateConfig = z.infer<typeof httpTemplateConfigSchema>;

export const CONFIG_SCHEMAS = {
  webhook: webhookConfigSchema,
  slack: slackConfigSchema,
  email: emailConfigSchema,
  teams: teamsConfigSchema,
  telegram: telegramConfigSchema,
  pagerduty: pagerdutyConfigSchema,
  opsgenie: opsgenieConfigSchema,
  alertmanager: alertmanagerConfigSchema,
  http: httpTemplateConfigSchema,
} as const;

/** Settings that are never returned: shown as `<name>Set`. Slack and Teams webhook URLs embed their token. */
export const SECRET_FIELDS: Record<keyof typeof CONFIG_SCHEMAS, string[]> = {
  webhook: ['secret'],
  slack: ['url'],
  email: ['password'],
  teams: ['url'],
  telegram: ['botToken'],
  pagerduty: ['routingKey'],
  opsgenie: ['apiKey'],
  alertmanager: ['password'],
  http: [],
};

/** Types whose `headers` (they carry tokens) are shown by name only. */
const HEADER_TYPES = new Set(['webhook', 'alertmanager', 'http']);

/** The addresses a channel connects to that can be judged when saved (the outbound policy checks IP literals there). */
export function targetUrls(type: keyof typeof CONFIG_SCHEMAS, config: Record<string, unknown>): { field: string; url: string }[] {
  const out: { field: string; url: string }[] = [];
  const add = (field: string) => {
    if (typeof config[field] === 'string') out.push({ field, url: type === 'http' ? (config[field] as string).replace(PLACEHOLDER, 'x') : (config[field] as string) });
  };
  if (type === 'email') return out;
  add('url');
  add('apiBaseUrl');
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The settings as the API and console see them: secrets replaced by
 * `<name>Set`, and webhook headers (they carry tokens) by `headerNames`.
 */
export function redactConfig(type: keyof typeof CONFIG_SCHEMAS, config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const f of SECRET_FIELDS[type]) {
    out[`${f}Set`] = out[f] !== undefined && out[f] !== null && out[f] !== '';
    delete out[f];
  }
  if (HEADER_TYPES.has(type)) {
    out.headerNames = isPlainObject(config.headers) ? Object.keys(config.headers).sort() : [];
    delete out.headers;
  }
  return out;
}

/**
 * A PATCH of a channel's settings over the stored ones: omitted settings and
 * secrets are kept and null clears one. Webhook `headers` merge by name
 * (case-insensitively): a string sets that header, null removes it, headers
 * not named are kept, and `headers: null` removes them all. The result is
 * validated by the type's schema afterwards.
 */
export function mergeConfig(current: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged = new Map<string, unknown>(Object.entries(current));
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'headers' && isPlainObject(v)) {
      const headers = new Map<string, unknown>(isPlainObject(current.headers) ? Object.entries(current.headers) : []);
      for (const [name, value] of Object.entries(v)) {
        for (const old of [...headers.keys()]) if (old.toLowerCase() === name.toLowerCase()) headers.delete(old);
        if (value !== null) headers.set(name, value);
      }
      merged.set(k, Object.fromEntries(headers));
    } else merged.set(k, v);
  }
  return Object.fromEntries([...merged].filter(([, v]) => v !== null));
}
