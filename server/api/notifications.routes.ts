import { isIP } from 'node:net';
import { z } from 'zod';
import { CHANNEL_TYPES, type AlarmDto } from '../contracts/alarms.js';
import { CONFIG_SCHEMAS, mergeConfig, targetUrls } from '../notify/channel.schema.js';
import { deliverySchema } from '../notify/escalation.schema.js';
import { buildPayload } from '../notify/message.js';
import { deniedMessage, type OutboundPolicy } from '../net/outbound-policy.js';
import type { NotificationQueue } from '../notify/notification-queue.js';
import type { ChannelRecord, NotificationRepository } from '../store/notification.repository.js';
import { SecretUnreadableError } from '../store/secret-box.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { idParam, parseOrThrow, type ApiRegistry } from './registry.js';

export interface NotificationRoutesDeps {
  channels: NotificationRepository;
  queue: NotificationQueue;
  outbound: OutboundPolicy;
}

const createBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    type: z.enum(CHANNEL_TYPES),
    enabled: z.boolean().default(true),
    config: z.record(z.string(), z.unknown()),
    /** Quiet hours and digest. */
    delivery: deliverySchema.optional(),
  })
  .strict();
const updateBody = z
  .object({ name: z.string().trim().min(1).max(100).optional(), enabled: z.boolean().optional(), config: z.record(z.string(), z.unknown()).optional(), delivery: deliverySchema.optional() })
  .strict();

const isUnique = (err: unknown) => (err as { code?: string })?.code === 'SQLITE_CONSTRAINT_UNIQUE';

/** A made-up alarm for the "send test" button. */
function testAlarm(): AlarmDto {
  const now = Date.now();
  return {
    id: 0, reductionKey: 'test', state: 'active', severity: 'info', title: 'Test notification from Netwatch', message: 'If you can read this, the channel works.',
    deviceId: null, sourceAddress: null, source: 'system', eventType: 'test', ruleId: null, firstSeen: now, lastSeen: now, count: 1,
    acknowledgedBy: null, acknowledgedAt: null, clearedAt: null, clearedBy: null, inMaintenance: false, flapping: false, archived: false, notes: [],
  };
}

/**
 * A target given as an IP address is checked against the outbound policy when
 * saved (a clear 400 now rather than failed deliveries later). Host names are
 * checked where it counts, on the resolved address at each connection.
 */
function checkTarget(outbound: OutboundPolicy, type: keyof typeof CONFIG_SCHEMAS, config: Record<string, unknown>): void {
  const targets = type === 'email' ? [{ field: 'host', host: String(config.host ?? '') }] : targetUrls(type, config).flatMap(({ field, url }) => {
    try {
      return [{ field, host: new URL(url).hostname.replace(/^\[|\]$/g, '') }];
    } catch {
      return [];
    }
  });
  for (const { field, host } of targets) {
    if (!isIP(host)) continue;
    const v = outbound.check('notify', host);
    if (!v.allowed) throw new ValidationError(`config.${field}: ${deniedMessage(host, v)}`);
  }
}

export function registerNotificationRoutes(api: ApiRegistry, { channels, queue, outbound }: NotificationRoutesDeps): void {
  const tag = 'notifications';
  /** The stored channel; settings that cannot be decrypted read as none, so an edit can enter them again. */
  const storedChannel = (id: number): ChannelRecord | undefined => {
    try {
      return channels.record(id);
    } catch (err) {
      if (!(err instanceof SecretUnreadableError)) throw err;
      const dto = channels.dto(id);
      return dto && { id: dto.id, name: dto.name, type: dto.type, enabled: dto.enabled, config: {} };
    }
  };
  const audit = { object: 'notification-channel', load: (id: number) => channels.dto(id) };
  const save = <T>(name: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (isUnique(err)) throw new ConflictError(`A channel named "${name}" already exists`);
      throw err;
    }
  };

  api.add({ method: 'get', path: '/notification-channels', summary: 'List notification channels (secrets hidden) with delivery counters and last error', tag, access: 'admin', response: '{items: Channel[]}' }, () => ({
    items: channels.list(),
  }));

  api.add(
    { method: 'post', path: '/notification-channels', summary: 'Create a channel (settings are stored encrypted; secrets and header values are never returned): webhook {url, secret?, headers?}, slack {url}, email {host, port, secure, username?, password?, from, to[]}, teams {url, format?, consoleUrl?}, telegram {botToken, chatId, parseMode?, apiBaseUrl?}, pagerduty {routingKey, apiBaseUrl?}, opsgenie {apiKey, region?, apiBaseUrl?}, alertmanager {url, username?, password?, headers?, activeForMinutes?} or http {method, url, headers?, bodyFormat, body} with {alarm.title}-style placeholders', tag, access: 'admin', body: createBody, status: 201, response: 'The channel', audit },
    ({ body }) => {
      const config = parseOrThrow(CONFIG_SCHEMAS[body.type], body.config, `${body.type} settings`) as Record<string, unknown>;
      checkTarget(outbound, body.type, config);
      return save(body.name, () => channels.create({ name: body.name, type: body.type, enabled: body.enabled, config, delivery: body.delivery }));
    },
  );

  api.add({ method: 'get', path: '/notification-channels/:id', summary: 'Get a channel', tag, access: 'admin', response: 'The channel' }, ({ params }) => {
    const c = channels.dto(idParam(params));
    if (!c) throw new NotFoundError('No such channel');
    return c;
  });

  api.add(
    {
      method: 'patch', path: '/notification-channels/:id', tag, access: 'admin', body: updateBody, response: 'The channel',
      summary: 'Edit a channel (omitted settings and secrets are kept; null clears; webhook headers merge by name, a null value removes one)',
      audit,
    },
    ({ params, body }) => {
      const cur = storedChannel(idParam(params));
      if (!cur) throw new NotFoundError('No such channel');
      const merged = mergeConfig(cur.config, body.config ?? {});
      const config = parseOrThrow(CONFIG_SCHEMAS[cur.type], merged, `${cur.type} settings`) as Record<string, unknown>;
      checkTarget(outbound, cur.type, config);
      const name = body.name ?? cur.name;
      return save(name, () => channels.update(cur.id, { name, enabled: body.enabled ?? cur.enabled, config, delivery: body.delivery }))!;
    },
  );

  api.add({ method: 'delete', path: '/notification-channels/:id', summary: 'Delete a channel', tag, access: 'admin', status: 204, audit }, ({ params }) => {
    if (!channels.delete(idParam(params))) throw new NotFoundError('No such channel');
  });

  api.add(
    { method: 'post', path: '/notification-channels/:id/test', summary: 'Send a test notification now; answers whether it was delivered', tag, access: 'admin', response: '{ok: boolean, error?: string}', audit: { ...audit, action: 'test' } },
    async ({ params }) => {
      const id = idParam(params);
      if (!channels.dto(id)) throw new NotFoundError('No such channel');
      try {
        await queue.sendNow(id, buildPayload('test', testAlarm(), null));
        return { ok: true };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    },
  );
}
