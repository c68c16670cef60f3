import type { AlarmDto, AlarmNotificationPayload } from '../../contracts/alarms.js';
import { AckLinks } from '../../notify/ack-link.js';
import { DeliveryGate } from '../../notify/delivery-gate.js';
import { EscalationService, type EscalationDeps } from '../../notify/escalation.js';
import { buildPayload } from '../../notify/message.js';
import { NotificationQueue } from '../../notify/notification-queue.js';
import { createSenders } from '../../notify/senders.js';
import type { AlarmRepository } from '../../store/alarm.repository.js';
import { EscalationRepository } from '../../store/escalation.repository.js';
import { NotificationHeldRepository } from '../../store/notification-held.repository.js';
import type { NotificationRepository } from '../../store/notification.repository.js';
import type { DeviceInfo } from './event-context.js';
import type { EventEngineDeps } from './event-engine.js';

/** What the notification side reads from the engine. */
export interface AlarmNotificationsContext {
  channels: NotificationRepository;
  alarmsRepo: AlarmRepository;
  /** The engine's device directory (the engine keeps it current from the bus). */
  directory: Map<number, DeviceInfo>;
  device: (id: number | null) => DeviceInfo | undefined;
  /** Channels of the rule that raised an alarm (the current rules). */
  ruleChannels: EscalationDeps['ruleChannels'];
}

/**
 * The engine's notification side: the queue and its senders, quiet hours and digests (DeliveryGate)
 * between the alarm decisions and the queue, payloads with a signed acknowledge link, escalation, and
 * the tick that steps escalations and releases held deliveries (the engine runs it as `alarm-escalation`).
 */
export function createAlarmNotifications(
  deps: Pick<EventEngineDeps, 'db' | 'log' | 'devices' | 'secrets' | 'notifications' | 'outbound' | 'publicUrl' | 'ackLinkTtlMs' | 'clustered'>,
  { channels, alarmsRepo, directory, device, ruleChannels }: AlarmNotificationsContext,
) {
  const { db, log } = deps;
  const queue = new NotificationQueue(channels, log, deps.notifications, createSenders(deps.outbound));
  // Quiet hours and digests sit between the decisions and the queue.
  const gate = new DeliveryGate({ channel: (id) => channels.delivery(id), enqueue: (id, p) => queue.enqueue(id, p), clock: Date.now, store: new NotificationHeldRepository(db) });
  const ackLinks = new AckLinks(deps.secrets.derivedKeys('ack-link'), { baseUrl: deps.publicUrl, ttlMs: deps.ackLinkTtlMs ?? 72 * 3_600_000 });
  const ACKABLE = new Set<AlarmNotificationPayload['kind']>(['raise', 'severity', 'escalate']);
  const payloadFor = (kind: AlarmNotificationPayload['kind'], alarm: AlarmDto, previous?: AlarmDto['severity']): AlarmNotificationPayload => {
    const p = buildPayload(kind, alarm, device(alarm.deviceId)?.name ?? null, previous);
    const ackUrl = ACKABLE.has(kind) && alarm.state === 'active' ? ackLinks.url(alarm.id) : undefined;
    return ackUrl ? { ...p, ackUrl } : p;
  };
  const escalationsRepo = new EscalationRepository(db);
  const escalation = new EscalationService({
    repo: escalationsRepo,
    sharedStates: deps.clustered === true,
    clock: Date.now,
    alarm: (id) => alarmsRepo.dto(id),
    device: (id) => {
      const group = id === null ? undefined : directory.get(id)?.group;
      if (id === null || group === undefined) return undefined;
      return { group, site: deps.devices.get(id)?.site ?? null };
    },
    channelType: (id) => channels.delivery(id)?.type,
    ruleChannels,
    send: (channelId, kind, alarm, step) => {
      const p = payloadFor(kind, alarm);
      gate.submit(channelId, step ? { ...p, escalation: step } : p);
    },
  });
  const escalationTick = () => {
    try {
      escalation.tick();
    } catch (err) {
      log.error({ err }, 'escalation step failed');
    }
    try {
      gate.tick();
    } catch (err) {
      log.error({ err }, 'quiet hours / digest release failed');
    }
  };
  return { queue, gate, ackLinks, payloadFor, escalationsRepo, escalation, escalationTick };
}
