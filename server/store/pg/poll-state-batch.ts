import type { Db } from '../database.js';

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

/** One array per column, in INTERFACE_COLUMNS order without device_id and updated_at. */
export type InterfaceColumns = [
  ifIndex: number[], name: string[], descr: (string | null)[], alias: (string | null)[], type: (number | null)[], speedBps: (number | null)[],
  mac: (string | null)[], adminStatus: (number | null)[], operStatus: (number | null)[], inBps: (number | null)[], outBps: (number | null)[],
  inErrorsPs: (number | null)[], outErrorsPs: (number | null)[], inDiscardsPs: (number | null)[], outDiscardsPs: (number | null)[],
  inUtilPct: (number | null)[], outUtilPct: (number | null)[], hcCounters: number[],
];

/** Neighbour key and values, in table order without device_id and updated_at. */
export type NeighbourColumns = [protocol: string[], localPort: string[], remoteChassis: string[], remotePort: string[], remotePortDesc: (string | null)[], remoteSysName: (string | null)[], remoteMgmtAddr: (string | null)[]];

export type IcmpColumns = [deviceId: number[], icmpState: string[], min: (number | null)[], avg: (number | null)[], max: (number | null)[], jitter: (number | null)[], lossPct: number[], at: number[]];

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

  interfaces(deviceId: number, now: number, cols: InterfaceColumns): void {
    for (const part of slices(cols)) this.upsertIfaces.run([deviceId, now, ...part]);
  }

  neighbours(deviceId: number, now: number, cols: NeighbourColumns): void {
    for (const part of slices(cols)) this.insertNeighbours.run([deviceId, now, ...part]);
  }

  icmpResults(cols: IcmpColumns): void {
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
export function lastPerKey<R>(rows: readonly R[], key: (r: R) => string): R[] {
  const byKey = new Map<string, R>();
  for (const r of rows) byKey.set(key(r), r);
  return byKey.size === rows.length ? (rows as R[]) : [...byKey.values()];
}
