import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Well-named server metrics (intake, events, poller) read from the components'
 * plain counters at scrape time, for dashboards and alert rules:
 * `netwatch_component_counter{component,counter}` stays as the catch-all, but
 * it is a gauge and its names are the components' own. Values that only grow
 * are exported as counters (so `rate()` is right across restarts), levels as
 * gauges. A component that is not running in this role (no poller at a
 * central without NMS_POLLER, no event writer at a collector) gives no series.
 */
interface Row {
  component: string;
  counter: string;
  labels?: Record<string, string>;
  /** Multiplier from the component's unit (ms -> s). */
  scale?: number;
}

interface Derived {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labelNames: string[];
  rows: Row[];
}

const listeners = ['syslog', 'trap'] as const;
const perListener = (counter: string, labels: Record<string, string> = {}): Row[] => listeners.map((l) => ({ component: l, counter, labels: { listener: l, ...labels } }));

export const SERVER_METRICS: readonly Derived[] = [
  { name: 'netwatch_intake_received_total', type: 'counter', labelNames: ['listener'], help: 'Syslog messages and SNMP traps/informs received, by listener', rows: perListener('received') },
  { name: 'netwatch_intake_parsed_total', type: 'counter', labelNames: ['listener'], help: 'Syslog messages and traps parsed into events, by listener', rows: perListener('parsed') },
  {
    name: 'netwatch_intake_dropped_total',
    type: 'counter',
    labelNames: ['listener', 'reason'],
    help: 'Messages the listeners did not hand on, by listener and reason (queue_full, parse_error, sink_error; traps also auth_failure, rejected)',
    rows: [
      ...perListener('dropped', { reason: 'queue_full' }),
      ...perListener('parse_errors', { reason: 'parse_error' }),
      ...perListener('sink_errors', { reason: 'sink_error' }),
      { component: 'trap', counter: 'auth_failures', labels: { listener: 'trap', reason: 'auth_failure' } },
      { component: 'trap', counter: 'rejected', labels: { listener: 'trap', reason: 'rejected' } },
    ],
  },
  { name: 'netwatch_intake_queue_depth', type: 'gauge', labelNames: ['listener'], help: 'Messages received and waiting to be decoded, by listener', rows: perListener('queue_depth') },
  { name: 'netwatch_intake_queue_bytes', type: 'gauge', labelNames: ['listener'], help: 'Bytes held by messages waiting to be decoded, by listener', rows: perListener('queue_bytes') },
  { name: 'netwatch_events_stored_total', type: 'counter', labelNames: [], help: 'Events committed to the event store', rows: [{ component: 'events', counter: 'stored' }] },
  {
    name: 'netwatch_events_dropped_total',
    type: 'counter',
    labelNames: ['reason'],
    help: 'Events not stored, by reason (queue_full: the writer queue was full; rule: a drop rule; write_error)',
    rows: [
      { component: 'events', counter: 'dropped', labels: { reason: 'queue_full' } },
      { component: 'events', counter: 'dropped_by_rules', labels: { reason: 'rule' } },
      { component: 'events', counter: 'write_errors', labels: { reason: 'write_error' } },
    ],
  },
  { name: 'netwatch_events_backlog', type: 'gauge', labelNames: [], help: 'Events queued or being written by the event writer', rows: [{ component: 'events', counter: 'backlog' }] },
  {
    name: 'netwatch_poller_polls_total',
    type: 'counter',
    labelNames: ['protocol'],
    help: 'Device polls done, by protocol (snmp: one per device poll; icmp: one per host pinged)',
    rows: [
      { component: 'poller', counter: 'snmp_polls', labels: { protocol: 'snmp' } },
      { component: 'poller', counter: 'icmp_hosts', labels: { protocol: 'icmp' } },
    ],
  },
  { name: 'netwatch_poller_failures_total', type: 'counter', labelNames: ['protocol'], help: 'Device polls that failed (timeout, auth failure, error), by protocol', rows: [{ component: 'poller', counter: 'snmp_failures', labels: { protocol: 'snmp' } }] },
  {
    name: 'netwatch_poller_poll_seconds_total',
    type: 'counter',
    labelNames: ['protocol'],
    help: 'Time spent in device polls, by protocol: rate() of this over rate(netwatch_poller_polls_total) is the mean poll duration',
    rows: [{ component: 'poller', counter: 'snmp_poll_ms_total', labels: { protocol: 'snmp' }, scale: 1e-3 }],
  },
  { name: 'netwatch_poller_started_total', type: 'counter', labelNames: [], help: 'Scheduled poll jobs started', rows: [{ component: 'poller', counter: 'polls_started' }] },
  {
    name: 'netwatch_poller_lag_seconds_total',
    type: 'counter',
    labelNames: [],
    help: 'Sum of how late scheduled poll jobs started after their due time: rate() of this over rate(netwatch_poller_started_total) is the mean lag',
    rows: [{ component: 'poller', counter: 'poll_lag_ms_total', scale: 1e-3 }],
  },
  { name: 'netwatch_poller_max_lag_seconds', type: 'gauge', labelNames: [], help: 'Longest start delay of a scheduled poll job since start', rows: [{ component: 'poller', counter: 'max_lag_ms', scale: 1e-3 }] },
  { name: 'netwatch_poller_skipped_total', type: 'counter', labelNames: [], help: 'Poll slots skipped because the device\'s previous poll had not finished', rows: [{ component: 'poller', counter: 'skipped_overlaps' }] },
  { name: 'netwatch_poller_devices', type: 'gauge', labelNames: [], help: 'Devices scheduled for polling', rows: [{ component: 'poller', counter: 'scheduled_devices' }] },
  {
    name: 'netwatch_poller_jobs',
    type: 'gauge',
    labelNames: ['state'],
    help: 'Poll jobs running now and waiting for a free slot',
    rows: [
      { component: 'poller', counter: 'running', labels: { state: 'running' } },
      { component: 'poller', counter: 'waiting', labels: { state: 'waiting' } },
    ],
  },
  {
    name: 'netwatch_device_metrics_scrapes_total',
    type: 'counter',
    labelNames: ['outcome'],
    help: 'Scrapes of GET /metrics/devices, by outcome (served, aborted by the client, failed)',
    rows: [
      { component: 'device-metrics', counter: 'scrapes', labels: { outcome: 'served' } },
      { component: 'device-metrics', counter: 'scrapes_aborted', labels: { outcome: 'aborted' } },
      { component: 'device-metrics', counter: 'scrapes_failed', labels: { outcome: 'failed' } },
    ],
  },
  {
    name: 'netwatch_device_metrics_cached',
    type: 'gauge',
    labelNames: ['kind'],
    help: 'Devices and interfaces in the latest-values cache that GET /metrics/devices exports',
    rows: [
      { component: 'device-metrics', counter: 'devices', labels: { kind: 'devices' } },
      { component: 'device-metrics', counter: 'interfaces', labels: { kind: 'interfaces' } },
    ],
  },
];

/**
 * Registers each of SERVER_METRICS on `registry` once a component it reads is
 * added (call `added` from `Metrics.addSource`), so a role without that
 * component has no such metric rather than a 0. `read` gives every
 * component's counters by name (Metrics reads them once per scrape).
 */
export function serverMetrics(registry: Registry, read: () => ReadonlyMap<string, Record<string, number>>): { added(component: string): void } {
  const registered = new Set<string>();
  const register = (d: Derived) => {
    registered.add(d.name);
    const collect = function (this: Counter<string> | Gauge<string>) {
      this.reset();
      const now = read();
      for (const r of d.rows) {
        const value = now.get(r.component)?.[r.counter];
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) continue;
        const v = value * (r.scale ?? 1);
        if (this instanceof Counter) this.inc(r.labels ?? {}, v);
        else this.set(r.labels ?? {}, v);
      }
    };
    const config = { name: d.name, help: d.help, labelNames: d.labelNames, registers: [registry], collect };
    if (d.type === 'counter') new Counter(config);
    else new Gauge(config);
  };
  return {
    added(component) {
      for (const d of SERVER_METRICS) if (!registered.has(d.name) && d.rows.some((r) => r.component === component)) register(d);
    },
  };
}
