import type { Db } from '../database.js';
import type { IcmpUpdate, InterfaceWrite, NeighbourWrite } from '../poll-state.repository.js';

/**
 * PostgreSQL: the poll state's many-row writes (a device's interfaces, its neighbours, one ICMP sweep's
 * results) as a few multi-row statements instead of one statement per row. Each statement is a blocking
 * round trip to the connection thread (PgDb), so a sweep of 1,000 devices was 2,000 round trips on the
 * main thread; it is now 2. Rows go as arrays (node-postgres writes and escapes the array literals)
 * unnested into the table, MAX_ROWS per statement.
 *
 * One statement cannot update a row twice (ON CONFLICT DO UPDATE refuses it, UPDATE ... FROM would pick
 * one at random), while SQLite's one statement per row lets a later row win. Callers pass rows with
 * duplicate keys as a hostile agent may send them (two interfaces of one name): `lastPerKey` keeps the
 * last of each key at the place of the first, which is what the rows one by one leave behind.
 */
const MAX_ROWS = 1000;

const INTERFACE_COLUMNS = `device_id, if_index, name, descr, alias, type, speed_bps, mac, admin_status, oper_status, in_bps, out_bps,
  in_errors_ps, out_errors_ps, in_discards_ps, out_discards_ps, in_util_pct, out_util_pct, hc_counters, updated_at`;

/** An interface row as the repository stores it (text already made safe for PostgreSQL, hcCounters 0/1). */
export type InterfaceRow = Omit<InterfaceWrite, 'hcCounters'> & { hcCounters: number };
export type NeighbourRow = NeighbourWrite;
export type IcmpRow = { deviceId: number; update: IcmpUpdate };

/** Column arrays of `rows`, one per field, in the statement's order. */
const columns = <R>(rows: readonly R[], fields: readonly ((r: R) => unknown)[]): unknown[][] => fields.map((f) => rows.map(f));

const INTERFACE_FIELDS: ((r: InterfaceRow) => unknown)[] = [
  (r) => r.ifIndex, (r) => r.name, (r) => r.descr, (r) => r.alias, (r) => r.type, (r) => r.speedBps, (r) => r.mac, (r) => r.adminStatus,
  (r) => r.operStatus, (r) => r.inBps, (r) => r.outBps, (r) => r.inErrorsPs, (r) => r.outErrorsPs, (r) => r.inDiscardsPs, (r) => r.outDiscardsPs,
  (r) => r.inUtilPct, (r) => r.outUtilPct, (r) => r.hcCounters,
];
const NEIGHBOUR_FIELDS: ((r: NeighbourRow) => unknown)[] = [
  (r) => r.protocol, (r) => r.localPort, (r) => r.remoteChassis, (r) => r.remotePort, (r) => r.remotePortDesc, (r) => r.remoteSysName, (r) => r.remoteMgmtAddr,
];
const ICMP_FIELDS: ((r: IcmpRow) => unknown)[] = [
  (r) => r.deviceId, (r) => r.update.icmpState, (r) => r.update.min, (r) => r.update.avg, (r) => r.update.max, (r) => r.update.jitter, (r) => r.update.lossPct, (r) => r.update.at,
];

/** PgDb spreads an array argument into positional values (as better-sqlite3 does): the values go as one array, so each column's array stays one value. */
type Stmt = { run(params: unknown[]): unknown };

export class PgPollStateBatch {
  private readonly upsertIfaces: Stmt;
  private readonly insertNeighbours: Stmt;
  private readonly ensureStatus: Stmt;
  private readonly icmp: Stmt;

  constructor(db: Db) {
    const prep = (sql: string) => db.prepare(sql) as unknown as Stmt;
    this.upsertIfaces = prep(
      `INSERT INTO interfaces (${INTERFACE_COLUMNS})
       SELECT CAST(? AS bigint), x.*, CAST(? AS bigint) FROM unnest(
         CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS text[]),
         CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS double precision[]), CAST(? AS double precision[]), CAST(? AS double precision[]),
         CAST(? AS double precision[]), CAST(? AS double precision[]), CAST(? AS double precision[]), CAST(? AS double precision[]),
         CAST(? AS double precision[]), CAST(? AS bigint[])) AS x
       ON CONFLICT (device_id, name) DO UPDATE SET if_index = excluded.if_index, descr = excluded.descr, alias = excluded.alias,
         type = excluded.type, speed_bps = excluded.speed_bps, mac = excluded.mac, admin_status = excluded.admin_status,
         oper_status = excluded.oper_status, in_bps = excluded.in_bps, out_bps = excluded.out_bps, in_errors_ps = excluded.in_errors_ps,
         out_errors_ps = excluded.out_errors_ps, in_discards_ps = excluded.in_discards_ps, out_discards_ps = excluded.out_discards_ps,
         in_util_pct = excluded.in_util_pct, out_util_pct = excluded.out_util_pct, hc_counters = excluded.hc_counters, updated_at = excluded.updated_at`,
    );
    this.insertNeighbours = prep(
      `INSERT INTO neighbours (device_id, protocol, local_port, remote_chassis, remote_port, remote_port_desc, remote_sys_name, remote_mgmt_addr, updated_at)
       SELECT CAST(? AS bigint), x.*, CAST(? AS bigint) FROM unnest(
         CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[])) AS x
       ON CONFLICT (device_id, protocol, local_port, remote_chassis, remote_port) DO UPDATE SET remote_port_desc = excluded.remote_port_desc,
         remote_sys_name = excluded.remote_sys_name, remote_mgmt_addr = excluded.remote_mgmt_addr, updated_at = excluded.updated_at`,
    );
    this.ensureStatus = prep(
      `INSERT INTO device_status (device_id, updated_at) SELECT * FROM unnest(CAST(? AS bigint[]), CAST(? AS bigint[]))
       ON CONFLICT (device_id) DO NOTHING`,
    );
    this.icmp = prep(
      `UPDATE device_status AS d SET icmp_state = x.s, rtt_min_ms = x.mn, rtt_avg_ms = x.av, rtt_max_ms = x.mx, jitter_ms = x.j,
              loss_pct = x.l, last_icmp_at = x.t, updated_at = x.t
       FROM unnest(CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS double precision[]), CAST(? AS double precision[]),
                   CAST(? AS double precision[]), CAST(? AS double precision[]), CAST(? AS double precision[]), CAST(? AS bigint[]))
            AS x(id, s, mn, av, mx, j, l, t)
       WHERE d.device_id = x.id`,
    );
  }

  /** Upserts a device's interfaces by name (the last of a duplicate name wins). */
  interfaces(deviceId: number, now: number, rows: readonly InterfaceRow[]): void {
    const cols = columns(lastPerKey(rows, (r) => r.name), INTERFACE_FIELDS);
    for (const part of slices(cols)) this.upsertIfaces.run([deviceId, now, ...part]);
  }

  /** Inserts a device's neighbours (the last of a duplicate key wins). */
  neighbours(deviceId: number, now: number, rows: readonly NeighbourRow[]): void {
    const cols = columns(lastPerKey(rows, (n) => JSON.stringify([n.protocol, n.localPort, n.remoteChassis, n.remotePort])), NEIGHBOUR_FIELDS);
    for (const part of slices(cols)) this.insertNeighbours.run([deviceId, now, ...part]);
  }

  /** One sweep's results (the last of a duplicate device wins). */
  icmpResults(rows: readonly IcmpRow[]): void {
    const cols = columns(lastPerKey(rows, (r) => String(r.deviceId)), ICMP_FIELDS);
    for (const part of slices(cols)) {
      this.ensureStatus.run([part[0], part[7]]);
      this.icmp.run([...part]);
    }
  }
}

/** The columns cut into statements of at most MAX_ROWS rows. */
function* slices<T extends unknown[][]>(cols: T): Generator<T> {
  const n = cols[0]?.length ?? 0;
  for (let i = 0; i < n; i += MAX_ROWS) yield cols.map((c) => c.slice(i, i + MAX_ROWS)) as T;
}

/** The last row of each key, at the place of the key's first row (what writing the rows one by one leaves). */
function lastPerKey<R>(rows: readonly R[], key: (r: R) => string): R[] {
  const byKey = new Map<string, R>();
  for (const r of rows) byKey.set(key(r), r);
  return byKey.size === rows.length ? (rows as R[]) : [...byKey.values()];
}
