import type { Db } from './database.js';
import { SEVERITIES } from '../contracts/events.js';

/**
 * Read-only aggregates for the dashboard. Event figures come from the
 * per-minute counters the event store thread keeps (event_minutes: one row a
 * minute; event_counts: a row per minute, type, source, severity and device),
 * so an hour costs 60 rows plus that hour's distinct types, whatever the
 * number of events stored.
 *
 * One SQL text for both engines (no scalar max(), explicit tie order): on
 * PostgreSQL the counters are kept by the event store thread(s) in the same
 * tables (pg/pg-event-writer.ts), several writers adding up. Ties are broken
 * explicitly so both engines give the same order.
 */
export class DashboardRepository {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      perMinute: db.prepare<[number], { minute: number; n: number }>('SELECT minute * 60000 AS minute, n FROM event_minutes WHERE minute >= ? ORDER BY minute'),
      topTypes: db.prepare<[number, number], { type: string; source: string; n: number }>(
        'SELECT type, source, sum(n) AS n FROM event_counts WHERE minute >= ? GROUP BY type, source ORDER BY n DESC, type, source LIMIT ?',
      ),
      severities: db.prepare<[number], Record<(typeof SEVERITIES)[number], number | null>>(
        'SELECT sum(critical) AS critical, sum(major) AS major, sum(minor) AS minor, sum(warning) AS warning, sum(info) AS info, sum(debug) AS debug FROM event_minutes WHERE minute >= ?',
      ),
      slowest: db.prepare<[number], { device_id: number; name: string; last_poll_ms: number; last_poll_at: number; last_error: string | null }>(
        `SELECT s.device_id, d.name, s.last_poll_ms, s.last_poll_at, s.last_error FROM device_status s JOIN devices d ON d.id = s.device_id
          WHERE s.last_poll_ms IS NOT NULL ORDER BY s.last_poll_ms DESC, s.device_id LIMIT ?`,
      ),
      topIfaces: db.prepare<[number], { id: number; device_id: number; device: string; name: string; util: number; in_bps: number | null; out_bps: number | null; speed_bps: number | null }>(
        `SELECT i.id, i.device_id, d.name AS device, i.name, CASE WHEN coalesce(i.in_util_pct, 0) >= coalesce(i.out_util_pct, 0) THEN coalesce(i.in_util_pct, 0) ELSE coalesce(i.out_util_pct, 0) END AS util,
                i.in_bps, i.out_bps, i.speed_bps
           FROM interfaces i JOIN devices d ON d.id = i.device_id
          WHERE i.in_util_pct IS NOT NULL OR i.out_util_pct IS NOT NULL ORDER BY util DESC, i.id LIMIT ?`,
      ),
      alarmCounts: db.prepare<[], { severity: number; n: number }>("SELECT severity, count(*) AS n FROM alarms WHERE state <> 'cleared' GROUP BY severity"),
      worstAlarmByDevice: db.prepare<[], { device_id: number; severity: number }>(
        "SELECT device_id, min(severity) AS severity FROM alarms WHERE state <> 'cleared' AND device_id IS NOT NULL GROUP BY device_id",
      ),
      linkDownKeys: db.prepare<[], { reduction_key: string }>("SELECT reduction_key FROM alarms WHERE state <> 'cleared' AND reduction_key LIKE 'linkDown:%'"),
      deviceStates: db.prepare<[], { state: string; n: number }>(
        `SELECT CASE WHEN s.device_id IS NULL THEN 'unknown'
                     WHEN s.icmp_state = 'down' OR s.snmp_state IN ('down', 'auth_failure') THEN 'down'
                     WHEN s.icmp_state = 'up' OR s.snmp_state = 'up' THEN 'up' ELSE 'unknown' END AS state, count(*) AS n
           FROM devices d LEFT JOIN device_status s ON s.device_id = d.id GROUP BY state`,
      ),
    };
  }

  /** Events stored per minute since the minute of `sinceMs`. */
  eventsPerMinute(sinceMs: number): { minute: number; count: number }[] {
    return this.stmts.perMinute.all(Math.floor(sinceMs / 60_000)).map((r) => ({ minute: r.minute, count: r.n }));
  }

  /** The most frequent event types (with their source) since the minute of `sinceMs`. */
  topEventTypes(sinceMs: number, limit: number): { type: string; source: string; count: number }[] {
    return this.stmts.topTypes.all(Math.floor(sinceMs / 60_000), limit).map((r) => ({ type: r.type, source: r.source, count: r.n }));
  }

  /** Events stored since the minute of `sinceMs`, by severity. */
  eventSeverities(sinceMs: number): Record<string, number> {
    const r = this.stmts.severities.get(Math.floor(sinceMs / 60_000));
    return Object.fromEntries(SEVERITIES.map((s) => [s, r?.[s] ?? 0]));
  }

  slowestPolls(limit: number) {
    return this.stmts.slowest.all(limit).map((r) => ({ deviceId: r.device_id, name: r.name, durationMs: r.last_poll_ms, at: r.last_poll_at, error: r.last_error }));
  }

  topInterfaces(limit: number) {
    return this.stmts.topIfaces.all(limit).map((r) => ({
      id: r.id,
      deviceId: r.device_id,
      device: r.device,
      name: r.name,
      utilPct: r.util,
      inBps: r.in_bps,
      outBps: r.out_bps,
      speedBps: r.speed_bps,
    }));
  }

  /** Active (not cleared) alarms by severity name. */
  activeAlarmCounts(): Record<string, number> {
    const out: Record<string, number> = { critical: 0, major: 0, minor: 0, warning: 0, info: 0, debug: 0 };
    for (const r of this.stmts.alarmCounts.all()) out[SEVERITIES[r.severity] ?? 'info'] += r.n;
    return out;
  }

  /** deviceId -> worst active alarm severity (for the topology map). */
  worstAlarmByDevice(): Map<number, string> {
    return new Map(this.stmts.worstAlarmByDevice.all().map((r) => [r.device_id, SEVERITIES[r.severity] ?? 'info']));
  }

  /**
   * Ports with an active linkDown alarm (reduction key `linkDown:<deviceId>:<ifIndex or ifName>`,
   * as the default rules build it): deviceId -> lower-case ifIndex/ifName values.
   */
  downPorts(): Map<number, Set<string>> {
    const out = new Map<number, Set<string>>();
    for (const { reduction_key } of this.stmts.linkDownKeys.all()) {
      const m = /^linkDown:(\d+):(.+)$/.exec(reduction_key);
      if (!m) continue;
      const id = Number(m[1]);
      if (!out.has(id)) out.set(id, new Set());
      out.get(id)!.add(m[2]!.toLowerCase());
    }
    return out;
  }

  deviceStates(): { up: number; down: number; unknown: number } {
    const out = { up: 0, down: 0, unknown: 0 };
    for (const r of this.stmts.deviceStates.all()) out[r.state as keyof typeof out] += r.n;
    return out;
  }
}
