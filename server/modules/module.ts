import type { RouteRegistration } from '../api/registry.js';
import type { Config } from '../config/config.schema.js';
import type { ListenerStatus } from '../contracts/dto.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log/logger.js';
import type { CounterSource, Metrics } from '../metrics/metrics.js';
import type { OutboundPolicy } from '../net/outbound-policy.js';
import type { ClusterBridge } from '../cluster/cluster-bridge.js';
import type { ChangeNotices } from '../cluster/change-notices.js';
import type { Singletons } from '../cluster/singleton.js';

export type ModuleName = 'store' | 'events' | 'registry' | 'intake' | 'polling' | 'topology' | 'mib' | 'api' | 'realtime' | 'transport' | 'health';

export type { RouteRegistration };

/**
 * One part of the server. A role is a list of modules: they are started in order
 * and stopped in reverse. Routes of every module of the role are registered in one
 * place when the API module starts; counters go to /metrics and the status page.
 */
export interface Module {
  readonly name: ModuleName;
  start(): Promise<void>;
  stop(): Promise<void>;
  routes?: RouteRegistration;
  /** Counter sources (one component label each), added to the metrics once the module has started. */
  counters?(): CounterSource[];
}

/** What every module shares: the frozen config, logging, the bus, metrics and outbound policy. */
export interface AppContext {
  config: Config;
  log(module: string): Logger;
  bus: EventBus;
  metrics: Metrics;
  outbound: OutboundPolicy;
  startedAt: number;
  /** Every listening socket (HTTP first, then trap and syslog), as the status page shows them. */
  listeners: ListenerStatus[];
  showOnce(text: string): void;
  /**
   * Jobs that run on one node at a time (retention, rollups, alarm sweeps, housekeeping, a site's poll
   * scheduling): on SQLite all run here; on PostgreSQL (`databaseUrl`) only while this node holds the job's lock.
   */
  singletons: Singletons;
  /** On PostgreSQL: change notices to and from the other central nodes (null on SQLite: one process). */
  notices: ChangeNotices | null;
  /** With `notices`: the bridge between them and this node's bus and caches (the store module makes it when it starts). */
  cluster: ClusterBridge | null;
}

/** A value a module makes in `start()`; reading it earlier is a wiring bug and says so. */
export class Late<T> {
  private value: { v: T } | null = null;
  constructor(private readonly what: string) {}
  set(v: T): T {
    this.value = { v };
    return v;
  }
  get(): T {
    if (this.value === null) throw new Error(`${this.what} is used before its module started`);
    return this.value.v;
  }
}
