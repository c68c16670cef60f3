import { registerCustomOidRoutes } from '../api/custom-oids.routes.js';
import { registerDiscoveryRoutes } from '../api/discovery.routes.js';
import { registerMetricRoutes } from '../api/metrics.routes.js';
import { registerPollRoutes } from '../api/poll.routes.js';
import { IcmpPinger } from '../collectors/icmp/icmp.pinger.js';
import { DiscoveryService } from '../poller/discovery.service.js';
import { repositoryDevices, RepositoryPollOutput } from '../poller/poll-io.js';
import { PollService } from '../poller/poll.service.js';
import { SampleMaintenance } from '../poller/sample-maintenance.js';
import { InProcessSnmpRunner, PingerIcmpRunner, WorkerSnmpRunner } from '../poller/snmp-runner.js';
import { CustomOidRepository } from '../store/custom-oid.repository.js';
import { PollStateRepository } from '../store/poll-state.repository.js';
import { SampleRepository } from '../store/sample.repository.js';
import type { MibModule } from './mib.module.js';
import { Late, type AppContext, type Module } from './module.js';
import type { StoreModule } from './store.module.js';

interface Polling {
  poller: PollService;
  discovery: DiscoveryService;
  pollState: PollStateRepository;
  samples: SampleRepository;
  sampleMaintenance: SampleMaintenance;
  customOids: CustomOidRepository;
  unsubscribe: () => void;
}

/** SNMP/ICMP polling (worker threads unless NMS_POLL_WORKERS=0), discovery, and the time series they fill. */
export function pollingModule(ctx: AppContext, deps: { store: StoreModule; mib: MibModule }): Module {
  const { config, bus, outbound } = ctx;
  const polling = new Late<Polling>('polling');
  const keepDays = { raw: config.retentionRawDays, '5m': config.retention5mDays, '1h': config.retention1hDays };
  return {
    name: 'polling',
    async start() {
      const { db, devices } = deps.store.store;
      const pollState = new PollStateRepository(db);
      const samples = new SampleRepository(db);
      const customOids = new CustomOidRepository(db);
      const sampleMaintenance = new SampleMaintenance(samples, keepDays, ctx.log('samples'));
      sampleMaintenance.start();
      const unsubscribe = bus.subscribe('device.deleted', ({ id }) => samples.forgetDevice(id));
      const pinger = new IcmpPinger({ log: ctx.log('icmp') });
      const discovery = new DiscoveryService({ devices, pinger, bus, log: ctx.log('discovery'), outbound, site: config.site });
      const poller = new PollService(
        { devices: repositoryDevices(devices, bus), out: new RepositoryPollOutput({ pollState, samples, bus }), log: ctx.log('poller'),
          snmp: config.pollWorkers > 0 ? new WorkerSnmpRunner(config.pollWorkers, ctx.log('poll-workers')) : new InProcessSnmpRunner(),
          icmp: new PingerIcmpRunner(pinger),
          customOids: (d) => customOids.forDevice(d.id, d.group),
          allowed: (d) => outbound.check('device', d.address).allowed,
          site: config.site,
        },
        { concurrency: config.pollConcurrency, icmpDownAfter: config.icmpDownAfter },
      );
      polling.set({ poller, discovery, pollState, samples, sampleMaintenance, customOids, unsubscribe });
      if (config.pollerEnabled) poller.start();
    },
    async stop() {
      const { sampleMaintenance, poller, unsubscribe } = polling.get();
      sampleMaintenance.stop();
      await poller.stop();
      unsubscribe();
    },
    routes(api) {
      const { poller, discovery, pollState, samples, customOids } = polling.get();
      const { devices, reads } = deps.store.store;
      const retention = { raw: keepDays.raw * 86_400, '5m': keepDays['5m'] * 86_400, '1h': keepDays['1h'] * 86_400 };
      registerMetricRoutes(api, { samples, pollState, devices, reads, retention });
      registerDiscoveryRoutes(api, { discovery });
      registerCustomOidRoutes(api, { customOids, devices, dictionary: () => deps.mib.mibs.dictionary });
      registerPollRoutes(api, { devices, pollState, pollNow: (id) => poller.pollNow(id), outbound, site: config.site });
    },
    counters() {
      const { poller } = polling.get();
      return [{ name: 'poller', counters: () => poller.counters() }];
    },
  };
}
