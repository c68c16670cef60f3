import { rttPercentiles } from '../collectors/icmp/latency.js';
import type { LatencyCycle, LatencyPoint, LatencyResolution } from '../contracts/latency.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import { isPostgres } from './pg/pg-db.js';

const LOST = 0xffffffff;
const SIZE = { '5m': 300, '1h': 3600 } as const;
/** Rows of `rollup_state` (shared with the samples' rollups, under their own names). */
const STATE = { '5m': 'latency_5m', '1h': 'latency_1h' } as const;

/** Per-probe RTTs (ms) as little-endian uint32 microseconds, 0xFFFFFFFF = lost. */
export function encodeRtts(rtts: readonly (number | null)[]): Buffer {
  const b = Buffer.alloc(rtts.length * 4);
  rtts.forEach((v, i) => b.writeUInt32LE(v === null || !Number.isFinite(v) || v < 0 ? LOST : Math.min(LOST - 1, Math.round(v * 1000)), i * 4));
  return b;
}

export function decodeRtts(b: Uint8Array): (number | null)[] {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const out: (number | null)[] = [];
  for (let i = 0; i + 4 <= buf.length; i += 4) {
    const v = buf.readUInt32LE(i);
    out.push(v === LOST ? null : v / 1000);
  }
  return out;
}

interface Row {
  ts: number;
  sent: number;
  received: number;
  p0: number | null;
  p10: number | null;
  p25: number | null;
  p50: number | null;
  p75: number | null;
  p90: number | null;
  p95: number | null;
  p100: number | null;
  cycles?: number;
  rtts?: Uint8Array;
}

const PCOLS = 'p0, p10, p25, p50, p75, p90, p95, p100';
const PKEYS = ['p0', 'p10', 'p25', 'p50', 'p75', 'p90', 'p95', 'p100'] as const;
/** PostgreSQL: cycles per multi-row INSERT. */
const MULTI_ROW = 2_000;
/**
 * Rolls `from` rows into buckets of `size` seconds; re-running a bucket (late data) merges by weight.
 * p0/p100 merge as min/max ignoring NULL (SQLite's two-argument min/max do not exist on PostgreSQL, hence CASE).
 */
const rollupSql = (into: string, from: string, size: number, raw: boolean) => `
  INSERT INTO ${into} (device_id, ts, sent, received, ${PCOLS}, cycles, answered)
  SELECT device_id, (ts / ${size}) * ${size}, sum(sent), sum(received), min(p0),
         ${['p10', 'p25', 'p50', 'p75', 'p90', 'p95'].map((p) => (raw ? `avg(${p})` : `sum(${p} * answered) / nullif(sum(CASE WHEN ${p} IS NULL THEN 0 ELSE answered END), 0)`)).join(', ')},
         max(p100), ${raw ? 'count(*), count(p50)' : 'sum(cycles), sum(answered)'}
    FROM ${from} WHERE ts >= ? AND ts < ? GROUP BY device_id, ts / ${size}
  ON CONFLICT (device_id, ts) DO UPDATE SET
    sent = ${into}.sent + excluded.sent, received = ${into}.received + excluded.received,
    p0 = CASE WHEN ${into}.p0 IS NULL OR excluded.p0 < ${into}.p0 THEN excluded.p0 ELSE ${into}.p0 END,
    p100 = CASE WHEN ${into}.p100 IS NULL OR excluded.p100 > ${into}.p100 THEN excluded.p100 ELSE ${into}.p100 END,
    ${['p10', 'p25', 'p50', 'p75', 'p90', 'p95']
      .map((p) => `${p} = coalesce((${into}.${p} * ${into}.answered + excluded.${p} * excluded.answered) / nullif(${into}.answered + excluded.answered, 0), ${into}.${p}, excluded.${p})`)
      .join(', ')},
    cycles = ${into}.cycles + excluded.cycles, answered = ${into}.answered + excluded.answered`;

/** PostgreSQL: one statement for up to MULTI_ROW cycles (array literals unnested); devices that are gone are left out. */
const INSERT_MANY = `INSERT INTO latency_raw (device_id, ts, sent, received, ${PCOLS}, rtts)
         SELECT u.* FROM unnest(CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS bigint[]),
                                ${PKEYS.map(() => 'CAST(? AS double precision[])').join(', ')}, CAST(? AS bytea[]))
           AS u(device_id, ts, sent, received, ${PCOLS}, rtts)
          WHERE EXISTS (SELECT 1 FROM devices d WHERE d.id = u.device_id)
         ON CONFLICT (device_id, ts) DO UPDATE SET sent = excluded.sent, received = excluded.received,
           ${PCOLS.split(', ').map((p) => `${p} = excluded.${p}`).join(', ')}, rtts = excluded.rtts
         RETURNING device_id`;

/**
 * The latency distribution of every ICMP cycle (per-probe RTTs and their percentiles), rolled up into
 * 5-minute and 1-hour buckets and pruned like the samples (SampleMaintenance drives both).
 */
export class LatencyRepository {
  private readonly stmts;
  /** PostgreSQL only (prepared on first use: SQLite cannot parse it). */
  private insertManyStmt: Statement<string[], { device_id: number }> | undefined;

  constructor(private readonly db: Db) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO latency_raw (device_id, ts, sent, received, ${PCOLS}, rtts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id, ts) DO UPDATE SET sent = excluded.sent, received = excluded.received,
           ${PCOLS.split(', ').map((p) => `${p} = excluded.${p}`).join(', ')}, rtts = excluded.rtts`,
      ),
      raw: db.prepare<[number, number, number], Row>(`SELECT ts, sent, received, ${PCOLS}, rtts FROM latency_raw WHERE device_id = ? AND ts >= ? AND ts <= ? ORDER BY ts`),
      r5m: db.prepare<[number, number, number], Row>(`SELECT ts, sent, received, ${PCOLS}, cycles FROM latency_5m WHERE device_id = ? AND ts >= ? AND ts <= ? ORDER BY ts`),
      r1h: db.prepare<[number, number, number], Row>(`SELECT ts, sent, received, ${PCOLS}, cycles FROM latency_1h WHERE device_id = ? AND ts >= ? AND ts <= ? ORDER BY ts`),
      rollup5m: db.prepare<[number, number]>(rollupSql('latency_5m', 'latency_raw', 300, true)),
      rollup1h: db.prepare<[number, number]>(rollupSql('latency_1h', 'latency_5m', 3600, false)),
      doneUntil: db.prepare<[string], { done_until: number }>('SELECT done_until FROM rollup_state WHERE resolution = ?'),
      setDone: db.prepare<[string, number]>('INSERT INTO rollup_state (resolution, done_until) VALUES (?, ?) ON CONFLICT (resolution) DO UPDATE SET done_until = excluded.done_until'),
      minRawTs: db.prepare<[], { ts: number | null }>('SELECT min(ts) AS ts FROM latency_raw'),
      min5mTs: db.prepare<[], { ts: number | null }>('SELECT min(ts) AS ts FROM latency_5m'),
      deviceIds: db.prepare<[], { id: number }>('SELECT id FROM devices ORDER BY id'),
      deviceExists: db.prepare<[number], { id: number }>('SELECT id FROM devices WHERE id = ?'),
      del: {
        raw: db.prepare<[number, number]>('DELETE FROM latency_raw WHERE device_id = ? AND ts < ?'),
        '5m': db.prepare<[number, number]>('DELETE FROM latency_5m WHERE device_id = ? AND ts < ?'),
        '1h': db.prepare<[number, number]>('DELETE FROM latency_1h WHERE device_id = ? AND ts < ?'),
      },
    };
  }

  /** One transaction for the batch; a cycle of a device that is gone (deleted meanwhile) is skipped. */
  write(cycles: readonly LatencyCycle[]): number {
    if (isPostgres(this.db)) return this.db.transaction(() => this.writeMultiRow(cycles)).immediate();
    let n = 0;
    this.db.transaction(() => {
      for (const c of cycles) {
        if (!this.stmts.deviceExists.get(c.deviceId)) continue;
        const p = rttPercentiles(c.rtts);
        this.stmts.insert.run(c.deviceId, Math.floor(c.ts), c.sent, c.received, p.p0, p.p10, p.p25, p.p50, p.p75, p.p90, p.p95, p.p100, encodeRtts(c.rtts));
        n++;
      }
    }).immediate();
    return n;
  }

  /**
   * PostgreSQL: the batch in multi-row statements (one round trip each instead of two per cycle), as
   * array literals unnested; devices that are gone are left out by the statement itself. A later cycle of
   * the same (device, second) replaces an earlier one, as the row-by-row upsert does.
   */
  private writeMultiRow(cycles: readonly LatencyCycle[]): number {
    const last = new Map<string, { c: LatencyCycle; ts: number }>();
    for (const c of cycles) {
      const ts = Math.floor(c.ts);
      const key = `${c.deviceId}:${ts}`;
      last.delete(key);
      last.set(key, { c, ts });
    }
    const rows = [...last.values()];
    const written = new Set<number>();
    for (let i = 0; i < rows.length; i += MULTI_ROW) {
      const chunk = rows.slice(i, i + MULTI_ROW).map(({ c, ts }) => ({ c, ts, p: rttPercentiles(c.rtts) }));
      const num = (v: number | null) => (v === null ? 'NULL' : String(v));
      const arr = (f: (r: (typeof chunk)[number]) => string) => `{${chunk.map(f).join(',')}}`;
      const args = [
        arr((r) => String(r.c.deviceId)), arr((r) => String(r.ts)), arr((r) => String(r.c.sent)), arr((r) => String(r.c.received)),
        ...PKEYS.map((k) => arr((r) => num(r.p[k]))),
        // bytea elements in hex form, quoted: "\\x0a0b…" in the array literal.
        arr((r) => `"\\\\x${encodeRtts(r.c.rtts).toString('hex')}"`),
      ];
      this.insertManyStmt ??= this.db.prepare(INSERT_MANY);
      for (const r of this.insertManyStmt.all(...args)) written.add(r.device_id);
    }
    // Counted as the row-by-row path counts: every cycle of a device that is still there.
    return cycles.filter((c) => written.has(c.deviceId)).length;
  }

  /** Cycles (raw) or buckets of one device between `from` and `to` (seconds, inclusive), oldest first. */
  points(deviceId: number, from: number, to: number, resolution: LatencyResolution): LatencyPoint[] {
    const rows = (resolution === 'raw' ? this.stmts.raw : resolution === '5m' ? this.stmts.r5m : this.stmts.r1h).all(deviceId, from, to);
    return rows.map((r) => {
      const { rtts, cycles, ts, ...rest } = r;
      const point: LatencyPoint = { ...rest, ts: ts * 1000, lossPct: r.sent > 0 ? Math.round(((r.sent - r.received) / r.sent) * 100_000) / 1000 : 100, cycles: cycles ?? 1 };
      if (rtts) point.rtts = decodeRtts(rtts);
      return point;
    });
  }

  /** Rolls complete buckets up to `now` (one chunk per call, short write locks). True when more is left. Like SampleRepository.rollupStep. */
  rollupStep(resolution: '5m' | '1h', nowSec: number, chunkSec = 3600): boolean {
    const size = SIZE[resolution];
    let end = Math.floor(nowSec / size) * size;
    if (resolution === '1h') end = Math.min(end, Math.floor((this.stmts.doneUntil.get(STATE['5m'])?.done_until ?? 0) / size) * size);
    let done = this.stmts.doneUntil.get(STATE[resolution])?.done_until;
    if (done === undefined) {
      const first = (resolution === '5m' ? this.stmts.minRawTs : this.stmts.min5mTs).get()!.ts;
      if (first === null) return false;
      done = Math.floor(first / size) * size;
    }
    if (done >= end) return false;
    const until = Math.min(end, done + Math.max(size, Math.floor(chunkSec / size) * size));
    this.db.transaction(() => {
      (resolution === '5m' ? this.stmts.rollup5m : this.stmts.rollup1h).run(done!, until);
      this.stmts.setDone.run(STATE[resolution], until);
    }).immediate();
    return until < end;
  }

  deviceIds(): number[] {
    return this.stmts.deviceIds.all().map((r) => r.id);
  }

  /** Removes one device's rows older than `cutoffSec` from one resolution (a range delete on the key). */
  deleteOlderThan(resolution: LatencyResolution, deviceId: number, cutoffSec: number): number {
    return this.stmts.del[resolution].run(deviceId, cutoffSec).changes;
  }
}
