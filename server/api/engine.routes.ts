import type { Router } from 'express';
import type { EventEngine } from '../events/engine/event-engine.js';
import { registerAckLinkRoutes } from './ack-link.routes.js';
import { registerAlarmRoutes } from './alarms.routes.js';
import { registerEscalationRoutes } from './escalation.routes.js';
import { registerMaintenanceRoutes } from './maintenance.routes.js';
import { registerNotificationRoutes } from './notifications.routes.js';
import type { ApiRegistry } from './registry.js';
import { registerRuleRoutes } from './rules.routes.js';

/** /alarms, /rules, /notification-channels and /maintenance: the routes over the event engine's parts. */
export function registerEngineRoutes(api: ApiRegistry, engine: EventEngine, router?: Router): void {
  const p = engine.parts;
  registerAlarmRoutes(api, { alarms: p.alarms, service: p.alarmService, reads: p.reads });
  registerRuleRoutes(api, { rules: p.rules, channels: p.channels, engine, resolveOidName: p.resolveOidName, hits: p.hits });
  registerNotificationRoutes(api, { channels: p.channels, queue: p.queue, outbound: p.outbound });
  registerEscalationRoutes(api, { escalations: p.escalations, service: p.escalation, channels: p.channels });
  registerAckLinkRoutes(api, { links: p.ackLinks, alarms: p.alarms, service: p.alarmService }, router);
  registerMaintenanceRoutes(api, { maintenance: p.maintenance, index: p.maintenanceIndex, devices: p.devices, onChange: () => engine.sweep() });
}
