import { z } from 'zod';
import { SEVERITIES } from '../contracts/events.js';
import { ASSIGNMENT_KINDS } from '../contracts/escalation.js';

const channelIds = z.array(z.number().int().positive()).min(1).max(20);

export const escalationStepSchema = z
  .object({
    /** Fractions of a minute are allowed (at least one second). */
    waitMinutes: z.number().min(0).max(7 * 24 * 60),
    channelIds,
  })
  .strict();

export const assignmentSchema = z
  .object({ kind: z.enum(ASSIGNMENT_KINDS), value: z.string().trim().min(1).max(200) })
  .strict()
  .superRefine((a, ctx) => {
    if (a.kind === 'severity' && !(SEVERITIES as readonly string[]).includes(a.value)) ctx.addIssue({ code: 'custom', message: `severity must be one of ${SEVERITIES.join(', ')}` });
    if (a.kind === 'rule' && !/^[1-9]\d{0,15}$/.test(a.value)) ctx.addIssue({ code: 'custom', message: 'rule: a rule id' });
  });

export const escalationPolicySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    enabled: z.boolean().default(true),
    position: z.number().int().min(0).max(1_000_000).default(0),
    steps: z.array(escalationStepSchema).min(1).max(20),
    repeatMinutes: z.number().min(1 / 60).max(7 * 24 * 60).nullable().default(null),
    assignments: z.array(assignmentSchema).max(100).default([]),
  })
  .strict();

export const escalationPolicyPatchSchema = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    enabled: z.boolean().optional(),
    position: z.number().int().min(0).max(1_000_000).optional(),
    steps: z.array(escalationStepSchema).min(1).max(20).optional(),
    repeatMinutes: z.number().min(1 / 60).max(7 * 24 * 60).nullable().optional(),
    assignments: z.array(assignmentSchema).max(100).optional(),
  })
  .strict();

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM (00:00-23:59)');
const timezone = z
  .string()
  .min(1)
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone, e.g. Europe/Berlin');

/** A channel's quiet hours and digest (`delivery` on the channel). */
export const deliverySchema = z
  .object({
    quietHours: z
      .object({
        enabled: z.boolean().default(true),
        timezone: timezone.default('UTC'),
        days: z.array(z.number().int().min(0).max(6)).max(7).default([0, 1, 2, 3, 4, 5, 6]),
        start: hhmm,
        end: hhmm,
        breakThrough: z.enum(SEVERITIES).nullable().default('critical'),
      })
      .strict()
      .optional(),
    digest: z
      .object({
        enabled: z.boolean().default(true),
        threshold: z.number().int().min(1).max(10_000).default(10),
        windowSeconds: z.number().int().min(1).max(3600).default(60),
      })
      .strict()
      .optional(),
  })
  .strict();
