import { isIP } from 'node:net';
import { z } from 'zod';
import { SEVERITIES, SOURCE_KINDS, type NormalizedEvent } from '../contracts/events.js';

/**
 * Events as a remote collector sends them (a JSON array per NATS batch), checked at the centre
 * before they reach the writer: the `NormalizedEvent` shape, bounded sizes, `params` a plain
 * JSON object without prototype keys. Pure.
 */

/** Longest message text accepted from a collector (its syslog limit is at most 1 MiB). */
export const MAX_MESSAGE_CHARS = 1_048_576;
export const MAX_TYPE_CHARS = 1024;
/** `params` as JSON at most this long, nested at most this deep. */
export const MAX_PARAMS_JSON_CHARS = 262_144;
export const MAX_PARAMS_DEPTH = 16;
/** Events in one batch at most (a collector batches far fewer; NATS' payload limit bounds it too). */
export const MAX_BATCH_EVENTS = 50_000;

/** Keys that name Object.prototype's machinery: never accepted from the wire as object keys. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Why `v` is not a plain JSON value within the limits, or null. Plain: arrays, objects with Object.prototype or null prototype. */
function jsonProblem(v: unknown, depth: number): string | null {
  if (depth > MAX_PARAMS_DEPTH) return `nested deeper than ${MAX_PARAMS_DEPTH}`;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? null : 'a number that is not finite';
  if (Array.isArray(v)) {
    for (const x of v) {
      const p = jsonProblem(x, depth + 1);
      if (p) return p;
    }
    return null;
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return 'not a plain object';
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) return `a "${key}" key`;
      const p = jsonProblem((v as Record<string, unknown>)[key], depth + 1);
      if (p) return p;
    }
    return null;
  }
  return `a ${typeof v}`;
}

const params = z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'params must be an object').superRefine((v, ctx) => {
  const problem = jsonProblem(v, 0);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: `params: ${problem}` });
    return;
  }
  if (JSON.stringify(v).length > MAX_PARAMS_JSON_CHARS) ctx.addIssue({ code: 'custom', message: `params: longer than ${MAX_PARAMS_JSON_CHARS} characters as JSON` });
});

const time = z.number().int().min(0).max(8.64e15);

export const remoteEventSchema = z
  .object({
    receivedAt: time,
    reportedAt: time.nullable(),
    source: z.enum(SOURCE_KINDS),
    sourceAddress: z
      .string()
      .max(64)
      .refine((a) => isIP(a) !== 0, 'sourceAddress must be an IPv4 or IPv6 address')
      .nullable(),
    // Ignored: the centre resolves devices from sourceAddress (a collector knows no device ids).
    deviceId: z.unknown().optional(),
    severity: z.enum(SEVERITIES),
    type: z.string().max(MAX_TYPE_CHARS),
    message: z.string().max(MAX_MESSAGE_CHARS),
    params,
  })
  .strip();

export interface CheckedBatch {
  events: NormalizedEvent[];
  /** Items that were not valid events (dropped). */
  invalid: number;
  /** The first few reasons, for the log. */
  reasons: string[];
}

/**
 * The valid events of a batch, as new objects (unknown fields dropped, `deviceId` null so the
 * centre's writer resolves it); invalid items are counted, never thrown.
 */
export function checkRemoteEvents(items: readonly unknown[]): CheckedBatch {
  const out: CheckedBatch = { events: [], invalid: 0, reasons: [] };
  if (items.length > MAX_BATCH_EVENTS) {
    out.invalid = items.length;
    out.reasons.push(`batch of ${items.length} events, more than ${MAX_BATCH_EVENTS}`);
    return out;
  }
  for (const item of items) {
    const r = remoteEventSchema.safeParse(item);
    if (!r.success) {
      out.invalid++;
      if (out.reasons.length < 3) out.reasons.push(r.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ').slice(0, 300));
      continue;
    }
    const e = r.data;
    out.events.push({
      receivedAt: e.receivedAt,
      reportedAt: e.reportedAt,
      source: e.source,
      sourceAddress: e.sourceAddress,
      deviceId: null,
      severity: e.severity,
      type: e.type,
      message: e.message,
      params: e.params,
    });
  }
  return out;
}
