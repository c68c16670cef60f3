import { registerTopologyRoutes } from '../api/topology.routes.js';
import { TopologyRepository } from '../store/topology.repository.js';
import type { AppContext, Module } from './module.js';
import type { StoreModule } from './store.module.js';

/** The device graph from neighbour data, built on a reader thread (only the devices' public fields go there). */
export function topologyModule(ctx: AppContext, deps: { store: StoreModule }): Module {
  return {
    name: 'topology',
    async start() {},
    async stop() {},
    routes(api) {
      const { db, devices, reads } = deps.store.store;
      const build = () =>
        reads.run('topology.build', { devices: devices.list().map(({ id, name, address, group, location }) => ({ id, name, address, group, location })) });
      registerTopologyRoutes(api, { topology: new TopologyRepository(db), devices, build, bus: ctx.bus });
    },
  };
}
