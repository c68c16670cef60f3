import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../server/metrics/metrics.js';

/** Parses the text exposition into `name{labels}` -> value and `name` -> TYPE. */
async function scrape(m: Metrics) {
  const text = await m.registry.metrics();
  const values = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1]!, t[2]!);
    else if (line && !line.startsWith('#')) {
      const i = line.lastIndexOf(' ');
      values.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
  }
  return { values, types };
}

describe('well-named server metrics from the component counters', () => {
  it('exports intake, event and poller counters as counters and levels as gauges, with ms turned into seconds', async () => {
    const m = new Metrics();
    const syslog = { received: 10, parsed: 9, parse_errors: 1, dropped: 0, sink_errors: 0, queue_depth: 3, queue_bytes: 300 };
    m.addSource({ name: 'syslog', counters: () => syslog });
    m.addSource({ name: 'trap', counters: () => ({ received: 4, parsed: 4, parse_errors: 0, dropped: 2, sink_errors: 0, auth_failures: 1, rejected: 0, queue_depth: 0, queue_bytes: 0 }) });
    m.addSource({ name: 'events', counters: () => ({ stored: 13, dropped: 0, dropped_by_rules: 5, write_errors: 0, backlog: 7 }) });
    m.addSource({
      name: 'poller',
      counters: () => ({ snmp_polls: 6, snmp_failures: 1, snmp_poll_ms_total: 1500, icmp_hosts: 12, polls_started: 8, poll_lag_ms_total: 250, max_lag_ms: 120, skipped_overlaps: 0, scheduled_devices: 2, running: 1, waiting: 0 }),
    });
    m.addSource({ name: 'device-metrics', counters: () => ({ devices: 3, interfaces: 40, scrapes: 9, scrapes_aborted: 1, scrapes_failed: 0 }) });
    const { values, types } = await scrape(m);
    expect(values.get('netwatch_device_metrics_scrapes_total{outcome="served"}')).toBe(9);
    expect(values.get('netwatch_device_metrics_cached{kind="interfaces"}')).toBe(40);
    expect(values.get('netwatch_intake_received_total{listener="syslog"}')).toBe(10);
    expect(values.get('netwatch_intake_received_total{listener="trap"}')).toBe(4);
    expect(values.get('netwatch_intake_dropped_total{listener="syslog",reason="parse_error"}')).toBe(1);
    expect(values.get('netwatch_intake_dropped_total{listener="trap",reason="queue_full"}')).toBe(2);
    expect(values.get('netwatch_intake_dropped_total{listener="trap",reason="auth_failure"}')).toBe(1);
    expect(values.get('netwatch_intake_queue_depth{listener="syslog"}')).toBe(3);
    expect(values.get('netwatch_events_stored_total')).toBe(13);
    expect(values.get('netwatch_events_dropped_total{reason="rule"}')).toBe(5);
    expect(values.get('netwatch_events_backlog')).toBe(7);
    expect(values.get('netwatch_poller_polls_total{protocol="snmp"}')).toBe(6);
    expect(values.get('netwatch_poller_polls_total{protocol="icmp"}')).toBe(12);
    expect(values.get('netwatch_poller_poll_seconds_total{protocol="snmp"}')).toBe(1.5);
    expect(values.get('netwatch_poller_lag_seconds_total')).toBe(0.25);
    expect(values.get('netwatch_poller_max_lag_seconds')).toBe(0.12);
    expect(values.get('netwatch_poller_jobs{state="running"}')).toBe(1);
    expect(types.get('netwatch_intake_received_total')).toBe('counter');
    expect(types.get('netwatch_poller_lag_seconds_total')).toBe('counter');
    expect(types.get('netwatch_intake_queue_depth')).toBe('gauge');
    // A scrape in a later turn of the event loop (as every HTTP scrape is) reads the components again.
    syslog.received = 11;
    await new Promise((r) => setImmediate(r));
    expect((await scrape(m)).values.get('netwatch_intake_received_total{listener="syslog"}')).toBe(11);
  });

  it('gives no series for a component this role does not run, and skips unreadable (-1) values', async () => {
    const m = new Metrics();
    m.addSource({ name: 'syslog', counters: () => ({ received: -1, parsed: 2 }) });
    const { values } = await scrape(m);
    expect([...values.keys()].filter((k) => k.startsWith('netwatch_poller_') || k.startsWith('netwatch_events_'))).toEqual([]);
    expect(values.has('netwatch_intake_received_total{listener="syslog"}')).toBe(false);
    expect(values.get('netwatch_intake_parsed_total{listener="syslog"}')).toBe(2);
  });
});
