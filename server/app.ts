import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Express, Router } from 'express';
import type { Config } from './config/config.schema.js';
import type { ListenerStatus } from './contracts/dto.js';
import { createHttpApp } from './api/index.js';
import type { ApiRegistry } from './api/registry.js';
import { AuthService } from './auth/auth.service.js';
import { hashPassword, randomPassword } from './auth/password.js';
import { InProcessBus, type EventBus } from './events/bus.js';
import { moduleLogger, type Logger } from './log/logger.js';
import { Metrics } from './metrics/metrics.js';
import { DEFAULT_CLIENT_DIR, MIBS_DIR, MIGRATIONS_DIR, PROJECT_ROOT } from './paths.js';
import { attachRealtime } from './realtime/socket.js';
import { AuthTokenRepository } from './store/auth-token.repository.js';
import type { Db } from './store/database.js';
import { openStore } from './store/open-store.js';
import type { SecretBox } from './store/secret-box.js';
import { DeviceRepository } from './store/device.repository.js';
import { EventRepository } from './store/event.repository.js';
import { DeviceResolver } from './events/device-resolver.js';
import { EventWriter } from './events/event-writer.js';
import { openEventStoreThread } from './store/event-store-thread.js';
import { partitionRowsFor } from './store/event-fts.js';
import { createEventEngine } from './events/engine/event-engine.js';
import { registerEventRoutes } from './api/events.routes.js';
import { registerMetricRoutes } from './api/metrics.routes.js';
import { registerTopologyRoutes } from './api/topology.routes.js';
import { registerDashboardRoutes } from './api/dashboard.routes.js';
import { PollStateRepository } from './store/poll-state.repository.js';
import { SampleRepository } from './store/sample.repository.js';
import { TopologyRepository } from './store/topology.repository.js';
import { ReadPool } from './store/read-pool.js';
import { EventLoopMonitor } from './metrics/event-loop-monitor.js';
import { ExportStats } from './api/event-export.routes.js';
import { SampleMaintenance } from './poller/sample-maintenance.js';
import { PollService } from './poller/poll.service.js';
import { OutboundPolicy } from './net/outbound-policy.js';
import { InProcessSnmpRunner, PingerIcmpRunner, WorkerSnmpRunner } from './poller/snmp-runner.js';
import { IcmpPinger } from './collectors/icmp/icmp.pinger.js';
import { DiscoveryService } from './poller/discovery.service.js';
import { registerDiscoveryRoutes } from './api/discovery.routes.js';
import { registerCustomOidRoutes } from './api/custom-oids.routes.js';
import { CustomOidRepository } from './store/custom-oid.repository.js';
import { registerPollRoutes } from './api/poll.routes.js';
import { schemaVersion } from './store/migrate.js';
import { UserRepository } from './store/user.repository.js';
import { MibService } from './mib/mib.service.js';
import type { OidDictionary } from './mib/oid-dictionary.js';
import { registerMibRoutes } from './api/mib.routes.js';
import { registerSnmpBrowseRoutes } from './api/snmp-browse.routes.js';
import { createTrapReceiver } from './collectors/trap/trap.receiver.js';
import { createSyslogListener } from './collectors/syslog/syslog.listener.js';
import { parseCommunities, receiverUsers } from './collectors/trap/trap.users.js';
import { TrapUserRepository } from './store/trap-user.repository.js';
import { AuditRepository } from './store/audit.repository.js';
import { AuditTrail } from './audit/audit-trail.js';
import { registerAuditRoutes } from './api/audit.routes.js';
import { registerTrapUserRoutes } from './api/trap-users.routes.js';
import { registerUnknownSenderRoutes } from './api/unknown-senders.routes.js';
import { UnknownSenderRepository } from './store/unknown-sender.repository.js';

export interface Netwatch {
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
}

export const VERSION: string = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * First start: create the admin user, with the configured password or a random one.
 * A generated password is written once to stderr, as plain text for the person
 * starting the server (a terminal, `docker logs`, the journal), never into the JSON log,
 * which is often shipped elsewhere; the log only says where to look.
 */
async function ensureAdmin(users: UserRepository, config: Config, log: Logger, showOnce: (text: string) => void): Promise<void> {
  if (users.count() > 0) return;
  const generated = !config.adminPassword;
  const password = config.adminPassword ?? randomPassword();
  users.create({ username: 'admin', passwordHash: await hashPassword(password), role: 'admin' });
  if (generated) {
    showOnce(
      [
        '',
        '  Netwatch first start: created user "admin" with the generated password',
        '',
        `      ${password}`,
        '',
        '  Log in and change it (user menu > Change password). It is not shown again.',
        '',
      ].join('\n') + '\n',
    );
    log.warn({ username: 'admin' }, 'first start: created user "admin" with a generated password, shown once on stderr (not in this log)');
  } else {
    log.info({ username: 'admin' }, 'first start: created user "admin" with the password from NMS_ADMIN_PASSWORD');
  }
}

/** The host a request was sent to: Host, or X-Forwarded-Host from a trusted proxy (as express's req.host). */
function hostOf(app: Express, req: IncomingMessage): string | undefined {
  const trust = app.get('trust proxy fn') as (addr: string | undefined, i: number) => boolean;
  const fwd = req.headers['x-forwarded-host'];
  if (typeof fwd === 'string' && fwd && trust(req.socket.remoteAddress, 0)) return fwd.split(',')[0]!.trim();
  return req.headers.host;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

/** Wires every module and starts listening. `stop()` undoes it in reverse order. */
export async function startNetwatch(
  config: Config,
  rootLog: Logger,
  opts: { extraRoutes?: ((api: ApiRegistry, router: Router) => void)[]; showOnce?: (text: string) => void } = {},
): Promise<Netwatch> {
  const log = moduleLogger(rootLog, 'app');
  const startedAt = Date.now();
  const dataDir = resolve(config.dataDir);
  const { db, dbPath, secrets } = openStore({ dataDir, secretKeyFile: config.secretKeyFile, migrationsDir: MIGRATIONS_DIR, log: moduleLogger(rootLog, 'store') });

  // One outbound policy for every connection we open: notifications, polling, MIB browse, discovery.
  const outbound = OutboundPolicy.fromConfig(config);
  const users = new UserRepository(db);
  const tokens = new AuthTokenRepository(db);
  const devices = new DeviceRepository(db, secrets);
  await ensureAdmin(users, config, log, opts.showOnce ?? ((text) => process.stderr.write(text)));

  const busLog = moduleLogger(rootLog, 'bus');
  const bus = new InProcessBus((topic, err) => busLog.error({ err, topic }, 'bus subscriber failed'));
  const metrics = new Metrics();
  const auth = new AuthService(users, tokens, {
    sessionTtlMs: config.sessionTtlHours * 3_600_000,
    apiTokenTtlMs: config.apiTokenTtlDays > 0 ? config.apiTokenTtlDays * 86_400_000 : null,
    onRevoked: (r) => bus.publish('auth.revoked', r),
  });
  // Audit: every change through the API is recorded by the registry; trimmed by age in housekeeping.
  const audit = new AuditRepository(db);
  const auditTrail = new AuditTrail(audit, moduleLogger(rootLog, 'audit'));
  metrics.addSource({ name: 'audit', counters: () => auditTrail.counters() });

  // Event intake: collectors publish `event.received`; the writer batches them into SQLite
  // and announces each stored batch as `events.stored`. An intake that acknowledges (INFORMs)
  // submits to the writer directly (EventIntake) to learn when its events are committed.
  const events = new EventRepository(db);
  // Heavy reads (event search, dashboard, alarm history, metrics series, audit, exports, topology) run on
  // reader threads with their own read-only connections, never on this thread: see read-ops.ts.
  const reads = await ReadPool.open({
    file: dbPath,
    threads: config.readerThreads,
    queryTimeoutMs: config.queryTimeoutMs,
    maxQueue: config.readerQueueMax,
    log: moduleLogger(rootLog, 'reads'),
  });
  metrics.addSource({ name: 'readers', counters: () => reads.counters() });
  const resolver = new DeviceResolver(() => devices.addresses(), bus);
  // OID dictionary: compiled MIB index loaded after listen (warm start is fast; cold compile logs its result).
  const mibs = new MibService({
    dataDir,
    projectDir: MIBS_DIR,
    extraDirs: config.mibDirs.split(',').map((d) => d.trim()).filter(Boolean).map((d) => resolve(d)),
    log: moduleLogger(rootLog, 'mib'),
  });
  // Rule engine: classifies each batch before it is stored, raises/clears alarms after. Rules naming
  // MIB objects compile once the dictionary has loaded (rules are reloaded then).
  const resolveOidName = (name: string) => {
    const r = mibs.dictionary.resolveName(name);
    return r.found ? r.oid : undefined;
  };
  const engine = createEventEngine({
    db, bus, log: moduleLogger(rootLog, 'engine'), devices, events, reads, secrets, resolveOidName, outbound,
    alarms: {
      recurrence: config.alarmRecurrence,
      archiveAfterMs: config.alarmArchiveHours * 3_600_000,
      flapCount: config.flapCount,
      flapWindowMs: config.flapWindowMinutes * 60_000,
      flapSettleMs: config.flapWindowMinutes * 60_000,
    },
  });
  metrics.addSource({ name: 'engine', counters: () => engine.counters() });
  metrics.addSource({ name: 'secrets', counters: () => secrets.counters() });
  // Rows are written by the event store thread on its own connection; the main thread parses,
  // classifies and assigns ids, and announces each batch once it is committed. The thread also
  // runs retention (row cap after every batch, age every 10 s) and the indexes' upkeep.
  const eventSink = await openEventStoreThread(dbPath, {
    retention: { maxAgeMs: config.eventRetentionDays * 86_400_000, maxRows: config.eventMaxRows },
    ftsPartitionRows: partitionRowsFor(config.eventMaxRows),
  });
  // Checkpoints happen on the store thread (every 8 batches, and every 10 s), never after a commit of
  // the main thread's: copying a storm's WAL into the database and syncing it takes tens of
  // milliseconds (seconds when the disk is busy).
  db.pragma('wal_autocheckpoint = 0');
  const storeLog = moduleLogger(rootLog, 'event-store');
  eventSink.onError = (message) => storeLog.error({ err: new Error(message) }, 'event store upkeep step failed; it is retried at the next round');
  metrics.addSource({ name: 'event_store', counters: () => eventSink.counters() });
  const writer = new EventWriter(
    events,
    {
      sink: { rows: eventSink, nextId: events.nextId() },
      flushIntervalMs: 20,
      batchSize: 1000,
      maxQueue: 200_000,
      resolveDevice: (a) => resolver.resolve(a),
      preprocess: (batch) => engine.preprocess(batch),
      onStored: (stored) => {
        engine.onStored(stored);
        bus.publish('events.stored', stored);
      },
    },
    moduleLogger(rootLog, 'event-writer'),
  );
  const unsubscribeWriter = bus.subscribe('event.received', (e) => writer.push(e));
  metrics.addSource({ name: 'events', counters: () => writer.counters() });
  const unknownSenders = new UnknownSenderRepository(db);

  // Polling state and time series.
  const pollState = new PollStateRepository(db);
  const samples = new SampleRepository(db);
  const topologyRepo = new TopologyRepository(db);
  const keepDays = { raw: config.retentionRawDays, '5m': config.retention5mDays, '1h': config.retention1hDays };
  const sampleMaintenance = new SampleMaintenance(samples, keepDays, moduleLogger(rootLog, 'samples'));
  sampleMaintenance.start();
  bus.subscribe('device.deleted', ({ id }) => samples.forgetDevice(id));
  // Built on a reader thread; only the devices' public fields go there (no SNMP secrets).
  const topology = () =>
    reads.run('topology.build', { devices: devices.list().map(({ id, name, address, group, location }) => ({ id, name, address, group, location })) });
  const exportStats = new ExportStats();
  metrics.addSource({ name: 'export', counters: () => exportStats.counters() });
  const exportDeps = { deviceNames: () => devices.list().map((d): [number, string] => [d.id, d.name]), stats: exportStats, log: moduleLogger(rootLog, 'export') };

  const customOids = new CustomOidRepository(db);
  const pinger = new IcmpPinger({ log: moduleLogger(rootLog, 'icmp') });
  const discovery = new DiscoveryService({ devices, pinger, bus, log: moduleLogger(rootLog, 'discovery'), outbound });
  const poller = new PollService(
    { devices, pollState, samples, bus, log: moduleLogger(rootLog, 'poller'), snmp: config.pollWorkers > 0 ? new WorkerSnmpRunner(config.pollWorkers, moduleLogger(rootLog, 'poll-workers')) : new InProcessSnmpRunner(),
      icmp: new PingerIcmpRunner(pinger),
      customOids: (d) => customOids.forDevice(d.id, d.group),
      allowed: (d) => outbound.check('device', d.address).allowed,
    },
    { concurrency: config.pollConcurrency, icmpDownAfter: config.icmpDownAfter },
  );
  metrics.addSource({ name: 'poller', counters: () => poller.counters() });

  const listenerStatus: ListenerStatus[] = [];
  let httpPort = 0;

  // SNMP trap receiver (v1/v2c/v3, INFORMs acknowledged once stored): events to the writer; v3 users from the
  // store, replaced live when the trap-user API changes them; our engine ID kept in the store.
  const trapUsers = new TrapUserRepository(db, secrets);
  const traps = createTrapReceiver(
    { port: config.trapPort, host: config.trapHost.ipv4, host6: config.trapHost.ipv6, communities: parseCommunities(config.trapCommunities), queueBytes: config.trapQueueBytes, users: receiverUsers(trapUsers.list()), engineID: trapUsers.engineId(),
      logger: moduleLogger(rootLog, 'trap'), resolveDevice: (a) => resolver.resolve(a),
      oidName: (oid) => { const r = mibs.dictionary.resolve(oid); return r.node ? `${r.node.name}${r.instance ? `.${r.instance}` : ''}` : undefined; } },
    writer, // an INFORM is acknowledged once the writer reports its event committed
  );
  listenerStatus.push(...(await traps.start()));
  metrics.addSource({ name: 'trap', counters: () => traps.counters() });
  // Syslog (UDP v4/v6, TCP with RFC 6587 framing, TLS when a certificate and key are set): events onto the bus.
  const syslog = createSyslogListener(
    { udpPort: config.syslogPort, host: config.syslogHost.ipv4, host6: config.syslogHost.ipv6, tcpPort: config.syslogTcpPort ?? config.syslogPort, tlsPort: config.syslogTlsPort,
      tls: config.syslogTlsCert && config.syslogTlsKey ? { cert: config.syslogTlsCert, key: config.syslogTlsKey } : null,
      maxMessageBytes: config.syslogMaxBytes, timeZone: config.timeZone, receiveThread: true, receivePriority: config.syslogReceivePriority, queueBytes: config.syslogQueueBytes, logger: moduleLogger(rootLog, 'syslog') },
    (evs) => { for (const e of evs) bus.publish('event.received', e); },
  );
  listenerStatus.push(...(await syslog.start()));
  metrics.addSource({ name: 'syslog', counters: () => syslog.counters() });
  const trapRoutes = (api: ApiRegistry) => registerTrapUserRoutes(api, { trapUsers, onChange: (u) => traps.setUsers(receiverUsers(u)) });
  const info = {
    version: VERSION,
    startedAt,
    httpPort: () => httpPort,
    listeners: () => listenerStatus,
    databasePath: dbPath,
    schemaVersion: () => schemaVersion(db),
  };

  const { app, registry } = createHttpApp({
    log: moduleLogger(rootLog, 'api'),
    metrics,
    bus,
    auth,
    users,
    tokens,
    devices,
    outbound,
    info,
    secureCookies: config.secureCookies,
    auditTrail,
    loginRateLimit: config.loginRateLimit,
    trustProxy: config.trustProxy,
    metricsToken: config.metricsToken,
    clientDir: config.clientDir ? resolve(config.clientDir) : DEFAULT_CLIENT_DIR,
    extraRoutes: [
      (api) => registerEventRoutes(api, { reads, export: exportDeps }),
      (api) => registerUnknownSenderRoutes(api, { reads, unknownSenders }),
      (api) => engine.routes(api),
      (api) =>
        registerMetricRoutes(api, {
          samples,
          pollState,
          devices,
          reads,
          retention: { raw: keepDays.raw * 86_400, '5m': keepDays['5m'] * 86_400, '1h': keepDays['1h'] * 86_400 },
        }),
      (api) => registerTopologyRoutes(api, { topology: topologyRepo, devices, build: topology, bus }),
      (api) => registerDashboardRoutes(api, { reads, metrics, listeners: () => listenerStatus }),
      (api) => registerDiscoveryRoutes(api, { discovery }),
      (api) => registerCustomOidRoutes(api, { customOids, devices, dictionary: () => mibs.dictionary }),
      (api) => registerPollRoutes(api, { devices, pollState, pollNow: (id) => poller.pollNow(id), outbound }),
      (api) => registerMibRoutes(api, { mibs, onChange: () => engine.reloadRules() }),
      (api) => registerSnmpBrowseRoutes(api, { devices, dictionary: () => mibs.dictionary, outbound }),
      trapRoutes,
      (api) => registerAuditRoutes(api, { reads }),
      ...(opts.extraRoutes ?? []),
    ],
  });

  const server = createServer(app);
  const realtime = attachRealtime(server, {
    auth,
    bus,
    log: moduleLogger(rootLog, 'realtime'),
    counters: () => metrics.snapshot(),
    // The browser's origin is checked against the host it connected to, as express sees it.
    requestHost: (req) => hostOf(app, req),
  });
  httpPort = await listen(server, config.httpPort, config.httpHost);
  // How long the main thread is held at a time (every request, intake batch and push waits for it).
  const loop = new EventLoopMonitor();
  loop.start();
  metrics.addSource({ name: 'main-thread', counters: () => loop.counters() });
  mibs
    .load()
    .then(() => engine.reloadRules())
    .catch((err: unknown) => log.error({ err }, 'MIB load failed'));
  listenerStatus.unshift({
    name: 'http',
    protocol: 'tcp',
    requestedPort: config.httpPort,
    boundPort: httpPort,
    address: config.httpHost,
    state: 'listening',
    message: null,
  });
  const host = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? 'localhost' : config.httpHost;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${httpPort}`;
  log.info({ url, dataDir }, `Netwatch ${VERSION} console at ${url}`);
  if (config.pollerEnabled) poller.start();

  const housekeeping = setInterval(() => {
    try {
      tokens.purgeExpired();
    } catch (err) {
      log.error({ err }, 'token purge failed');
    }
    try {
      const cutoff = Date.now() - config.auditRetentionDays * 86_400_000;
      let removed = 0;
      for (;;) {
        const n = audit.deleteOlderThan(cutoff, 1000);
        removed += n;
        if (n < 1000) break;
      }
      if (removed) log.info({ removed }, 'old audit entries removed');
    } catch (err) {
      log.error({ err }, 'audit retention failed');
    }
  }, 3_600_000);
  housekeeping.unref();

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await mibs.close(); // first: a load finishing now would reload the engine's rules
      await syslog.stop();
      await traps.stop();
      clearInterval(housekeeping);
      sampleMaintenance.stop();
      await poller.stop();
      unsubscribeWriter();
      await writer.close();
      await eventSink.close();
      await engine.close();
      loop.stop();
      resolver.close();
      await realtime.close();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      await reads.close();
      db.close();
      log.info('stopped');
    })());

  return { config, httpPort, url, db, secrets, bus, metrics, registry, reads, app, listeners: () => listenerStatus, stop, mibs, get dictionary() { return mibs.dictionary; } };
}
