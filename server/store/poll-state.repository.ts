import type { Db } from './database.js';
import { keyForDb, textForDb } from './key-text.js';
import { isPostgres } from './pg/pg-db.js';
import { PgPollStateBatch } from './pg/poll-state-batch.js';
import type { DeviceStatusDto, InterfaceDto, NeighbourDto, ReachState, SnmpState } from '../contracts/poll-state.js';

interface StatusRow {
  device_id: number;
  icmp_state: ReachState;
  snmp_state: SnmpState;
  last_poll_at: number | null;
  last_poll_ms: number | null;
  last_error: string | null;
  last_error_kind: string | null;
  rtt_min_ms: number | null;
  rtt_avg_ms: number | null;
  rtt_max_ms: number | null;
  loss_pct: number | null;
  jitter_ms: number | null;
  last_icmp_at: number | null;
  sys_name: string | null;
  sys_descr: string | null;
  sys_object_id: string | null;
  vendor: string | null;
  sys_uptime_cs: number | null;
  sys_contact: string | null;
  sys_location: string | null;
  updated_at: number;
}

const toStatus = (r: StatusRow): DeviceStatusDto => ({
  deviceId: r.device_id,
  icmpState: r.icmp_state,
  snmpState: r.snmp_state,
  lastPollAt: r.last_poll_at,
  lastPollMs: r.last_poll_ms,
  lastError: r.last_error,
  lastErrorKind: r.last_error_kind,
  rtt: { min: r.rtt_min_ms, avg: r.rtt_avg_ms, max: r.rtt_max_ms, jitter: r.jitter_ms, lossPct: r.loss_pct, at: r.last_icmp_at },
  system: {
    sysName: r.sys_name,
    sysDescr: r.sys_descr,
    sysObjectID: r.sys_object_id,
    vendor: r.vendor,
    sysUpTimeCs: r.sys_uptime_cs,
    sysContact: r.sys_contact,
    sysLocation: r.sys_location,
  },
  updatedAt: r.updated_at,
});

export interface SnmpPollUpdate {
  snmpState: SnmpState;
  at: number;
  durationMs: number;
  error: string | null;
  errorKind: string | null;
  system?: DeviceStatusDto['system'];
}

export interface IcmpUpdate {
  icmpState: ReachState;
  at: number;
  min: number | null;
  avg: number | null;
  max: number | null;
  jitter: number | null;
  lossPct: number;
}

export type InterfaceWrite = Omit<InterfaceDto, 'id' | 'deviceId' | 'updatedAt'>;
export type NeighbourWrite = Omit<NeighbourDto, 'deviceId' | 'updatedAt'>;

/** Device status, interfaces and neighbours: the poller's latest view of each device. */
export class PollStateRepository {
  private readonly stmts;
  private readonly text: ReturnType<typeof textForDb>;
  /** Text in unique keys (interface name; the neighbour key's ports): see keyForDb. */
  private readonly ifKey: ReturnType<typeof keyForDb>;
  private readonly portKey: ReturnType<typeof keyForDb>;
  /** PostgreSQL: the many-row writes as multi-row statements (one round trip per statement there). */
  private readonly pg: PgPollStateBatch | null;

  constructor(private readonly db: Db) {
    this.text = textForDb(db);
    this.ifKey = keyForDb(db, 2000);
    this.portKey = keyForDb(db, 800);
    this.pg = isPostgres(db) ? new PgPollStateBatch(db) : null;
    this.stmts = {
      ensure: db.prepare<[number, number]>('INSERT INTO device_status (device_id, updated_at) VALUES (?, ?) ON CONFLICT (device_id) DO NOTHING'),
      snmp: db.prepare(
        `UPDATE device_status SET snmp_state = @snmpState, last_poll_at = @at, last_poll_ms = @durationMs, last_error = @error,
                last_error_kind = @errorKind, updated_at = @at WHERE device_id = @deviceId`,
      ),
      system: db.prepare(
        `UPDATE device_status SET sys_name = @sysName, sys_descr = @sysDescr, sys_object_id = @sysObjectID, vendor = @vendor,
                sys_uptime_cs = @sysUpTimeCs, sys_contact = @sysContact, sys_location = @sysLocation WHERE device_id = @deviceId`,
      ),
      icmp: db.prepare(
        `UPDATE device_status SET icmp_state = @icmpState, rtt_min_ms = @min, rtt_avg_ms = @avg, rtt_max_ms = @max, jitter_ms = @jitter,
                loss_pct = @lossPct, last_icmp_at = @at, updated_at = @at WHERE device_id = @deviceId`,
      ),
      get: db.prepare<[number], StatusRow>('SELECT * FROM device_status WHERE device_id = ?'),
      all: db.prepare<[], StatusRow>('SELECT * FROM device_status'),
      sysNames: db.prepare<[], { id: number; sysName: string }>(`SELECT device_id AS id, sys_name AS "sysName" FROM device_status WHERE sys_name IS NOT NULL AND sys_name <> '' ORDER BY device_id`),
      ifaces: db.prepare<[number], Record<string, unknown>>('SELECT * FROM interfaces WHERE device_id = ? ORDER BY if_index, id'),
      upsertIface: db.prepare(
        `INSERT INTO interfaces (device_id, if_index, name, descr, alias, type, speed_bps, mac, admin_status, oper_status, in_bps, out_bps,
                                 in_errors_ps, out_errors_ps, in_discards_ps, out_discards_ps, in_util_pct, out_util_pct, hc_counters, updated_at)
         VALUES (@deviceId, @ifIndex, @name, @descr, @alias, @type, @speedBps, @mac, @adminStatus, @operStatus, @inBps, @outBps,
                 @inErrorsPs, @outErrorsPs, @inDiscardsPs, @outDiscardsPs, @inUtilPct, @outUtilPct, @hcCounters, @now)
         ON CONFLICT (device_id, name) DO UPDATE SET if_index = excluded.if_index, descr = excluded.descr, alias = excluded.alias,
           type = excluded.type, speed_bps = excluded.speed_bps, mac = excluded.mac, admin_status = excluded.admin_status,
           oper_status = excluded.oper_status, in_bps = excluded.in_bps, out_bps = excluded.out_bps, in_errors_ps = excluded.in_errors_ps,
           out_errors_ps = excluded.out_errors_ps, in_discards_ps = excluded.in_discards_ps, out_discards_ps = excluded.out_discards_ps,
           in_util_pct = excluded.in_util_pct, out_util_pct = excluded.out_util_pct, hc_counters = excluded.hc_counters, updated_at = excluded.updated_at`,
      ),
      deleteStaleIfaces: db.prepare<[number, number]>('DELETE FROM interfaces WHERE device_id = ? AND updated_at < ?'),
      neighbours: db.prepare<[number], Record<string, unknown>>('SELECT * FROM neighbours WHERE device_id = ? ORDER BY local_port, protocol, remote_chassis, remote_port'),
      allNeighbours: db.prepare<[], Record<string, unknown>>('SELECT * FROM neighbours ORDER BY device_id, protocol, local_port, remote_chassis, remote_port'),
      deleteNeighbours: db.prepare<[number]>('DELETE FROM neighbours WHERE device_id = ?'),
      insertNeighbour: db.prepare(
        `INSERT INTO neighbours (device_id, protocol, local_port, remote_chassis, remote_port, remote_port_desc, remote_sys_name,
                                 remote_mgmt_addr, updated_at)
         VALUES (@deviceId, @protocol, @localPort, @remoteChassis, @remotePort, @remotePortDesc, @remoteSysName, @remoteMgmtAddr, @now)
         ON CONFLICT (device_id, protocol, local_port, remote_chassis, remote_port) DO UPDATE SET remote_port_desc = excluded.remote_port_desc,
           remote_sys_name = excluded.remote_sys_name, remote_mgmt_addr = excluded.remote_mgmt_addr, updated_at = excluded.updated_at`,
      ),
    };
  }

  status(deviceId: number): DeviceStatusDto | undefined {
    const r = this.stmts.get.get(deviceId);
    return r && toStatus(r);
  }

  allStatus(): Map<number, DeviceStatusDto> {
    return new Map(this.stmts.all.all().map((r) => [r.device_id, toStatus(r)]));
  }

  /** sysName of every device that reported one (alert labels are matched against it). */
  sysNames(): { id: number; sysName: string }[] {
    return this.stmts.sysNames.all();
  }

  recordSnmp(deviceId: number, u: SnmpPollUpdate): void {
    this.db.transaction(() => {
      this.stmts.ensure.run(deviceId, u.at);
      const t = this.text;
      this.stmts.snmp.run({ deviceId, ...u, error: t(u.error), errorKind: t(u.errorKind) });
      const s = u.system;
      if (s) {
        this.stmts.system.run({
          deviceId, ...s, sysName: t(s.sysName), sysDescr: t(s.sysDescr), sysObjectID: t(s.sysObjectID), vendor: t(s.vendor),
          sysContact: t(s.sysContact), sysLocation: t(s.sysLocation),
        });
      }
    }).immediate();
  }

  recordIcmp(results: { deviceId: number; update: IcmpUpdate }[]): void {
    this.db.transaction(() => {
      if (this.pg) {
        this.pg.icmpResults(results);
        return;
      }
      for (const { deviceId, update } of results) {
        this.stmts.ensure.run(deviceId, update.at);
        this.stmts.icmp.run({ deviceId, ...update });
      }
    }).immediate();
  }

  interfaces(deviceId: number): InterfaceDto[] {
    return this.stmts.ifaces.all(deviceId).map((r) => ({
      id: r.id as number,
      deviceId: r.device_id as number,
      ifIndex: r.if_index as number,
      name: r.name as string,
      descr: r.descr as string | null,
      alias: r.alias as string | null,
      type: r.type as number | null,
      speedBps: r.speed_bps as number | null,
      mac: r.mac as string | null,
      adminStatus: r.admin_status as number | null,
      operStatus: r.oper_status as number | null,
      inBps: r.in_bps as number | null,
      outBps: r.out_bps as number | null,
      inErrorsPs: r.in_errors_ps as number | null,
      outErrorsPs: r.out_errors_ps as number | null,
      inDiscardsPs: r.in_discards_ps as number | null,
      outDiscardsPs: r.out_discards_ps as number | null,
      inUtilPct: r.in_util_pct as number | null,
      outUtilPct: r.out_util_pct as number | null,
      hcCounters: r.hc_counters === 1,
      updatedAt: r.updated_at as number,
    }));
  }

  /** Replaces the device's interface set: upsert by name, remove interfaces no longer present. */
  replaceInterfaces(deviceId: number, ifaces: InterfaceWrite[], now: number): void {
    this.db.transaction(() => {
      const t = this.text;
      const rows = ifaces.map((i) => ({ ...i, name: this.ifKey(i.name), descr: t(i.descr), alias: t(i.alias), mac: t(i.mac), hcCounters: i.hcCounters ? 1 : 0 }));
      if (this.pg) {
        this.pg.interfaces(deviceId, now, rows);
      } else {
        for (const r of rows) this.stmts.upsertIface.run({ deviceId, now, ...r });
      }
      this.stmts.deleteStaleIfaces.run(deviceId, now);
    }).immediate();
  }

  neighbours(deviceId?: number): NeighbourDto[] {
    const rows = deviceId === undefined ? this.stmts.allNeighbours.all() : this.stmts.neighbours.all(deviceId);
    return rows.map((r) => ({
      deviceId: r.device_id as number,
      protocol: r.protocol as 'lldp' | 'cdp',
      localPort: r.local_port as string,
      remoteChassis: r.remote_chassis as string,
      remotePort: r.remote_port as string,
      remotePortDesc: r.remote_port_desc as string | null,
      remoteSysName: r.remote_sys_name as string | null,
      remoteMgmtAddr: r.remote_mgmt_addr as string | null,
      updatedAt: r.updated_at as number,
    }));
  }

  replaceNeighbours(deviceId: number, rows: NeighbourWrite[], now: number): void {
    this.db.transaction(() => {
      this.stmts.deleteNeighbours.run(deviceId);
      const t = this.text;
      const out = rows.map((n) => ({
        ...n, localPort: this.portKey(n.localPort), remoteChassis: this.portKey(n.remoteChassis), remotePort: this.portKey(n.remotePort),
        remotePortDesc: t(n.remotePortDesc), remoteSysName: t(n.remoteSysName), remoteMgmtAddr: t(n.remoteMgmtAddr),
      }));
      if (this.pg) {
        this.pg.neighbours(deviceId, now, out);
      } else {
        for (const n of out) this.stmts.insertNeighbour.run({ deviceId, now, ...n });
      }
    }).immediate();
  }
}
