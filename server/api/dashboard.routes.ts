import type { ListenerStatus } from '../contracts/dto.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Reads } from '../store/read-ops.js';
import type { ApiRegistry } from './registry.js';

export interface DashboardDeps {
  /** The aggregates are read on a reader thread. */
  reads: Reads;
  metrics: Metrics;
  listeners: () => ListenerStatus[];
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
    async () => {
      const now = Date.now();
      const stored = await deps.reads.run('dashboard.summary', { sinceMs: now - 3_600_000, top: 10 });
      const counters = deps.metrics.snapshot();
      // Intake health per component: received/stored/dropped counters as the listeners report them.
      const intake: Record<string, Record<string, number>> = {};
      for (const [key, value] of Object.entries(counters)) {
        const dot = key.lastIndexOf('.');
        (intake[key.slice(0, dot)] ??= {})[key.slice(dot + 1)] = value;
      }
      return {
        at: now,
        devices: stored.devices,
        alarms: stored.alarms,
        eventsPerMinute: stored.eventsPerMinute,
        eventSeverities: stored.eventSeverities,
        topEventTypes: stored.topEventTypes,
        slowestPolls: stored.slowestPolls,
        topInterfaces: stored.topInterfaces,
        intake,
        listeners: deps.listeners(),
      };
    },
  );
}
