import type { ListenerStatus } from '../contracts/dto.js';
import type { Metrics } from '../metrics/metrics.js';
import type { DashboardRepository } from '../store/dashboard.repository.js';
import type { ApiRegistry } from './registry.js';

export interface DashboardDeps {
  dashboard: DashboardRepository;
  metrics: Metrics;
  listeners: () => ListenerStatus[];
  /** Active alarms by severity, when the alarm engine is wired. */
  alarmCounts?: () => Record<string, number>;
}

/** One call for the operator's first screen; every figure links to its list in the console. */
export function registerDashboardRoutes(api: ApiRegistry, deps: DashboardDeps): void {
  api.add(
    {
      method: 'get',
      path: '/dashboard',
      summary: 'Device states, active alarms by severity, events per minute and by severity (last hour), intake health, slowest polls, busiest interfaces, top event types',
      tag: 'dashboard',
      access: 'viewer',
      response: 'Dashboard',
    },
    () => {
      const now = Date.now();
      const hourAgo = now - 3_600_000;
      const counters = deps.metrics.snapshot();
      // Intake health per component: received/stored/dropped counters as the listeners report them.
      const intake: Record<string, Record<string, number>> = {};
      for (const [key, value] of Object.entries(counters)) {
        const dot = key.lastIndexOf('.');
        (intake[key.slice(0, dot)] ??= {})[key.slice(dot + 1)] = value;
      }
      return {
        at: now,
        devices: deps.dashboard.deviceStates(),
        alarms: deps.alarmCounts?.() ?? null,
        eventsPerMinute: deps.dashboard.eventsPerMinute(hourAgo),
        eventSeverities: deps.dashboard.eventSeverities(hourAgo),
        topEventTypes: deps.dashboard.topEventTypes(hourAgo, 10),
        slowestPolls: deps.dashboard.slowestPolls(10),
        topInterfaces: deps.dashboard.topInterfaces(10),
        intake,
        listeners: deps.listeners(),
      };
    },
  );
}
