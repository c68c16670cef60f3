import { registerCollectorRoutes } from '../api/collectors.routes.js';
import { registerTrapUserRoutes } from '../api/trap-users.routes.js';
import { TrapUserRepository } from '../store/trap-user.repository.js';
import type { SiteHealth } from '../api/devices.routes.js';
import type { HeartbeatSink } from '../contracts/collectors.js';
import { CollectorRegistry } from '../remote/collector-registry.js';
import { CollectorRepository } from '../store/collector.repository.js';
import type { EventsModule } from './events.module.js';
import { Late, type AppContext, type Module } from './module.js';
import type { StoreModule } from './store.module.js';

export interface RegistryModule extends Module {
  /** The registry itself (list, forget, sites), once started. */
  readonly registry: CollectorRegistry;
  /**
   * Where a transport hands collectors' heartbeats: a stable object, safe to take before start;
   * heartbeats that arrive while the registry is not running are counted and dropped.
   */
  readonly sink: HeartbeatSink;
  /** Collector state per site for the device list (no collectors known before start). */
  readonly siteHealth: SiteHealth;
}

/**
 * The centre's collector registry: heartbeats in, the collectors table, the down/up monitor and alarms, /collectors;
 * and /trap-users, the SNMPv3 users every trap receiver accepts (this node's and every collector's): a change is
 * published on the bus (`trapUsers.changed`), which the local receiver and the NATS transport follow.
 */
export function registryModule(ctx: AppContext, deps: { store: StoreModule; events: EventsModule }): RegistryModule {
  const registry = new Late<CollectorRegistry>('the collector registry');
  let running: CollectorRegistry | null = null;
  let notRunning = 0;
  const sink: HeartbeatSink = {
    heartbeat(h, address) {
      if (running) running.heartbeat(h, address);
      else notRunning++;
    },
  };
  let raises = false;
  let offAlarms: (() => Promise<void>) | undefined;
  const siteHealth: SiteHealth = {
    generation: () => running?.generation() ?? 0,
    allCollectorsDown: (site) => running?.allCollectorsDown(site) ?? false,
  };
  return {
    name: 'registry',
    get registry() {
      return registry.get();
    },
    sink,
    siteHealth,
    async start() {
      const r = registry.set(
        new CollectorRegistry({
          repo: new CollectorRepository(deps.store.store.db),
          bus: ctx.bus,
          intake: () => deps.events.writer,
          log: ctx.log('collectors'),
          timeoutMs: ctx.config.collectorTimeoutSeconds * 1000,
          raisesAlarms: () => raises,
        }),
      );
      r.start();
      running = r;
      // One node raises the collector alarms (every node on SQLite, where there is one).
      offAlarms = ctx.singletons.register('collector-alarms', { start: () => void (raises = true), stop: () => void (raises = false) });
    },
    async stop() {
      running = null;
      await offAlarms?.();
      registry.get().stop();
    },
    routes(api) {
      registerCollectorRoutes(api, { registry: registry.get(), ownSite: ctx.config.site });
      const { db, secrets } = deps.store.store;
      registerTrapUserRoutes(api, { trapUsers: new TrapUserRepository(db, secrets), onChange: () => ctx.bus.publish('trapUsers.changed', {}) });
    },
    counters() {
      const r = registry.get();
      return [{ name: 'collectors', counters: () => ({ ...r.counters(), heartbeats_not_running: notRunning }) }];
    },
  };
}
