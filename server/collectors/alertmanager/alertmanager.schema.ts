import { z } from 'zod';

/**
 * Alertmanager's webhook payload (`webhook_configs`, message version "4"), checked before anything
 * reads it. Pure. Label and annotation sets come from the network: they are parsed into `Map`s, so a
 * label named `__proto__` or `constructor` stays an ordinary label (zod's own records would drop
 * `__proto__` silently). Unknown fields are ignored (a newer Alertmanager may add some); the version
 * must be "4", the only one Alertmanager has sent so far.
 *
 * Limits (the whole body is also at most 1 MiB, express.json's limit on every API route):
 */
export const MAX_ALERTS = 1000;
/** Labels (or annotations) in one set. */
export const MAX_LABELS = 128;
export const MAX_LABEL_NAME = 256;
export const MAX_LABEL_VALUE = 4096;
/** Annotation values (a description may be a paragraph or a runbook link list). */
export const MAX_ANNOTATION_VALUE = 16_384;
const MAX_URL = 4096;

export type LabelSet = Map<string, string>;

/** An object of string values as a Map (own enumerable keys only; JSON makes `__proto__` an own key). */
export function labelSet(what: string, maxValue: number) {
  return z.unknown().transform((v, ctx): LabelSet => {
    if (v === undefined || v === null) return new Map();
    if (typeof v !== 'object' || Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: `${what} must be an object of string values` });
      return z.NEVER;
    }
    const entries = Object.entries(v as object);
    if (entries.length > MAX_LABELS) {
      ctx.addIssue({ code: 'custom', message: `${what}: at most ${MAX_LABELS} entries` });
      return z.NEVER;
    }
    const out: LabelSet = new Map();
    for (const [name, value] of entries) {
      if (name.length === 0 || name.length > MAX_LABEL_NAME) {
        ctx.addIssue({ code: 'custom', message: `${what}: names are 1-${MAX_LABEL_NAME} characters` });
        return z.NEVER;
      }
      if (typeof value !== 'string') {
        ctx.addIssue({ code: 'custom', message: `${what}: the value of "${name.slice(0, 64)}" must be a string` });
        return z.NEVER;
      }
      if (value.length > maxValue) {
        ctx.addIssue({ code: 'custom', message: `${what}: the value of "${name.slice(0, 64)}" is longer than ${maxValue} characters` });
        return z.NEVER;
      }
      out.set(name, value);
    }
    return out;
  });
}

/** RFC 3339 time as Alertmanager writes it (Go's zero time "0001-01-01T00:00:00Z" for "none"). */
const time = z.iso
  .datetime({ offset: true, error: 'must be an RFC 3339 time' })
  .max(64)
  .transform((s): number | null => {
    const t = Date.parse(s);
    return t <= 0 ? null : t; // Go's zero time (year 1) and anything before 1970: no time
  });

export const webhookAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet('labels', MAX_LABEL_VALUE),
  annotations: labelSet('annotations', MAX_ANNOTATION_VALUE),
  startsAt: time.optional(),
  endsAt: time.optional(),
  generatorURL: z.string().max(MAX_URL).optional(),
  /** Hex FNV-1a hash of the label set (optional here: computed the same way when missing). */
  fingerprint: z.string().regex(/^[0-9a-f]{1,16}$/, 'must be up to 16 hex digits').optional(),
});

export const webhookSchema = z.object({
  version: z.literal('4', { error: 'version must be "4" (Alertmanager webhook message version)' }),
  groupKey: z.string().max(MAX_URL).optional(),
  truncatedAlerts: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(1024),
  groupLabels: labelSet('groupLabels', MAX_LABEL_VALUE),
  commonLabels: labelSet('commonLabels', MAX_LABEL_VALUE),
  commonAnnotations: labelSet('commonAnnotations', MAX_ANNOTATION_VALUE),
  externalURL: z.string().max(MAX_URL).optional(),
  alerts: z.array(webhookAlertSchema).max(MAX_ALERTS, `at most ${MAX_ALERTS} alerts in one message`),
});

export type WebhookAlert = z.output<typeof webhookAlertSchema>;
export type WebhookMessage = z.output<typeof webhookSchema>;
