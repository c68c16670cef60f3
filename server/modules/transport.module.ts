import type { HeartbeatSink } from '../contracts/collectors.js';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchSpool } from '../bus/batch-spool.js';
import { NatsBatchConsumer, type ReceivedBatch } from '../bus/nats-consumer.js';
import { natsLinkOptions } from '../bus/nats-link.js';
import { NatsBatchPublisher } from '../bus/nats-publisher.js';
import { HEARTBEAT_SUBSCRIPTION, heartbeatSubject } from '../bus/nats-subjects.js';
import { collectorId } from '../bus/node-identity.js';
import { collectorKeys } from '../remote/sealed-secret.js';
import { PublishedIntake } from '../bus/published-intake.js';
import { SpooledPublisher, spoolOptions } from '../bus/spooled-publisher.js';
import { HEARTBEAT_INTERVAL_MS, type CollectorHeartbeat } from '../contracts/collectors.js';
import { submitDurably, type EventIntake, type KeyedIntake } from '../events/event-intake.js';
import { checkRemoteEvents } from '../events/remote-event.schema.js';
import type { IcmpOutcome, RepositoryPollOutput } from '../poller/poll-io.js';
import { AssignmentPublisher, type AssignmentSource } from '../remote/assignment-publisher.js';
import { AssignedDevices, AssignmentWatcher, PublishedPollOutput } from '../remote/collector-polling.js';
import { TrapUserPublisher, type TrapUserSource } from '../remote/trap-user-publisher.js';
import { RemoteTrapUsers, TrapUserWatcher } from '../remote/trap-user-watcher.js';
import { checkRemoteInventory, checkRemoteNeighbours, checkRemoteSamples, checkRemoteStatus, type CheckedItems } from '../remote/remote-poll.schema.js';
import type { IcmpUpdate } from '../store/poll-state.repository.js';
import { Late, type AppContext, type Module } from './module.js';

/** Where the centre hands collector heartbeats (the collector registry validates and stores them). */
export type { HeartbeatSink };

export interface TransportDeps {
  /** `collector`: publish events and heartbeats; `centre`: consume batches and heartbeats. */
  side: 'collector' | 'centre';
  version: string;
  /** Centre: where consumed events go (the events module's writer). */
  writer?: () => KeyedIntake;
  /** Centre: who takes heartbeats (absent or null: they are counted and dropped). */
  heartbeats?: () => HeartbeatSink | null;
  /** Collector: pause between heartbeats (default HEARTBEAT_INTERVAL_MS). */
  heartbeatIntervalMs?: number;
  /** Centre: the devices and collector keys the site assignments are built from (absent: no assignments). */
  assignments?: () => AssignmentSource;
  /** Centre: the v3 trap users (keys in plaintext, in memory) and collector keys they are sealed with (absent: none published). */
  trapUsers?: () => TrapUserSource;
  /** Centre: where collectors' samples, status and neighbours go (the local poller's repositories), and each device's site. */
  pollInput?: () => RemotePollInput;
}

export interface RemotePollInput {
  out: RepositoryPollOutput;
  /** The site of a device, or undefined when there is no such device. */
  siteOf(deviceId: number): string | undefined;
}

export interface TransportModule extends Module {
  /** Collector: the EventIntake the listeners submit to (durable once JetStream or the spool has it). */
  readonly intake: EventIntake;
  /** Collector: the devices the centre assigned to this site (empty until the first assignment arrives). */
  readonly assigned: AssignedDevices;
  /** Collector: where the poller's results go (batches to the centre). */
  readonly pollOutput: PublishedPollOutput;
  /** Collector: the v3 trap users the centre gives this site (empty until they arrive), keys opened in memory. */
  readonly trapUsers: RemoteTrapUsers;
}

/** Heartbeats larger than this are dropped and counted. */
export const MAX_HEARTBEAT_BYTES = 65_536;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

interface CollectorSide {
  kind: 'collector';
  publisher: NatsBatchPublisher;
  spool: BatchSpool;
  spooled: SpooledPublisher;
  intake: PublishedIntake;
  timer: NodeJS.Timeout | undefined;
  watcher: AssignmentWatcher;
  trapUserWatcher: TrapUserWatcher;
  /** This collector's X25519 public key (the centre seals secrets for it). */
  publicKey: string;
}
interface CentreSide {
  kind: 'centre';
  consumer: NatsBatchConsumer;
  unsubscribe: () => void;
  assignments: AssignmentPublisher | undefined;
  trapUsers: TrapUserPublisher | undefined;
  /** Bumped when the publishers stop: a start still under way then gives up. */
  publishersGen: number;
  /** The publishers' start under way (or done). */
  publishing: Promise<void>;
  /** Unregisters the singleton job `site-assignments` (stopping the publishers if they run here). */
  offPublishers: () => Promise<void>;
}

/**
 * The NATS link between a site's collector and the centre (started only when `natsUrl` is set).
 *
 * Collector: events go through a `PublishedIntake` -> `SpooledPublisher` (spool in `<dataDir>/spool`)
 * -> JetStream `netwatch.<site>.events`; a `CollectorHeartbeat` goes every interval on core NATS
 * `netwatch.<site>.heartbeat` (fire and forget; not a stream subject). Neither waits for NATS to start:
 * while it is away, events are spooled and heartbeats skipped.
 *
 * Centre: a durable `NatsBatchConsumer`; an `events` batch is checked event by event (bad ones dropped
 * and counted) and submitted to the writer; the batch is acked once committed, naked (and comes again)
 * when the writer drops or fails it. Heartbeats from every site go to `deps.heartbeats()`.
 *
 * Polling at collectors: the centre writes each site's devices, secrets sealed per collector, to the KV
 * bucket (`AssignmentPublisher`); a collector follows its site's key (`AssignmentWatcher` -> `assigned`)
 * and its poller publishes `status`, `samples` and `neighbours` batches through the spool (`pollOutput`).
 * The centre checks them item by item (bad or other-site items dropped and counted) and writes them with
 * `deps.pollInput()` (the polling module's repositories).
 *
 * SNMPv3 trap users at collectors: the centre writes all trap users, keys sealed per collector of the site, to the
 * KV bucket `netwatch-trap-users` (`TrapUserPublisher`, rewritten when they change); a collector follows its site's
 * key (`TrapUserWatcher` -> `trapUsers`), and its trap receiver takes each change live.
 */
export function transportModule(ctx: AppContext, deps: TransportDeps): TransportModule {
  const { config } = ctx;
  const log = ctx.log('transport');
  const side = new Late<CollectorSide | CentreSide>('the NATS transport');
  const stats = { remote_events: 0, duplicate_batches: 0, invalid_events: 0, invalid_batches: 0, unhandled_batches: 0, heartbeats_sent: 0, heartbeats_skipped: 0, heartbeats_received: 0, heartbeats_invalid: 0, heartbeats_unclaimed: 0, remote_samples: 0, remote_status: 0, remote_neighbours: 0, remote_inventory: 0, invalid_poll_items: 0, foreign_poll_items: 0 };
  const assigned = new AssignedDevices();
  const remoteTrapUsers = new RemoteTrapUsers();
  const pollOutput = new PublishedPollOutput({
    publish: (kind, batch) => {
      const s = side.get();
      if (s.kind !== 'collector') throw new Error('poll batches are published only at a collector');
      return s.spooled.publish(kind, batch);
    },
    events: () => {
      const s = side.get();
      if (s.kind !== 'collector') throw new Error('poll events go through the transport only at a collector');
      return s.intake;
    },
    log,
    // Room for the headers and the JSON array around the items (as the event intake's batches).
    maxBatchBytes: () => {
      const s = side.get();
      return s.kind === 'collector' ? s.publisher.link.maxPayload() - 4096 : 900 * 1024;
    },
  });
  const startedAt = Date.now();
  let startup: Promise<void> = Promise.resolve();
  const stopped = new AbortController();

  /** Runs `start` until it succeeds or the module stops (a stream that cannot be made now may be makeable later). */
  async function keepStarting(what: string, start: () => Promise<void>): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await start();
        return true;
      } catch (err) {
        if (stopped.signal.aborted) return false;
        if (attempt % 12 === 0) log.error({ err }, `${what} did not start; trying again every 5 s`);
        await sleep(5000, undefined, { signal: stopped.signal }).catch(() => undefined);
        if (stopped.signal.aborted) return false;
      }
    }
  }

  /** Items of a poll batch that passed the schema, kept only for devices of the batch's site (a collector reports its own devices only). */
  function mine<T extends { deviceId: number }>(batch: ReceivedBatch, input: RemotePollInput, checked: CheckedItems<T>): T[] {
    if (checked.invalid > 0) {
      stats.invalid_poll_items += checked.invalid;
      log.warn({ site: batch.site, kind: batch.kind, msgId: batch.msgId, invalid: checked.invalid, kept: checked.items.length, reasons: checked.reasons }, 'invalid poll items in a batch from a collector: dropped');
    }
    const kept = checked.items.filter((i) => input.siteOf(i.deviceId) === batch.site);
    stats.foreign_poll_items += checked.items.length - kept.length;
    return kept;
  }

  function handlePollBatch(batch: ReceivedBatch, input: RemotePollInput): void {
    if (batch.kind === 'samples') {
      const samples = mine(batch, input, checkRemoteSamples(batch.items));
      if (samples.length) input.out.samples(samples);
      stats.remote_samples += samples.length;
    } else if (batch.kind === 'status') {
      const items = mine(batch, input, checkRemoteStatus(batch.items));
      const icmp: IcmpOutcome[] = [];
      for (const i of items) {
        if (i.kind === 'snmp') {
          if (i.templates) input.out.templates({ deviceId: i.deviceId, applied: i.templates.applied, gone: i.templates.gone });
          input.out.snmp(i.deviceId, i.update, i.interfaces, null, i.metrics);
        }
        else icmp.push({ deviceId: i.deviceId, update: i.update, rtts: i.rtts });
      }
      if (icmp.length) input.out.icmp(icmp);
      stats.remote_status += items.length;
    } else if (batch.kind === 'neighbours') {
      const items = mine(batch, input, checkRemoteNeighbours(batch.items));
      for (const i of items) input.out.neighbours(i.deviceId, i.neighbours, i.at);
      stats.remote_neighbours += items.length;
    } else if (batch.kind === 'inventory') {
      const items = mine(batch, input, checkRemoteInventory(batch.items));
      for (const s of items) input.out.inventory?.(s);
      stats.remote_inventory += items.length;
    }
  }

  async function handleBatch(batch: ReceivedBatch): Promise<void> {
    if (batch.kind !== 'events') {
      const input = deps.pollInput?.();
      if (!input) {
        stats.unhandled_batches++;
        return;
      }
      handlePollBatch(batch, input);
      return;
    }
    const checked = checkRemoteEvents(batch.items);
    if (checked.invalid > 0) {
      stats.invalid_events += checked.invalid;
      if (checked.events.length === 0) stats.invalid_batches++;
      log.warn({ site: batch.site, msgId: batch.msgId, invalid: checked.invalid, kept: checked.events.length, reasons: checked.reasons }, 'invalid events in a batch from a collector: dropped');
    }
    if (checked.events.length === 0) return;
    const writer = deps.writer!();
    // Delivered again after it was stored (the centre stopped between storing and acking): ack, store nothing.
    if (writer.committedBefore(batch.msgId)) {
      stats.duplicate_batches++;
      return;
    }
    const outcome = await submitDurably(writer, checked.events, batch.msgId);
    if (outcome !== 'committed') throw new Error(`the event writer ${outcome === 'dropped' ? 'is full (dropped)' : 'failed'}: ${checked.events.length} events not stored`);
    stats.remote_events += checked.events.length;
  }

  function onHeartbeat(_subject: string, data: Uint8Array): void {
    stats.heartbeats_received++;
    if (data.length > MAX_HEARTBEAT_BYTES) {
      stats.heartbeats_invalid++;
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(data));
    } catch {
      stats.heartbeats_invalid++;
      return;
    }
    const sink = deps.heartbeats?.() ?? null;
    if (!sink) {
      stats.heartbeats_unclaimed++;
      return;
    }
    sink.heartbeat(parsed, null);
  }

  function sendHeartbeat(s: CollectorSide, id: string): void {
    const spool = s.spool.counters();
    const h: CollectorHeartbeat = {
      id,
      site: config.site,
      version: deps.version,
      hostname: hostname(),
      startedAt,
      sentAt: Date.now(),
      counters: ctx.metrics.snapshot(),
      spoolRecords: spool.spool_records ?? 0,
      spoolBytes: spool.spool_bytes ?? 0,
      publicKey: s.publicKey,
    };
    if (s.publisher.link.publishCore(heartbeatSubject(config.site), encoder.encode(JSON.stringify(h)))) stats.heartbeats_sent++;
    else stats.heartbeats_skipped++;
  }

  return {
    name: 'transport',
    assigned,
    pollOutput,
    trapUsers: remoteTrapUsers,
    get intake() {
      const s = side.get();
      if (s.kind !== 'collector') throw new Error('the transport takes events only at a collector');
      return s.intake;
    },
    async start() {
      const linkOpts = natsLinkOptions(config, log);
      if (deps.side === 'collector') {
        const id = collectorId(config.dataDir);
        const spool = BatchSpool.open(spoolOptions(config, ctx.log('spool')));
        const publisher = new NatsBatchPublisher(linkOpts);
        const spooled = new SpooledPublisher(publisher, spool, { site: config.site, log });
        // Room for the headers and the JSON array around the events.
        const intake = new PublishedIntake(spooled, {
          maxBatchBytes: () => publisher.link.maxPayload() - 4096, lingerMs: config.collectorBatchLingerMs, maxEvents: config.collectorBatchMaxEvents, maxBytes: config.collectorBatchMaxBytes, log,
        });
        const keys = collectorKeys(config.dataDir);
        const watcher = new AssignmentWatcher({ link: publisher.link, site: config.site, collectorId: id, privateKey: keys.privateKey, devices: assigned, log: ctx.log('assignment') });
        const trapUserWatcher = new TrapUserWatcher({ link: publisher.link, site: config.site, collectorId: id, privateKey: keys.privateKey, users: remoteTrapUsers, log: ctx.log('trap-users') });
        const s: CollectorSide = { kind: 'collector', publisher, spool, spooled, intake, timer: undefined, watcher, trapUserWatcher, publicKey: keys.publicKey };
        side.set(s);
        spooled.start();
        // Not awaited: a collector takes (and spools) events while NATS is away.
        const linked = keepStarting('the NATS link (events stay in the spool meanwhile)', () => publisher.start());
        watcher.start(linked);
        trapUserWatcher.start(linked);
        startup = linked.then((ok) => {
          if (ok && !stopped.signal.aborted) sendHeartbeat(s, id);
        });
        s.timer = setInterval(() => sendHeartbeat(s, id), deps.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
        s.timer.unref();
        log.info({ site: config.site, id, spool: spoolOptions(config).dir }, 'collector transport started: events go to NATS (spooled while it is away)');
      } else {
        const consumer = new NatsBatchConsumer(linkOpts, handleBatch);
        const s: CentreSide = { kind: 'centre', consumer, unsubscribe: () => {}, assignments: undefined, trapUsers: undefined, publishersGen: 0, publishing: Promise.resolve(), offPublishers: async () => undefined };
        side.set(s);
        /** Writes the sites' assignments and trap users (KV) from now on; a stop before they started makes them give up. */
        const startPublishers = async () => {
          const gen = s.publishersGen;
          const current = () => gen === s.publishersGen && !stopped.signal.aborted;
          const source = deps.assignments?.();
          if (source && current()) {
            const assignments = new AssignmentPublisher({ link: consumer.link, source, bus: ctx.bus, log: ctx.log('assignment') });
            if (await keepStarting('the site assignments (KV bucket)', () => assignments.start())) {
              if (current()) s.assignments = assignments;
              else await assignments.stop();
            }
          }
          const users = deps.trapUsers?.();
          if (users && current()) {
            const trapUsers = new TrapUserPublisher({ link: consumer.link, source: users, bus: ctx.bus, log: ctx.log('trap-users') });
            if (await keepStarting('the trap users for collectors (KV bucket)', () => trapUsers.start())) {
              if (current()) s.trapUsers = trapUsers;
              else await trapUsers.stop();
            }
          }
        };
        const stopPublishers = async () => {
          s.publishersGen++;
          const { assignments, trapUsers } = s;
          s.assignments = undefined;
          s.trapUsers = undefined;
          await assignments?.stop();
          await trapUsers?.stop();
        };
        startup = keepStarting('the NATS consumer', () => consumer.start()).then(async (ok) => {
          if (!ok || stopped.signal.aborted) return;
          s.unsubscribe = consumer.link.subscribeCore(HEARTBEAT_SUBSCRIPTION, onHeartbeat);
          // Several central nodes: one of them decides which collector polls what (singleton job; on SQLite, this node).
          // Not awaited by the job's start: the KV buckets may take a while, the other singleton jobs must not wait for them.
          s.offPublishers = ctx.singletons.register('site-assignments', {
            start: () => void (s.publishing = startPublishers()),
            stop: stopPublishers,
          });
          await s.publishing;
          log.info({ site: config.site }, 'centre transport started: consuming collector batches and heartbeats');
        });
      }
    },
    async stop() {
      stopped.abort();
      const s = side.get();
      if (s.kind === 'collector') {
        clearInterval(s.timer);
        s.watcher.halt();
        s.trapUserWatcher.halt();
        await s.intake.flush();
        await s.spooled.stop();
        // Stopping the publisher ends a connect still under way; the watcher waits for that.
        await s.publisher.stop();
        await startup;
        await s.watcher.stop();
        await s.trapUserWatcher.stop();
        await s.spool.close();
      } else {
        s.unsubscribe();
        await s.offPublishers();
        // Stopping the consumer ends a connect still under way, so that `startup` settles.
        await s.consumer.stop();
        await startup;
        await s.publishing;
        // Registered or started while we were stopping (both idempotent).
        await s.offPublishers();
        await s.assignments?.stop();
        await s.trapUsers?.stop();
      }
    },
    counters() {
      const s = side.get();
      if (s.kind === 'collector') {
        return [
          { name: 'transport', counters: () => ({ heartbeats_sent: stats.heartbeats_sent, heartbeats_skipped: stats.heartbeats_skipped, ...s.intake.counters() }) },
          { name: 'nats_publisher', counters: () => s.publisher.counters() },
          { name: 'spool', counters: () => s.spooled.counters() },
          { name: 'assignment', counters: () => ({ ...s.watcher.counters(), ...pollOutput.counters() }) },
          { name: 'trap_users', counters: () => s.trapUserWatcher.counters() },
        ];
      }
      return [
        { name: 'transport', counters: () => ({ remote_events: stats.remote_events, duplicate_batches: stats.duplicate_batches, invalid_events: stats.invalid_events, invalid_batches: stats.invalid_batches, unhandled_batches: stats.unhandled_batches, heartbeats_received: stats.heartbeats_received, heartbeats_invalid: stats.heartbeats_invalid, heartbeats_unclaimed: stats.heartbeats_unclaimed,
          remote_samples: stats.remote_samples, remote_status: stats.remote_status, remote_neighbours: stats.remote_neighbours, remote_inventory: stats.remote_inventory, invalid_poll_items: stats.invalid_poll_items, foreign_poll_items: stats.foreign_poll_items }) },
        { name: 'assignment', counters: () => s.assignments?.counters() ?? {} },
        { name: 'trap_users', counters: () => s.trapUsers?.counters() ?? {} },
        { name: 'nats_consumer', counters: () => s.consumer.counters() },
      ];
    },
  };
}
