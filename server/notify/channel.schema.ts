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

export const webhookConfigSchema = z
  .object({
    url: httpUrl,
    /** When set, the body is signed: `X-Netwatch-Signature: sha256=<hex HMAC-SHA256 of the body>`. */
    secret: z.string().min(8).max(500).nullable().optional(),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'header names: letters, digits, dashes'), z.string().max(2000)).optional(),
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

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;
export type SlackConfig = z.infer<typeof slackConfigSchema>;
export type EmailConfig = z.infer<typeof emailConfigSchema>;
export type ChannelConfig = WebhookConfig | SlackConfig | EmailConfig;

export const CONFIG_SCHEMAS = { webhook: webhookConfigSchema, slack: slackConfigSchema, email: emailConfigSchema } as const;

/** Settings that are never returned: shown as `<name>Set`. Slack webhook URLs embed their token. */
export const SECRET_FIELDS: Record<keyof typeof CONFIG_SCHEMAS, string[]> = {
  webhook: ['secret'],
  slack: ['url'],
  email: ['password'],
};

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
  if (type === 'webhook') {
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
