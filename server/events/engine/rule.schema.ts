import { z } from 'zod';
import { CONDITION_OPS, DISPOSITIONS, NOTIFY_ON, THRESHOLD_OPS } from '../../contracts/alarms.js';
import { SEVERITIES, SOURCE_KINDS } from '../../contracts/events.js';

const str = (max = 200) => z.string().min(1).max(max);
const scalar = z.union([z.string().max(1000), z.number(), z.boolean()]);
const condition = { op: z.enum(CONDITION_OPS).default('eq'), value: scalar.optional() };

const notifySchema = z
  .object({ channelIds: z.array(z.number().int().positive()).max(20), on: z.array(z.enum(NOTIFY_ON)).max(3).default(['raise', 'severity', 'clear']) })
  .strict();

export const eventMatchSchema = z
  .object({
    sources: z.array(z.enum(SOURCE_KINDS)).max(10).optional(),
    types: z.array(str()).max(100).optional(),
    deviceIds: z.array(z.number().int().positive()).max(1000).optional(),
    groups: z.array(str()).max(100).optional(),
    tags: z.array(str()).max(100).optional(),
    minSeverity: z.enum(SEVERITIES).optional(),
    trapOid: str().optional(),
    trapOidPrefix: str().optional(),
    varbinds: z.array(z.object({ oid: str(), ...condition }).strict()).max(20).optional(),
    syslog: z
      .object({
        facilities: z.array(z.union([z.number().int().min(0).max(23), str(20)])).max(24).optional(),
        maxSeverity: z.number().int().min(0).max(7).optional(),
        hostname: str().optional(),
        appName: str().optional(),
        msgId: str().optional(),
        structuredData: z.record(z.string().min(1).max(200), z.string().max(1000)).optional(),
      })
      .strict()
      .optional(),
    params: z.array(z.object({ path: str(), ...condition }).strict()).max(20).optional(),
    message: z.string().min(1).max(1000).optional(),
    messageCaseInsensitive: z.boolean().optional(),
    rate: z.object({ count: z.number().int().min(2).max(100_000), windowSec: z.number().int().min(1).max(86_400) }).strict().optional(),
  })
  .strict();

export const eventActionsSchema = z
  .object({
    severity: z.enum(SEVERITIES).optional(),
    title: z.string().min(1).max(500).optional(),
    disposition: z.enum(DISPOSITIONS).default('store'),
    reductionKey: z.string().min(1).max(500).optional(),
    clearKey: z.string().min(1).max(500).optional(),
    notify: notifySchema.optional(),
    continue: z.boolean().optional(),
  })
  .strict()
  .refine((a) => a.disposition !== 'alarm' || a.reductionKey, { message: 'an alarm action needs a reductionKey', path: ['reductionKey'] })
  .refine((a) => a.disposition !== 'clear' || a.clearKey, { message: 'a clear action needs a clearKey', path: ['clearKey'] });

export const eventRuleBodySchema = z
  .object({ kind: z.literal('event'), match: eventMatchSchema.default({}), actions: eventActionsSchema })
  .strict();

export const thresholdRuleBodySchema = z
  .object({
    kind: z.literal('threshold'),
    metrics: z.array(str()).min(1).max(20),
    instance: z.string().max(200).optional(),
    deviceIds: z.array(z.number().int().positive()).max(1000).optional(),
    groups: z.array(str()).max(100).optional(),
    tags: z.array(str()).max(100).optional(),
    op: z.enum(THRESHOLD_OPS),
    value: z.number().finite(),
    clearValue: z.number().finite().optional(),
    forPolls: z.number().int().min(1).max(10_000).optional(),
    forSec: z.number().int().min(0).max(7 * 86_400).optional(),
    severity: z.enum(SEVERITIES),
    title: z.string().min(1).max(500).optional(),
    notify: notifySchema.optional(),
  })
  .strict()
  .refine((t) => t.clearValue === undefined || (t.op.startsWith('>') ? t.clearValue <= t.value : t.clearValue >= t.value), {
    message: 'clearValue must be on the safe side of value (hysteresis)',
    path: ['clearValue'],
  });

export const ruleBodySchema = z.discriminatedUnion('kind', [eventRuleBodySchema, thresholdRuleBodySchema]);

export const createRuleSchema = z
  .object({
    name: str(),
    description: z.string().max(2000).default(''),
    enabled: z.boolean().default(true),
    /** 1-based position; omitted = just above the default pack. */
    position: z.number().int().min(1).optional(),
    body: ruleBodySchema,
  })
  .strict();

export const updateRuleSchema = z
  .object({
    name: str().optional(),
    description: z.string().max(2000).optional(),
    enabled: z.boolean().optional(),
    body: ruleBodySchema.optional(),
  })
  .strict();
