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
import { LatencyRepository } from '../store/latency.repository.js';
import { registerLatencyRoutes } from '../api/latency.routes.js';
import type { AssignedDevices, PublishedPollOutput } from '../remote/collector-polling.js';
import type { AssignedTemplate } from '../contracts/assignment.js';
import type { DeviceStatusDto } from '../contracts/poll-state.js';
import type { DeviceRecord } from '../store/device.repository.js';
import { ConflictError } from '../api/errors.js';
import type { SiteHealth } from '../api/devices.routes.js';
import { DeviceMetricsCache } from '../metrics/device-metrics-cache.js';
import { RemoteWriter } from '../metrics/remote-write.js';
import { deviceScrapeStats } from '../api/device-metrics.routes.js';
import type { RemotePollInput } from './transport.module.js';
import type { MibModule } from './mib.module.js';
import { Late, type AppContext, type Module } from './module.js';
import type { StoreModule } from './store.module.js';
import { registerInventoryRoutes } from '../api/inventory.routes.js';
import type { InventorySink } from '../contracts/inventory.js';
import { InventoryService } from '../inventory/inventory.service.js';
import { InventoryRepository } from '../store/inventory.repository.js';
import { TemplateService } from '../templates/template.service.js';
import { TemplateEngine } from '../templates/template-engine.js';
import { TemplateInstanceRepository, TemplateRepository } from '../store/template.repository.js';
import { registerTemplateRoutes } from '../api/templates.routes.js';
import { TEMPLATES_DIR } from '../paths.js';

interface Polling {
  /** Null at `central`: it stores what collectors poll and polls nothing itself. */
  poller: PollService | null;
  discovery: DiscoveryService | null;
  pollState: PollStateRepository;
  samples: SampleRepository;
  sampleMaintenance: SampleMaintenance;
  /** Stops the singleton jobs (rollups, the site's poll scheduling) if they run here and gives their locks back. */
  offJobs: () => Promise<void>;
  customOids: CustomOidRepository;
  output: RepositoryPollOutput;
  latest: DeviceMetricsCache;
  remoteWrite: RemoteWriter | null;
  inventoryRepo: InventoryRepository;
  inventory: InventoryService;
  unsubscribe: () => void;
  templates: TemplateService;
  templateEngine: TemplateEngine | null;
}

/** At a collector: the devices the centre assigned to its site, results published to the centre (the transport's). */
export interface RemotePolling {
  devices: AssignedDevices;
  out: PublishedPollOutput;
}

export interface PollingModule extends Module {
  /** With a store (all, central): where collectors' poll batches are written, the repositories the local poller uses. */
  readonly input: RemotePollInput;
  /** With a store: the latest polled values of every device (GET /metrics/devices). */
  readonly deviceMetrics: DeviceMetricsCache;
  /** With a store: where hardware inventory snapshots go (ENTITY-MIB from the poller, template inventory columns). */
  readonly inventory: InventorySink;
  /** With a store: the local poller (null at `central`, where collectors poll); root cause probes and re-polls through it. */
  readonly poller: PollService | null;
  /** Root cause (set by the topology module): adds reachability to the statuses the poll routes return. */
  decorateStatus: ((s: DeviceStatusDto) => DeviceStatusDto) | null;
  /** With a store: the stored poll state (status of every device). */
  readonly pollState: PollStateRepository;
  /** With a store: the custom collection templates, as collectors get them with their site's assignment (empty before start). */
  customTemplates(): AssignedTemplate[];
}

/**
 * SNMP/ICMP polling (worker threads unless NMS_POLL_WORKERS=0), discovery, and the time series they fill.
 * - `all`: polls the devices of its own site, stores and serves the results (and those of collectors, with NATS).
 * - `central` (`localPoller: false`): polls nothing; stores and serves what the site's collectors poll.
 * - collector (`deps.remote`): only the poller, over the assigned devices; no store, routes or discovery.
 */
export function pollingModule(
  ctx: AppContext,
  deps: { store: StoreModule; mib: MibModule; localPoller: boolean; remote?: () => RemotePolling; siteHealth?: SiteHealth },
): PollingModule {
  const { config, bus, outbound } = ctx;
  const polling = new Late<Polling>('polling');
  let started = false;
  const remotePoller = new Late<{ poller: PollService; out: PublishedPollOutput }>('polling');
  const keepDays = { raw: config.retentionRawDays, '5m': config.retention5mDays, '1h': config.retention1hDays };
  const runners = () => ({
    snmp: config.pollWorkers > 0 ? new WorkerSnmpRunner(config.pollWorkers, ctx.log('poll-workers')) : new InProcessSnmpRunner(),
    allowed: (d: DeviceRecord) => outbound.check('device', d.address).allowed,
    site: config.site,
  });
  const opts = { concurrency: config.pollConcurrency, icmpDownAfter: config.icmpDownAfter, inventoryIntervalMs: config.inventoryIntervalMinutes * 60_000 };
  const icmpOptions = { count: config.icmpProbes };
  const wrapperArgv = config.icmpWrapper.split(' ').filter(Boolean);
  const icmpWrapper = wrapperArgv.length ? { wrapper: wrapperArgv } : {};
  /** Collection templates: files (and, with a store, custom ones); the engine's threshold rules go to the event engine over the bus. */
  const startTemplates = async (db?: ConstructorParameters<typeof TemplateRepository>[0], inventory?: InventorySink, output?: RepositoryPollOutput) => {
    const templates = new TemplateService({ dirs: [TEMPLATES_DIR, ...config.templateDirs.split(',').map((d) => d.trim()).filter(Boolean)], repo: db ? new TemplateRepository(db) : undefined, log: ctx.log('templates') });
    await templates.start();
    // At once, so that a device's first poll is judged by its templates' thresholds (the engine
    // reports a new application before it hands over that poll's samples); changes within the next
    // 500 ms (a start-up or a template edit touching many devices) are published once at its end.
    let timer: NodeJS.Timeout | null = null;
    let pending = false;
    // Devices polled elsewhere (a collector) or here: the templates each poll reported applying.
    const reported = new Map<number, string[]>();
    const applied = () => {
      const out = engine.appliedDevices();
      for (const [deviceId, ids] of reported) {
        for (const id of ids) {
          const l = out.get(id);
          if (!l) out.set(id, [deviceId]);
          else if (!l.includes(deviceId)) l.push(deviceId);
        }
      }
      return out;
    };
    const publishNow = () => bus.publish('templates.thresholdRules', { rules: templates.rules(applied()) });
    const publishRules = () => {
      if (timer) {
        pending = true;
        return;
      }
      publishNow();
      timer = setTimeout(() => {
        timer = null;
        if (pending) {
          pending = false;
          publishNow();
        }
      }, 500);
      timer.unref();
    };
    const engine: TemplateEngine = new TemplateEngine({
      templates: () => templates.compiled(),
      store: db ? new TemplateInstanceRepository(db) : undefined,
      onApplied: publishRules,
      inventory,
      recheckMinutes: config.templateRecheckMinutes,
    });
    templates.onChange(publishRules);
    let off = () => {};
    if (output) {
      output.templateReports = (r) => {
        const before = reported.get(r.deviceId);
        const ids = [...new Set(r.applied)].sort();
        const same = before ? before.length === ids.length && before.every((x, i) => x === ids[i]) : ids.length === 0;
        if (!same) {
          if (ids.length) reported.set(r.deviceId, ids);
          else reported.delete(r.deviceId);
          publishRules();
        }
        if (r.gone.length) bus.publish('templates.instancesGone', { deviceId: r.deviceId, gone: r.gone });
      };
      off = bus.subscribe('device.deleted', ({ id }) => {
        if (reported.delete(id)) publishRules();
      });
    }
    return { templates, engine, off };
  };
  const self: PollingModule = {
    name: 'polling',
    input: {
      get out() {
        return polling.get().output;
      },
      siteOf: (id) => deps.store.store.devices.get(id)?.site,
    },
    get deviceMetrics() {
      return polling.get().latest;
    },
    decorateStatus: null,
    get poller() {
      return polling.get().poller;
    },
    get pollState() {
      return polling.get().pollState;
    },
    get inventory() {
      return polling.get().inventory;
    },
    customTemplates() {
      if (!started) return [];
      return polling
        .get()
        .templates.compiled()
        .filter((t) => t.origin.source === 'custom')
        .map((t) => ({ id: t.id, body: t.body, deviceId: t.origin.deviceId ?? null, group: t.origin.group ?? null }));
    },
    async start() {
      if (deps.remote) {
        const { devices, out } = deps.remote();
        const pinger = new IcmpPinger({ log: ctx.log('icmp'), ...icmpWrapper });
        // Template inventory columns of this site's devices travel to the central like ENTITY-MIB snapshots.
        const { engine, templates } = await startTemplates(undefined, out.inventory ? { ingest: (snap) => out.inventory!(snap) } : undefined);
        // Custom (database) templates come from the centre with the site's assignment.
        templates.setAssigned(devices.templates());
        devices.watchTemplates((list) => templates.setAssigned(list));
        const poller = new PollService(
          { devices, out, log: ctx.log('poller'), icmp: new PingerIcmpRunner(pinger, icmpOptions), customOids: (d) => devices.customOids(d), templates: engine, ...runners() },
          opts,
        );
        remotePoller.set({ poller, out });
        out.start();
        if (config.pollerEnabled) poller.start();
        return;
      }
      const { db, devices } = deps.store.store;
      const pollState = new PollStateRepository(db);
      const samples = new SampleRepository(db, { rawKeepDays: keepDays.raw });
      const customOids = new CustomOidRepository(db);
      const latest = new DeviceMetricsCache({ labelsOf: (id) => devices.get(id), ownSite: config.site });
      const states = pollState.allStatus();
      latest.seed(devices.list().map((d) => ({ id: d.id, snmpState: states.get(d.id)?.snmpState, icmpState: states.get(d.id)?.icmpState })));
      const latency = new LatencyRepository(db);
      const inventoryRepo = new InventoryRepository(db);
      const inventory = new InventoryService({ repo: inventoryRepo, bus, log: ctx.log('inventory'), device: (id) => devices.get(id) });
      const output = new RepositoryPollOutput({ pollState, samples, bus, latest, latency, inventory });
      const sampleMaintenance = new SampleMaintenance(samples, keepDays, ctx.log('samples'), latency);
      const offRollups = ctx.singletons.register('sample-rollups', { start: () => sampleMaintenance.start(), stop: () => sampleMaintenance.stop() });
      const offs = [
        bus.subscribe('device.deleted', ({ id }) => {
          samples.forgetDevice(id);
          latest.drop(id);
          inventory.forget(id);
        }),
        bus.subscribe('device.created', (d) => latest.relabel(d.id)),
        bus.subscribe('device.updated', (d) => latest.relabel(d.id)),
      ];
      const unsubscribe = () => offs.forEach((off) => off());
      let poller: PollService | null = null;
      let discovery: DiscoveryService | null = null;
      const { templates, engine, off: offTemplates } = await startTemplates(db, inventory, output);
      offs.push(offTemplates);
      const templateEngine = deps.localPoller ? engine : null;
      if (deps.localPoller) {
        const pinger = new IcmpPinger({ log: ctx.log('icmp'), ...icmpWrapper });
        discovery = new DiscoveryService({ devices, pinger, bus, log: ctx.log('discovery'), outbound, site: config.site });
        poller = new PollService(
          { devices: repositoryDevices(devices, bus), out: output, log: ctx.log('poller'),
            icmp: new PingerIcmpRunner(pinger, icmpOptions),
            customOids: (d) => customOids.forDevice(d.id, d.group),
            templates: engine,
            ...runners(),
          },
          opts,
        );
      }
      const remoteWrite = config.remoteWriteUrl
        ? new RemoteWriter(
            { cache: latest, outbound, log: ctx.log('remote-write'), collectorDown: deps.siteHealth?.allCollectorsDown },
            { url: config.remoteWriteUrl, intervalMs: config.remoteWriteIntervalSeconds * 1000, bearerToken: config.remoteWriteBearerToken },
          )
        : null;
      remoteWrite?.start();
      // Collectors get the custom templates with their assignment: rewritten when they change.
      templates.onChange(() => bus.publish('templates.changed', { templates: templates.compiled().length }));
      // Several central nodes: a custom template changed on one is read again on the others.
      const cluster = ctx.cluster;
      if (cluster) {
        cluster.onNotice('templates', () => templates.reloadStored());
        templates.onStoredChange(() => cluster.announce('templates'));
      }
      started = true;
      // Several nodes of one site on one store (`all` on PostgreSQL): one of them schedules the site's polls.
      let offPoller = async (): Promise<void> => undefined;
      const offJobs = async () => {
        await offPoller();
        await offRollups();
      };
      polling.set({ poller, discovery, pollState, samples, sampleMaintenance, offJobs, customOids, output, latest, remoteWrite, inventoryRepo, inventory, unsubscribe, templates, templateEngine });
      if (poller && config.pollerEnabled) {
        const p = poller;
        offPoller = ctx.singletons.register(`poll-schedule.${config.site}`, { start: () => p.start(), stop: () => p.pause() });
      }
    },
    async stop() {
      if (deps.remote) {
        const { poller, out } = remotePoller.get();
        await poller.stop();
        out.stop();
        return;
      }
      const { offJobs, poller, remoteWrite, unsubscribe } = polling.get();
      await offJobs();
      await remoteWrite?.stop();
      await poller?.stop();
      unsubscribe();
    },
    routes(api) {
      const { poller, discovery, pollState, samples, customOids, inventoryRepo, templates, templateEngine } = polling.get();
      const { devices, reads } = deps.store.store;
      const retention = { raw: keepDays.raw * 86_400, '5m': keepDays['5m'] * 86_400, '1h': keepDays['1h'] * 86_400 };
      registerMetricRoutes(api, { samples, pollState, devices, reads, retention });
      registerLatencyRoutes(api, { devices, reads, retention });
      if (discovery) registerDiscoveryRoutes(api, { discovery });
      registerCustomOidRoutes(api, { customOids, devices, dictionary: () => deps.mib.mibs.dictionary, templates });
      registerTemplateRoutes(api, { templates, engine: templateEngine, poller, devices });
      const pollNow = poller
        ? (id: number) => poller.pollNow(id)
        : () => Promise.reject(new ConflictError(`This central node polls no device: the collectors of each device's site do (NMS_ROLE=collector NMS_SITE=<site>)`));
      registerPollRoutes(api, { devices, pollState, pollNow, outbound, site: poller ? config.site : undefined, decorate: (s) => self.decorateStatus?.(s) ?? s });
      registerInventoryRoutes(api, { devices, inventory: inventoryRepo, refresh: poller ? (id) => poller.refreshInventory(id) : null, outbound, site: poller ? config.site : undefined });
    },
    counters() {
      if (deps.remote) {
        const { poller } = remotePoller.get();
        return [{ name: 'poller', counters: () => poller.counters() }];
      }
      const { poller, latest, remoteWrite, inventory, templateEngine } = polling.get();
      return [
        { name: 'inventory', counters: () => inventory.counters() },
        ...(templateEngine ? [{ name: 'templates', counters: () => ({ ...templateEngine.stats }) }] : []),
        ...(poller ? [{ name: 'poller', counters: () => poller.counters() }] : []),
        { name: 'device-metrics', counters: () => ({ ...latest.counters(), ...deviceScrapeStats }) },
        ...(remoteWrite ? [{ name: 'remote-write', counters: () => remoteWrite.counters() }] : []),
      ];
    },
  };
  return self;
}
