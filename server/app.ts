import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Express } from 'express';
import type { ApiRegistry, RouteRegistration } from './api/registry.js';
import type { Config } from './config/config.schema.js';
import type { HeartbeatSink } from './contracts/collectors.js';
import type { ListenerStatus } from './contracts/dto.js';
import { PgChangeNotices } from './cluster/change-notices.js';
import { LocalSingletons, PgSingletons } from './cluster/singleton.js';
import { InProcessBus, type EventBus } from './events/bus.js';
import { moduleLogger, type Logger } from './log/logger.js';
import { EventLoopMonitor } from './metrics/event-loop-monitor.js';
import { Metrics } from './metrics/metrics.js';
import type { MibService } from './mib/mib.service.js';
import type { OidDictionary } from './mib/oid-dictionary.js';
import { apiModule } from './modules/api.module.js';
import { eventsModule } from './modules/events.module.js';
import { intakeModule } from './modules/intake.module.js';
import { mibModule } from './modules/mib.module.js';
import type { AppContext, Module, ModuleName } from './modules/module.js';
import { pollingModule } from './modules/polling.module.js';
import { realtimeModule } from './modules/realtime.module.js';
import { registryModule } from './modules/registry.module.js';
import { RoleError, roleModules, roleProblem } from './modules/roles.js';
import { healthModule } from './modules/health.module.js';
import { transportModule } from './modules/transport.module.js';
import { storeModule } from './modules/store.module.js';
import { topologyModule } from './modules/topology.module.js';
import { OutboundPolicy } from './net/outbound-policy.js';
import { PROJECT_ROOT } from './paths.js';
import type { Db } from './store/database.js';
import type { ReadPool } from './store/read-pool.js';
import type { SecretBox } from './store/secret-box.js';
import { CustomOidRepository } from './store/custom-oid.repository.js';
import { TrapUserRepository } from './store/trap-user.repository.js';

/** A node with the store, API and console: roles `all` and `central`. */
export interface Netwatch {
  readonly role: 'all' | 'central';
  config: Config;
  httpPort: number;
  url: string;
  db: Db;
  /** Encrypts/decrypts secret columns (repositories built outside, e.g. by tests, need it). */
  secrets: SecretBox;
  bus: EventBus;
  metrics: Metrics;
  registry: ApiRegistry;
  /** Reader threads that answer the heavy reads. */
  reads: ReadPool;
  /** The express app (for route introspection in tests). */
  app: Express;
  listeners(): ListenerStatus[];
  stop(): Promise<void>;
  /** MIB compiler/uploads; `dictionary` is its current OID dictionary (empty until the first load ends). */
  mibs: MibService;
  readonly dictionary: OidDictionary;
  /** The collector registry's heartbeat intake (what the NATS transport calls; tests call it directly). */
  heartbeats: HeartbeatSink;
}

/** A remote collector: listeners and the NATS transport, a small health server; no store, API or console. */
export interface CollectorNode {
  readonly role: 'collector';
  config: Config;
  /** Port of the health server (GET /api/v1/health). */
  httpPort: number;
  url: string;
  bus: EventBus;
  metrics: Metrics;
  listeners(): ListenerStatus[];
  stop(): Promise<void>;
}

/** What `startNetwatch` started; `role` tells which. */
export type NetwatchNode = Netwatch | CollectorNode;

export const VERSION: string = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Every module, wired to the ones it needs; a role picks its list from these (ROLE_MODULES). */
function createModules(ctx: AppContext, routes: () => RouteRegistration[], opts: StartOptions) {
  const store = storeModule(ctx);
  const mib = mibModule(ctx, { store });
  const events = eventsModule(ctx, { store, mib });
  const registry = registryModule(ctx, { store, events });
  const collector = ctx.config.role === 'collector';
  // Heartbeats of remote collectors go to the registry (a caller may take them instead, e.g. a test).
  const localPoller = ctx.config.role !== 'central';
  const polling = pollingModule(ctx, { store, mib, localPoller, siteHealth: registry.siteHealth, remote: collector ? () => ({ devices: transport.assigned, out: transport.pollOutput }) : undefined });
  const transport = transportModule(ctx, {
    side: collector ? 'collector' : 'centre', version: VERSION, writer: () => events.writer, heartbeats: opts.heartbeats ?? (() => registry.sink), heartbeatIntervalMs: opts.heartbeatIntervalMs,
    pollInput: () => polling.input,
    // Every site is assigned to its collectors; in `all` the own site is polled here, not assigned.
    assignments: () => {
      const { devices } = store.store;
      const customOids = new CustomOidRepository(store.store.db);
      return {
        devices: () => devices.list(),
        templates: () => polling.customTemplates(),
        customOids: (d) => customOids.forDevice(d.id, d.group),
        keysOf: (site) => registry.registry.keysOf(site),
        sites: () => registry.registry.sites(),
        excludeSite: localPoller ? ctx.config.site : undefined,
      };
    },
    // Every site's collectors get all v3 trap users, keys sealed for each of them.
    trapUsers: () => {
      const repo = new TrapUserRepository(store.store.db, store.store.secrets);
      return {
        users: () => repo.list().filter((u) => u.secretError === undefined),
        keysOf: (site) => registry.registry.keysOf(site),
        sites: () => registry.registry.sites(),
      };
    },
  });
  // A collector has no store, no MIBs and no devices: its listeners hand events to NATS, the centre resolves devices.
  const intake = collector
    ? intakeModule(ctx, { out: () => transport.intake, remoteUsers: () => transport.trapUsers })
    : intakeModule(ctx, { store, mib, out: () => events.writer, resolveDevice: (a) => events.resolver.resolve(a) });
  const topology = topologyModule(ctx, { store, events, polling: collector ? undefined : polling });
  const api = apiModule(ctx, { store, version: VERSION, routes, siteHealth: registry.siteHealth, deviceMetrics: collector ? undefined : () => polling.deviceMetrics });
  const realtime = realtimeModule(ctx, { api });
  const health = healthModule(ctx, { version: VERSION });
  return { store, events, registry, intake, polling, topology, api, realtime, mib, transport, health } satisfies Record<ModuleName, Module>;
}

export interface StartOptions {
  extraRoutes?: RouteRegistration[];
  showOnce?: (text: string) => void;
  /** Centre: who takes collector heartbeats (default: the collector registry). */
  heartbeats?: () => HeartbeatSink | null;
  /** Collector: pause between heartbeats (default HEARTBEAT_INTERVAL_MS; tests shorten it). */
  heartbeatIntervalMs?: number;
}

/** Starts the modules of `config.role` in order; `stop()` stops them in reverse. */
export async function startNetwatch(
  config: Config,
  rootLog: Logger,
  opts: StartOptions = {},
): Promise<NetwatchNode> {
  const problem = roleProblem(config);
  if (problem) throw new RoleError(problem);
  const log = moduleLogger(rootLog, 'app');
  const busLog = moduleLogger(rootLog, 'bus');
  // The store on PostgreSQL: this may be one of several central nodes (docs/SCALING.md).
  const pgUrl = config.role !== 'collector' ? config.databaseUrl : undefined;
  const singletons = pgUrl ? new PgSingletons({ url: pgUrl, log: moduleLogger(rootLog, 'singletons'), node: `${hostname()}:${process.pid}` }) : new LocalSingletons(moduleLogger(rootLog, 'singletons'));
  const notices = pgUrl ? new PgChangeNotices({ url: pgUrl, log: moduleLogger(rootLog, 'cluster') }) : null;
  const ctx: AppContext = {
    config,
    log: (name) => moduleLogger(rootLog, name),
    bus: new InProcessBus((topic, err) => busLog.error({ err, topic }, 'bus subscriber failed')),
    metrics: new Metrics(),
    // One outbound policy for every connection we open: notifications, polling, MIB browse, discovery.
    outbound: OutboundPolicy.fromConfig(config),
    startedAt: Date.now(),
    listeners: [],
    showOnce: opts.showOnce ?? ((text) => process.stderr.write(text)),
    singletons,
    notices,
    cluster: null,
  };
  const all = createModules(ctx, () => routes, opts);
  const modules = roleModules(config).map((name) => all[name]);
  // The one registration list: the API's own routes first, then each module's in role order, then the caller's.
  const routes = [all.api, ...modules.filter((m) => m !== all.api)].flatMap((m): RouteRegistration[] => (m.routes ? [m.routes] : [])).concat(opts.extraRoutes ?? []);

  const started: Module[] = [];
  const stopAll = async () => {
    for (const m of started.splice(0).reverse()) await m.stop();
    await singletons.close();
    await notices?.stop();
  };
  try {
    if (singletons instanceof PgSingletons) await singletons.start();
    await notices?.start();
    ctx.metrics.addSource({ name: 'singletons', counters: () => singletons.counters() });
    if (notices) ctx.metrics.addSource({ name: 'cluster-notices', counters: () => notices.counters() });
    for (const m of modules) {
      await m.start();
      started.push(m);
      for (const source of m.counters?.() ?? []) ctx.metrics.addSource(source);
    }
  } catch (err) {
    await stopAll().catch((stopErr: unknown) => log.error({ err: stopErr }, 'stopping after a failed start failed'));
    throw err;
  }
  // How long the main thread is held at a time (every request, intake batch and push waits for it).
  const loop = new EventLoopMonitor();
  loop.start();
  ctx.metrics.addSource({ name: 'main-thread', counters: () => loop.counters() });

  const collector = config.role === 'collector';
  const httpPort = collector ? all.health.httpPort : all.api.httpPort;
  const host = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? 'localhost' : config.httpHost;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${httpPort}`;
  if (collector) log.info({ url, dataDir: resolve(config.dataDir), role: config.role, site: config.site }, `Netwatch ${VERSION} collector of site ${config.site}, health at ${url}`);
  else log.info({ url, dataDir: resolve(config.dataDir), role: config.role }, `Netwatch ${VERSION} console at ${url}`);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      loop.stop();
      await stopAll();
      log.info('stopped');
    })());
  if (config.role === 'collector') return { role: 'collector', config, httpPort, url, bus: ctx.bus, metrics: ctx.metrics, listeners: () => ctx.listeners, stop };
  const { store } = all.store;
  const { mibs } = all.mib;
  return { role: config.role, config, httpPort, url, db: store.db, secrets: store.secrets, bus: ctx.bus, metrics: ctx.metrics, registry: all.api.registry, reads: store.reads, app: all.api.app, listeners: () => ctx.listeners, stop, mibs, get dictionary() { return mibs.dictionary; }, heartbeats: all.registry.sink };
}
