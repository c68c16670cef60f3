import { AlertmanagerIntakeStats, registerAlertmanagerIntake } from '../api/alertmanager-intake.routes.js';
import { ExportStats } from '../api/event-export.routes.js';
import { AlertDeviceMatcher } from '../collectors/alertmanager/alertmanager.devices.js';
import { registerEngineRoutes } from '../api/engine.routes.js';
import { registerEventRoutes } from '../api/events.routes.js';
import { registerInboxRoutes } from '../api/inbox.routes.js';
import { registerUnknownSenderRoutes } from '../api/unknown-senders.routes.js';
import { registerRmonRoutes } from '../api/rmon.routes.js';
import { RmonService } from '../rmon/rmon.service.js';
import { DeviceResolver } from '../events/device-resolver.js';
import { createEventEngine, type EventEngine } from '../events/engine/event-engine.js';
import type { ClusterBridge } from '../cluster/cluster-bridge.js';
import { EventWriter } from '../events/event-writer.js';
import { PollStateRepository } from '../store/poll-state.repository.js';
import { partitionRowsFor } from '../store/event-fts.js';
import type { EventStoreThread } from '../store/event-store-thread.js';
import { openEventsOn } from '../store/pg/open-events.js';
import { UnknownSenderRepository } from '../store/unknown-sender.repository.js';
import type { MibModule } from './mib.module.js';
import { Late, type AppContext, type Module } from './module.js';
import type { StoreModule } from './store.module.js';

export interface EventsModule extends Module {
  /** Where intake hands its batches (an INFORM is acknowledged once the writer reports it committed). */
  readonly writer: EventWriter;
  readonly resolver: DeviceResolver;
  readonly engine: EventEngine;
}

/**
 * Events in, stored, classified, turned into alarms. Producers publish `event.received` (or submit
 * to the writer); the writer batches them, the engine classifies each batch before it is stored and
 * raises/clears alarms after; each stored batch is announced as `events.stored`. Rows are written by
 * the event store thread on its own connection, which also runs retention and the indexes' upkeep.
 */
export function eventsModule(ctx: AppContext, deps: { store: StoreModule; mib: MibModule }): EventsModule {
  const { config, bus } = ctx;
  const parts = new Late<{ writer: EventWriter; resolver: DeviceResolver; engine: EventEngine; sink: EventStoreThread; unknownSenders: UnknownSenderRepository; alertDevices: AlertDeviceMatcher; rmon: RmonService }>('the event writer');
  const exportStats = new ExportStats();
  const alertmanagerStats = new AlertmanagerIntakeStats();
  let unsubscribe = () => {};
  let closeEvents: () => Promise<void> = async () => {};
  let offRetention: () => Promise<void> = async () => {};
  return {
    name: 'events',
    get writer() {
      return parts.get().writer;
    },
    get resolver() {
      return parts.get().resolver;
    },
    get engine() {
      return parts.get().engine;
    },
    async start() {
      const { db, backend, devices, reads, secrets } = deps.store.store;
      // The main thread's events repository, the event store thread and the id source, on either engine.
      // SQLite: a thread on its own connection to the file. PostgreSQL: pg/pg-event-store.worker.ts, same
      // protocol, ids in blocks from a sequence so several central nodes never assign the same one.
      const opened = await openEventsOn(backend.kind === 'postgres' ? { postgresUrl: backend.url } : { sqlite: { db, file: backend.file } }, {
        retention: { maxAgeMs: config.eventRetentionDays * 86_400_000, maxRows: config.eventMaxRows },
        ftsPartitionRows: partitionRowsFor(config.eventMaxRows),
        retentionBySingleton: backend.kind === 'postgres',
      });
      const { events, sink } = opened;
      closeEvents = opened.close;
      // Several central nodes on one PostgreSQL: one of them drops old partitions at a time.
      if (sink.setRetentionHeld) {
        const setHeld = sink.setRetentionHeld;
        offRetention = ctx.singletons.register('event-retention', { start: () => setHeld(true), stop: () => setHeld(false) });
      }
      const resolver = new DeviceResolver(() => devices.addresses(), bus);
      // Rules naming MIB objects compile once the dictionary has loaded (the mib module reloads them then).
      const resolveOidName = (name: string) => {
        const r = deps.mib.mibs.dictionary.resolveName(name);
        return r.found ? r.oid : undefined;
      };
      const engine = createEventEngine({
        db, bus, log: ctx.log('engine'), devices, events, reads, secrets, resolveOidName, outbound: ctx.outbound,
        publicUrl: config.publicUrl, ackLinkTtlMs: config.ackLinkTtlHours * 3_600_000, singletons: ctx.singletons, clustered: ctx.notices !== null,
        inbox: { dismissMs: config.inboxDismissDays * 86_400_000 },
        alarms: {
          recurrence: config.alarmRecurrence,
          archiveAfterMs: config.alarmArchiveHours * 3_600_000,
          flapCount: config.flapCount,
          flapWindowMs: config.flapWindowMinutes * 60_000,
          flapSettleMs: config.flapWindowMinutes * 60_000,
        },
      });
      if (ctx.cluster) shareReloads(ctx.cluster, engine);
      // RMON risingAlarm/fallingAlarm get `params.rmon` and their severity before the rules run; the
      // same service reads alarm/event/history tables on demand (GET /devices/:id/rmon).
      const rmon = new RmonService({
        dictionary: () => deps.mib.mibs.dictionary,
        device: (id) => devices.get(id),
        assertAllowed: (d) => ctx.outbound.assertAllowed('device', d.address, `device ${d.name} (${d.address})`),
        log: ctx.log('rmon'),
      });
      // Checkpoints happen on the store thread (every 8 batches, and every 10 s), never after a commit of
      // the main thread's: copying a storm's WAL into the database and syncing it takes tens of
      // milliseconds (seconds when the disk is busy).
      if (backend.kind === 'sqlite') db.pragma('wal_autocheckpoint = 0');
      const storeLog = ctx.log('event-store');
      sink.onError = (message) => storeLog.error({ err: new Error(message) }, 'event store upkeep step failed; it is retried at the next round');
      const writer = new EventWriter(
        events,
        {
          sink: { rows: sink, nextId: opened.nextId },
          flushIntervalMs: 20,
          batchSize: 1000,
          maxQueue: 200_000,
          resolveDevice: (a) => resolver.resolve(a),
          preprocess: (batch) => engine.preprocess(rmon.enrich(batch)),
          onStored: (stored) => {
            engine.onStored(stored);
            bus.publish('events.stored', stored);
          },
        },
        ctx.log('event-writer'),
      );
      unsubscribe = bus.subscribe('event.received', (e) => writer.push(e));
      deps.mib.onChange(() => engine.reloadRules());
      // Alertmanager alerts name their device by label (instance, node, host): matched by address, name or sysName.
      const pollState = new PollStateRepository(db);
      const alertDevices = new AlertDeviceMatcher(() => ({ devices: devices.list(), sysNames: pollState.sysNames() }), bus);
      const offDeleted = bus.subscribe('device.deleted', ({ id }) => rmon.forget(id));
      const offUpdated = bus.subscribe('device.updated', (d) => rmon.forget(d.id));
      const offWriter = unsubscribe;
      unsubscribe = () => {
        offWriter();
        offDeleted();
        offUpdated();
      };
      parts.set({ writer, resolver, engine, sink, unknownSenders: new UnknownSenderRepository(db), alertDevices, rmon });
    },
    async stop() {
      const { writer, sink, engine, resolver, alertDevices, rmon } = parts.get();
      unsubscribe();
      alertDevices.close();
      await rmon.close();
      await writer.close();
      await offRetention();
      await closeEvents();
      await engine.close();
      resolver.close();
    },
    routes(api, router) {
      const { engine, unknownSenders, writer, alertDevices, rmon } = parts.get();
      const { reads, devices } = deps.store.store;
      registerRmonRoutes(api, { devices, rmon, outbound: ctx.outbound });
      const exportDeps = { deviceNames: () => devices.list().map((d): [number, string] => [d.id, d.name]), stats: exportStats, log: ctx.log('export') };
      registerEventRoutes(api, { reads, export: exportDeps });
      registerUnknownSenderRoutes(api, { reads, unknownSenders });
      registerEngineRoutes(api, engine, router);
      registerInboxRoutes(api, { engine, reads, dictionary: () => deps.mib.mibs.dictionary });
      registerAlertmanagerIntake(
        api,
        router,
        {
          token: config.alertmanagerToken, intake: writer, findDevice: (host) => alertDevices.find(host),
          deviceLabels: config.alertmanagerDeviceLabels, defaultSeverity: config.alertmanagerDefaultSeverity, log: ctx.log('alertmanager'),
        },
        alertmanagerStats,
      );
    },
    counters() {
      const { engine, sink, writer } = parts.get();
      return [
        { name: 'engine', counters: () => engine.counters() },
        { name: 'event_store', counters: () => sink.counters() },
        { name: 'events', counters: () => writer.counters() },
        { name: 'export', counters: () => exportStats.counters() },
        { name: 'alertmanager', counters: () => alertmanagerStats.counters() },
        { name: 'rmon', counters: () => parts.get().rmon.counters() },
      ];
    },
  };
}

/**
 * Several central nodes: rules, maintenance windows and escalation policies are compiled/cached per node.
 * A reload here (the routes call it after each change) tells the other nodes, which reload too.
 */
function shareReloads(cluster: ClusterBridge, engine: EventEngine): void {
  const reloadRules = engine.reloadRules;
  cluster.onNotice('rules', reloadRules);
  engine.reloadRules = () => {
    reloadRules();
    cluster.announce('rules');
  };
  const { maintenanceIndex, escalation } = engine.parts;
  const reloadMaintenance = maintenanceIndex.reload.bind(maintenanceIndex);
  // The node where the window changed already swept the alarms it affects.
  cluster.onNotice('maintenance', reloadMaintenance);
  maintenanceIndex.reload = () => {
    reloadMaintenance();
    cluster.announce('maintenance');
  };
  const reloadEscalation = escalation.reload.bind(escalation);
  cluster.onNotice('escalation', reloadEscalation);
  escalation.reload = () => {
    reloadEscalation();
    cluster.announce('escalation');
  };
}
