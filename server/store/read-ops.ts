/**
 * Every read that runs on a reader thread, declared once. A reader thread
 * builds the repositories below on its own read-only connection and runs an
 * op by name; a route calls `reads.run('events.query', args)` with the types
 * of that op. Arguments and results cross between threads by structured clone
 * (plain data, Maps and typed arrays; no functions, no class instances).
 *
 * Only repositories over non-secret tables are built here: a reader thread has
 * no SecretBox and reads no secret column.
 */
import type { TopologyDto } from '../contracts/topology.js';
import { formatEvents, type ExportFormat } from '../events/event-export.js';
import { buildTopology, type TopologyDevice } from '../topology/topology.builder.js';
import { AlarmRepository, type AlarmListQuery } from './alarm.repository.js';
import { AuditRepository, type AuditQuery } from './audit.repository.js';
import { DashboardRepository } from './dashboard.repository.js';
import type { Db } from './database.js';
import { EventRepository, type EventQuery } from './event.repository.js';
import { PollStateRepository } from './poll-state.repository.js';
import { UnknownSenderRepository } from './unknown-sender.repository.js';
import { metricSeries, type SeriesQuery } from './sample-series.js';
import { SampleRepository } from './sample.repository.js';
import { LatencyRepository } from './latency.repository.js';
import type { LatencyResolution } from '../contracts/latency.js';
import { TopologyRepository } from './topology.repository.js';
import { DependencyRepository } from './dependency.repository.js';
import { deriveFromStore, type DeriveDevice, type DerivedResult } from '../rootcause/derive.js';

export interface ReaderRepositories {
  events: EventRepository;
  dashboard: DashboardRepository;
  alarms: AlarmRepository;
  samples: SampleRepository;
  audit: AuditRepository;
  pollState: PollStateRepository;
  topology: TopologyRepository;
  unknownSenders: UnknownSenderRepository;
  latency: LatencyRepository;
  dependencies: DependencyRepository;
}

/**
 * The repositories a reader uses, on any connection (a reader's read-only one, or the main one in tests).
 * On PostgreSQL (a PgDb) each is built on first use, so an op only needs its own repositories'
 * SQL to run there; `events` is not built at all: the events ops are served by PgEventRepository
 * (pg/pg-read.worker.ts), and asking for it here is a mistake that says so.
 */
export function readerRepositories(db: Db): ReaderRepositories {
  // isPostgres (pg/pg-db.ts) inline: a SQLite reader thread loads nothing of the PostgreSQL code.
  if ((db as unknown as { engine?: string }).engine === 'postgres') return lazyRepositories(db);
  return {
    events: new EventRepository(db),
    dashboard: new DashboardRepository(db),
    alarms: new AlarmRepository(db),
    samples: new SampleRepository(db),
    audit: new AuditRepository(db),
    pollState: new PollStateRepository(db),
    topology: new TopologyRepository(db),
    unknownSenders: new UnknownSenderRepository(db),
    latency: new LatencyRepository(db),
    dependencies: new DependencyRepository(db),
  };
}

function lazyRepositories(db: Db): ReaderRepositories {
  const made = new Map<keyof ReaderRepositories, unknown>();
  const lazy = <K extends keyof ReaderRepositories>(key: K, make: () => ReaderRepositories[K]) => ({
    enumerable: true,
    get(): ReaderRepositories[K] {
      if (!made.has(key)) made.set(key, make());
      return made.get(key) as ReaderRepositories[K];
    },
  });
  return Object.defineProperties({} as ReaderRepositories, {
    events: lazy('events', () => {
      throw new Error('events on PostgreSQL are read through PgEventRepository (pg/pg-read.worker.ts), not EventRepository');
    }),
    dashboard: lazy('dashboard', () => new DashboardRepository(db)),
    alarms: lazy('alarms', () => new AlarmRepository(db)),
    samples: lazy('samples', () => new SampleRepository(db)),
    audit: lazy('audit', () => new AuditRepository(db)),
    pollState: lazy('pollState', () => new PollStateRepository(db)),
    topology: lazy('topology', () => new TopologyRepository(db)),
    unknownSenders: lazy('unknownSenders', () => new UnknownSenderRepository(db)),
    latency: lazy('latency', () => new LatencyRepository(db)),
    dependencies: lazy('dependencies', () => new DependencyRepository(db)),
  });
}

/** One page of an export: the filter of GET /events, a cursor, and how to write the rows. */
export interface ExportPageArgs {
  filter: Omit<EventQuery, 'limit' | 'beforeId'>;
  beforeId?: number;
  limit: number;
  format: ExportFormat;
  /** Device id -> name, for the CSV's device column (sent by the main thread, which has the device list). */
  deviceNames: [number, string][];
  /** Write the CSV header before the rows (first page). */
  header: boolean;
}

export interface ExportPage {
  /** UTF-8 text of the page (transferred, not copied, to the main thread). */
  bytes: Uint8Array;
  rows: number;
  /** Cursor of the next page; null when this was the last. */
  nextCursor: number | null;
}

const encoder = new TextEncoder();

/** Typed op declaration: the repositories, one argument, a cloneable result. */
const op = <A, R>(fn: (r: ReaderRepositories, args: A) => R) => fn;

export const READ_OPS = {
  'events.query': op((r, q: EventQuery) => r.events.query(q)),
  'events.get': op((r, id: number) => r.events.get(id) ?? null),
  'events.exportPage': op((r, a: ExportPageArgs): ExportPage => {
    const page = r.events.query({ ...a.filter, beforeId: a.beforeId, limit: a.limit });
    const text = formatEvents(page.items, a.format, new Map(a.deviceNames), a.header);
    return { bytes: encoder.encode(text), rows: page.items.length, nextCursor: page.nextCursor };
  }),
  'dashboard.summary': op((r, a: { sinceMs: number; top: number }) => ({
    devices: r.dashboard.deviceStates(),
    alarms: r.dashboard.activeAlarmCounts(),
    eventsPerMinute: r.dashboard.eventsPerMinute(a.sinceMs),
    eventSeverities: r.dashboard.eventSeverities(a.sinceMs),
    topEventTypes: r.dashboard.topEventTypes(a.sinceMs, a.top),
    slowestPolls: r.dashboard.slowestPolls(a.top),
    topInterfaces: r.dashboard.topInterfaces(a.top),
  })),
  'alarms.list': op((r, q: AlarmListQuery) => r.alarms.list(q)),
  'alarms.detail': op((r, a: { id: number; events: number }) => {
    const dto = r.alarms.dto(a.id);
    return dto ? { ...dto, events: r.alarms.events(a.id, a.events) } : null;
  }),
  'alarms.suppressedByDevice': op((r, _: null) => r.alarms.suppressedByDevice()),
  'metrics.series': op((r, q: SeriesQuery) => metricSeries(r.samples, q)),
  'latency.points': op((r, q: { deviceId: number; from: number; to: number; resolution: LatencyResolution }) => r.latency.points(q.deviceId, q.from, q.to, q.resolution)),
  'unknownSenders.list': op((r, q: { limit: number; cursor?: string }) => r.unknownSenders.list(q)),
  'audit.list': op((r, q: AuditQuery) => r.audit.list(q)),
  'audit.objectTypes': op((r, _: null) => r.audit.objectTypes()),
  /** The whole map: poll state, LLDP/CDP neighbours, interfaces, manual links, positions and alarm colours. */
  'topology.build': op((r, a: { devices: TopologyDevice[] }): TopologyDto =>
    buildTopology({
      devices: a.devices,
      status: r.pollState.allStatus(),
      neighbours: r.pollState.neighbours(),
      interfaces: new Map(a.devices.map((d) => [d.id, r.pollState.interfaces(d.id)])),
      manualLinks: r.topology.manualLinks(),
      positions: r.topology.positions(),
      alarmSeverity: r.dashboard.worstAlarmByDevice(),
      downPorts: r.dashboard.downPorts(),
    }),
  ),
  /** Root-cause parents (issue 17): the topology graph, pins and roots -> each device's parent. */
  'rootcause.derive': op((r, a: { devices: DeriveDevice[]; gateway: string | null }): DerivedResult =>
    deriveFromStore({
      devices: a.devices,
      status: r.pollState.allStatus(),
      neighbours: r.pollState.neighbours(),
      interfaces: (id) => r.pollState.interfaces(id),
      manualLinks: r.topology.manualLinks(),
      pins: r.dependencies.pins(),
      gateway: a.gateway,
    }),
  ),
};

export type ReadOps = typeof READ_OPS;
export type ReadOp = keyof ReadOps;
export type ReadArgs<K extends ReadOp> = Parameters<ReadOps[K]>[1];
export type ReadResult<K extends ReadOp> = ReturnType<ReadOps[K]>;

/** Runs reads: on reader threads (ReadPool), or in this thread (`inlineReads`). */
export interface Reads {
  run<K extends ReadOp>(op: K, args: ReadArgs<K>): Promise<ReadResult<K>>;
}

/** Runs `op` on `repos` (what a reader thread does with a request). */
export function runReadOp(repos: ReaderRepositories, name: string, args: unknown): unknown {
  if (!Object.hasOwn(READ_OPS, name)) throw new Error(`unknown read op ${name}`);
  return (READ_OPS[name as ReadOp] as (r: ReaderRepositories, a: unknown) => unknown)(repos, args);
}

/**
 * Reads on this thread's connection, with results cloned as a reader thread's
 * would be: for tests, benches and tools that have no pool. Never for a server
 * that serves users (it blocks the main thread for the length of each query).
 */
export function inlineReads(db: Db): Reads {
  const repos = readerRepositories(db);
  return {
    async run(name, args) {
      return structuredClone(runReadOp(repos, name, args)) as never;
    },
  };
}
