import { registerDependencyRoutes } from '../api/dependencies.routes.js';
import { registerTopologyRoutes } from '../api/topology.routes.js';
import type { TopologyDto } from '../contracts/topology.js';
import { defaultGateway } from '../rootcause/gateway.js';
import { RootCauseService } from '../rootcause/root-cause.service.js';
import { AlarmRepository } from '../store/alarm.repository.js';
import { DependencyRepository } from '../store/dependency.repository.js';
import { TopologyRepository } from '../store/topology.repository.js';
import type { EventsModule } from './events.module.js';
import { Late, type AppContext, type Module } from './module.js';
import type { PollingModule } from './polling.module.js';
import type { StoreModule } from './store.module.js';

/**
 * The device graph from neighbour data, built on a reader thread (only the devices' public fields go there),
 * and root-cause analysis over it (issue 17: parents, unreachable devices, suppressed alarms).
 */
export function topologyModule(ctx: AppContext, deps: { store: StoreModule; events?: EventsModule; polling?: PollingModule }): Module {
  const { bus, config } = ctx;
  const root = new Late<{ service: RootCauseService; off: () => void; dependencies: DependencyRepository }>('root cause');
  return {
    name: 'topology',
    async start() {
      if (!deps.events || !deps.polling) return;
      const { db, devices, reads } = deps.store.store;
      const engine = deps.events.engine;
      const polling = deps.polling;
      const alarmsRepo = new AlarmRepository(db);
      const dependencies = new DependencyRepository(db);
      const gateway = defaultGateway();
      const poller = polling.poller;
      const service = new RootCauseService({
        alarms: engine.parts.alarmService,
        suppressedUnder: (id) => alarmsRepo.suppressedUnder(id),
        alarm: (id) => {
          const a = alarmsRepo.get(id);
          return a && { deviceId: a.device_id, reductionKey: a.reduction_key };
        },
        device: (id) => devices.get(id),
        status: (id) => polling.pollState.status(id),
        allStatus: () => polling.pollState.allStatus(),
        publishStatus: (s) => bus.publish('device.status', s),
        derive: () =>
          reads.run('rootcause.derive', {
            devices: devices.list().map(({ id, name, address, group, location, site }) => ({ id, name, address, group, location, site })),
            gateway,
          }),
        probe: poller ? (id) => poller.pollNow(id) : null,
        repoll: poller ? (ids) => poller.pollNowMany(ids) : null,
        log: ctx.log('root-cause'),
        holdMs: config.rootCauseHoldSeconds * 1000,
      });
      const recompute = () => service.scheduleRecompute();
      const offs = [
        bus.subscribe('device.status', (s) => service.onStatus(s)),
        bus.subscribe('alarm.changed', (a) => service.onAlarm(a)),
        bus.subscribe('device.created', recompute),
        bus.subscribe('device.updated', recompute),
        bus.subscribe('device.deleted', recompute),
        bus.subscribe('topology.changed', recompute),
        bus.subscribe('topology.neighbours', recompute),
      ];
      service.start();
      polling.decorateStatus = (s) => service.decorate(s);
      root.set({ service, dependencies, off: () => offs.forEach((o) => o()) });
    },
    async stop() {
      if (!deps.events || !deps.polling) return;
      const { service, off } = root.get();
      off();
      service.stop();
    },
    routes(api) {
      const { db, devices, reads } = deps.store.store;
      const rc = deps.events && deps.polling ? root.get() : null;
      const build = async (): Promise<TopologyDto> => {
        const t = await reads.run('topology.build', { devices: devices.list().map(({ id, name, address, group, location }) => ({ id, name, address, group, location })) });
        if (rc) {
          for (const n of t.nodes) {
            if (n.deviceId === null) continue;
            n.reachability = rc.service.reachability(n.deviceId);
            n.rootCause = rc.service.impactedBy(n.deviceId).length > 0;
          }
          const suppressed = await reads.run('alarms.suppressedByDevice', null);
          for (const n of t.nodes) if (n.deviceId !== null && rc) n.suppressedAlarms = suppressed.get(n.deviceId) ?? 0;
        }
        return t;
      };
      registerTopologyRoutes(api, { topology: new TopologyRepository(db), devices, build, bus: ctx.bus });
      if (rc) registerDependencyRoutes(api, { devices, dependencies: rc.dependencies, rootCause: rc.service });
    },
    counters() {
      if (!deps.events || !deps.polling) return [];
      return [{ name: 'root_cause', counters: () => root.get().service.counters() }];
    },
  };
}
