import type { AlarmDto, EventRuleBody, RuleDto, RuleTestResult } from '../../contracts/alarms.js';
import type { Singletons } from '../../cluster/singleton.js';
import type { NormalizedEvent, StoredEvent } from '../../contracts/events.js';
import type { DeviceDto } from '../../contracts/dto.js';
import type { Logger } from '../../log/logger.js';
import type { AckLinks } from '../../notify/ack-link.js';
import type { DeliveryGate } from '../../notify/delivery-gate.js';
import type { EscalationService } from '../../notify/escalation.js';
import type { EscalationRepository } from '../../store/escalation.repository.js';
import type { NotificationQueue, QueueOptions } from '../../notify/notification-queue.js';
import type { OutboundPolicy } from '../../net/outbound-policy.js';
import { AlarmRepository } from '../../store/alarm.repository.js';
import type { Db } from '../../store/database.js';
import type { DeviceRepository } from '../../store/device.repository.js';
import type { EventRepository } from '../../store/event.repository.js';
import { MaintenanceRepository } from '../../store/maintenance.repository.js';
import { NotificationRepository } from '../../store/notification.repository.js';
import type { Reads } from '../../store/read-ops.js';
import { RuleRepository } from '../../store/rule.repository.js';
import type { SecretBox } from '../../store/secret-box.js';
import type { EventBus } from '../bus.js';
import { createAlarmNotifications } from './alarm-notifications.js';
import { AlarmService, type AlarmOptions } from './alarm-service.js';
import { DEFAULT_RULES } from './default-rules.js';
import type { DeviceInfo, OidNameResolver } from './event-context.js';
import { MaintenanceIndex } from './maintenance.js';
import { own } from './own.js';
import type { Decision } from './rule-compiler.js';
import { RuleSet } from './rule-set.js';
import { ThresholdEvaluator } from './threshold-evaluator.js';
import { dryRunLatest } from './dry-run.js';
import { dryRunWindow } from './dry-run-window.js';
import type { RuleWindowDryRun } from '../../contracts/inbox.js';
import { InboxCollector } from '../inbox/inbox-collector.js';
import { InboxRepository } from '../../store/inbox.repository.js';
import { INBOX_DEFAULTS, InboxWriter, type InboxOptions } from '../inbox/inbox-writer.js';

export interface EventEngineDeps {
  db: Db;
  bus: EventBus;
  log: Logger;
  devices: DeviceRepository;
  events: EventRepository;
  /** Reads off the main thread: alarm lists and history, the stored events of a rule dry run. */
  reads: Reads;
  /** Encrypts and decrypts the notification channels' settings. */
  secrets: SecretBox;
  /** MIB name -> numeric OID (the MIB dictionary); numeric OIDs and a few IF-MIB names work without it. */
  resolveOidName?: OidNameResolver;
  alarms?: Partial<AlarmOptions>;
  notifications?: Partial<QueueOptions>;
  /** Where notifications may connect. */
  outbound: OutboundPolicy;
  /** Housekeeping period (archive, maintenance flags, flap settling). Default 30 s. */
  sweepIntervalMs?: number;
  /** The console's public address: notifications then carry a signed acknowledge link (`ackUrl`). */
  publicUrl?: string;
  /** Lifetime of an acknowledge link. Default 72 h. */
  ackLinkTtlMs?: number;
  /** How often escalation steps, quiet-hour ends and digest windows are checked. Default 1 s. */
  escalationTickMs?: number;
  /** The unmatched inbox (issue 17): how often gathered types are written, how many rows, when a dismissed type comes back. */
  inbox?: Partial<InboxOptions>;
  /**
   * Several central nodes: the escalation tick (`alarm-escalation`) and the alarm sweep (`alarm-sweep`)
   * run only on the node holding their singleton lock. Default: both run here.
   */
  singletons?: Singletons;
  /** Several central nodes share the store: escalation positions are read from it at each tick (see EscalationService). */
  clustered?: boolean;
}

/** The engine's stores and services, for the routes that manage them (the engine imports no route file). */
export interface EngineParts {
  alarms: AlarmRepository;
  alarmService: AlarmService;
  rules: RuleRepository;
  channels: NotificationRepository;
  queue: NotificationQueue;
  maintenance: MaintenanceRepository;
  maintenanceIndex: MaintenanceIndex;
  devices: DeviceRepository;
  reads: Reads;
  outbound: OutboundPolicy;
  resolveOidName?: OidNameResolver;
  /** Matches of a rule since start. */
  hits(ruleId: number): number;
  escalations: EscalationRepository;
  escalation: EscalationService;
  ackLinks: AckLinks;
  gate: DeliveryGate;
  /** The unmatched inbox's table. */
  inbox: InboxRepository;
}

export interface EventEngine {
  /** EventWriter `preprocess`: classifies each event (severity, title) and drops what rules drop. */
  preprocess(events: NormalizedEvent[]): NormalizedEvent[];
  /** EventWriter `onStored` (before/after publishing `events.stored`): raises and clears alarms. */
  onStored(events: StoredEvent[]): void;
  /** What the alarm, rule, notification and maintenance routes work on (server/api/engine.routes.ts). */
  readonly parts: EngineParts;
  counters(): Record<string, number>;
  /** Recompiles rules from the store (the rules API calls this after each change). */
  reloadRules(): void;
  /** Runs housekeeping now (also runs on a timer). */
  sweep(): void;
  /** Dry run of an event rule body over the last `limit` stored events. */
  dryRun(body: EventRuleBody, limit: number): Promise<RuleTestResult>;
  /** Dry run of an event rule body over the stored events of the last `hours` (figures: matched, alarms raised, clears). */
  dryRunWindow(body: EventRuleBody, hours: number): Promise<RuleWindowDryRun>;
  /** Writes the inbox types gathered since the last flush now (also runs on a timer). */
  flushInbox(): void;
  close(): Promise<void>;
}

const toInfo = (d: Pick<DeviceDto, 'id' | 'name' | 'address' | 'group' | 'tags'>): DeviceInfo => ({ id: d.id, name: d.name, address: d.address, group: d.group, tags: d.tags });

/** Wires rules, thresholds, alarms, maintenance and notifications around the event writer. */
export function createEventEngine(deps: EventEngineDeps): EventEngine {
  const { db, bus, log } = deps;
  const rules = new RuleRepository(db);
  const alarmsRepo = new AlarmRepository(db);
  const maintenanceRepo = new MaintenanceRepository(db);
  const channels = new NotificationRepository(db, deps.secrets);
  const seeded = rules.seedBuiltins(DEFAULT_RULES);
  if (seeded) log.info({ seeded }, 'default rule pack installed');

  const directory = new Map<number, DeviceInfo>(deps.devices.list().map((d) => [d.id, toInfo(d)]));
  const device = (id: number | null) => (id === null ? undefined : directory.get(id));
  const stats = { evaluated: 0, dropped: 0, alarm_decisions: 0, rule_errors: 0, alarm_errors: 0 };

  const ruleHits = new Map<number, number>();
  let ruleSet = new RuleSet([], deps.resolveOidName, ruleHits);
  let notifyByRule = new Map<number, { channelIds: number[]; on: ('raise' | 'severity' | 'clear')[] }>();
  const thresholds = new ThresholdEvaluator((e) => bus.publish('event.received', e), (id) => directory.get(id));
  // Built-in rules of collection templates (server/templates), kept beside the stored ones.
  let templateRules: RuleDto[] = [];
  const reloadRules = () => {
    const all = [...rules.list(), ...templateRules];
    ruleSet = new RuleSet(all, deps.resolveOidName, ruleHits);
    for (const b of ruleSet.broken) log.warn({ rule: b.name, id: b.id, error: b.error }, 'rule skipped: it does not compile');
    notifyByRule = new Map();
    for (const r of all) {
      const notify = r.body.kind === 'event' ? r.body.actions.notify : r.body.notify;
      if (notify) notifyByRule.set(r.id, notify);
    }
    thresholds.setRules(all);
  };
  reloadRules();

  const maintenance = new MaintenanceIndex(() => maintenanceRepo.list());
  // Queue, quiet hours and digests, acknowledge links, escalation (alarm-notifications.ts).
  const { queue, gate, ackLinks, payloadFor, escalationsRepo, escalation, escalationTick } = createAlarmNotifications(deps, {
    channels,
    alarmsRepo,
    directory,
    device,
    ruleChannels: (ruleId) => (ruleId === null ? [] : (notifyByRule.get(ruleId)?.channelIds ?? [])),
  });
  const alarms = new AlarmService({
    repo: alarmsRepo,
    maintenance,
    device,
    ruleNotify: (id) => (id === null ? null : (notifyByRule.get(id) ?? null)),
    onChange: (a: AlarmDto) => bus.publish('alarm.changed', a),
    notify: (kind, alarm, channelIds, previous) => {
      const payload = payloadFor(kind, alarm, previous);
      for (const id of channelIds) gate.submit(id, payload);
    },
    options: deps.alarms,
    onError: (err) => log.error({ err }, 'alarm push failed'),
    onAck: (alarm) => {
      try {
        escalation.acknowledged(alarm);
      } catch (err) {
        log.error({ err, alarm: alarm.id }, 'acknowledge notices failed');
      }
    },
  });
  let escalationTimer: NodeJS.Timeout | undefined;
  const escalationJob = {
    start() {
      escalationTimer = setInterval(escalationTick, deps.escalationTickMs ?? 1000);
      escalationTimer.unref();
    },
    stop: () => clearInterval(escalationTimer),
  };
  const offEscalation = deps.singletons ? deps.singletons.register('alarm-escalation', escalationJob) : (escalationJob.start(), async () => escalationJob.stop());

  // Alarm/clear decisions from preprocess until the event is stored. Several batches may be in flight
  // (the writer can store off the main thread), and a batch that fails to store is never seen again,
  // so entries live exactly as long as their event.
  const decisions = new WeakMap<NormalizedEvent, Decision>();
  const unsubscribe = [
    bus.subscribe('alarm.changed', (a) => {
      try {
        escalation.onAlarmChanged(a);
      } catch (err) {
        log.error({ err, alarm: a.id }, 'escalation update failed');
      }
    }),
    bus.subscribe('device.created', (d) => directory.set(d.id, toInfo(d))),
    bus.subscribe('device.updated', (d) => directory.set(d.id, toInfo(d))),
    bus.subscribe('device.deleted', ({ id }) => directory.delete(id)),
    bus.subscribe('metrics.sampled', (samples) => thresholds.evaluate(samples)),
    bus.subscribe('templates.instancesGone', ({ deviceId, gone }) => thresholds.clearInstances(deviceId, gone)),
    bus.subscribe('templates.thresholdRules', ({ rules: r }) => {
      templateRules = r;
      reloadRules();
    }),
  ];

  const sweep = () => {
    try {
      alarms.sweep();
      const { minId } = deps.events.idRange();
      if (minId !== null) alarmsRepo.pruneLinksBelow(minId);
      maintenanceRepo.deleteEndedBefore(Date.now() - 30 * 86_400_000);
    } catch (err) {
      log.error({ err }, 'alarm housekeeping failed');
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const sweepJob = {
    start() {
      timer = setInterval(sweep, deps.sweepIntervalMs ?? 30_000);
      timer.unref();
    },
    stop: () => clearInterval(timer),
  };
  const offSweep = deps.singletons ? deps.singletons.register('alarm-sweep', sweepJob) : (sweepJob.start(), async () => sweepJob.stop());

  // Unmatched inbox: gathered in preprocess (a Map), written in batches by the writer.
  const inboxRepo = new InboxRepository(db);
  const inbox = new InboxCollector();
  const inboxWriter = new InboxWriter(inboxRepo, inbox, { ...INBOX_DEFAULTS, ...deps.inbox }, log);

  const engine: EventEngine = {
    preprocess(batch) {
      let dropped: Set<NormalizedEvent> | null = null;
      for (const e of batch) {
        stats.evaluated++;
        let d: Decision;
        try {
          d = ruleSet.evaluate(e, device(e.deviceId));
        } catch (err) {
          // One bad event (or rule) must not sink the batch: store it unclassified.
          stats.rule_errors++;
          log.error({ err, type: e.type }, 'rule evaluation failed');
          continue;
        }
        if (d.ruleId === null && inbox.wants(e)) inbox.note(e, device(e.deviceId)?.name);
        if (d.disposition === 'drop') {
          (dropped ??= new Set()).add(e);
        } else if (d.disposition === 'alarm' || d.disposition === 'clear') {
          stats.alarm_decisions++;
          // Threshold events notify the channels of the threshold rule that produced them.
          const ruleId = own(e.params, 'ruleId');
          if (d.notify === null && e.source === 'poll' && typeof ruleId === 'number' && e.type.startsWith('threshold.')) {
            d.notify = notifyByRule.get(ruleId) ?? null;
          }
          decisions.set(e, d);
        }
      }
      if (dropped === null) return batch;
      stats.dropped += dropped.size;
      return batch.filter((e) => !dropped.has(e));
    },
    onStored(stored) {
      const items: { event: StoredEvent; decision: Decision }[] = [];
      for (const e of stored) {
        const d = decisions.get(e);
        if (d) items.push({ event: e, decision: d });
      }
      if (items.length === 0) return;
      try {
        alarms.applyBatch(items);
      } catch (err) {
        // Never throws into the writer: the batch is stored and announced whatever happens here.
        stats.alarm_errors += items.length;
        log.error({ err, count: items.length }, 'alarm update failed');
      }
    },
    parts: {
      alarms: alarmsRepo,
      alarmService: alarms,
      rules,
      channels,
      queue,
      maintenance: maintenanceRepo,
      maintenanceIndex: maintenance,
      devices: deps.devices,
      reads: deps.reads,
      outbound: deps.outbound,
      resolveOidName: deps.resolveOidName,
      hits: (id) => ruleHits.get(id) ?? 0,
      escalations: escalationsRepo,
      escalation,
      ackLinks,
      gate,
      inbox: inboxRepo,
    },
    counters() {
      return {
        ...stats,
        rules: ruleSet.size,
        rules_broken: ruleSet.broken.length,
        threshold_rules: thresholds.size,
        ...prefixed('alarms_', alarms.stats),
        ...prefixed('thresholds_', thresholds.stats),
        ...prefixed('notifications_', queue.stats),
        ...prefixed('escalation_', escalation.stats),
        escalation_active: escalation.active,
        ...prefixed('delivery_', gate.stats),
        delivery_waiting: gate.waiting,
        notifications_pending: queue.pending,
        ...prefixed('inbox_', inbox.stats),
        inbox_pending_types: inbox.size,
      };
    },
    reloadRules,
    sweep,
    dryRun(body, limit) {
      return dryRunLatest({ reads: deps.reads, device, resolveOidName: deps.resolveOidName }, body, limit);
    },
    dryRunWindow(body, hours) {
      const to = Date.now();
      return dryRunWindow({ reads: deps.reads, device, resolveOidName: deps.resolveOidName }, body, to - hours * 3_600_000, to);
    },
    flushInbox: () => inboxWriter.flush(true),
    async close() {
      await offSweep();
      await offEscalation();
      inboxWriter.close();
      unsubscribe.forEach((u) => u());
      try {
        alarms.close();
      } catch (err) {
        log.error({ err }, 'alarm push failed');
      }
      await queue.close();
    },
  };
  return engine;
}

function prefixed(prefix: string, o: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) out[prefix + k] = v;
  return out;
}
