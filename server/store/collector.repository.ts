import type { CollectorDto } from '../contracts/collectors.js';
import type { Db } from './database.js';
import { textOrder } from './sql-portable.js';

interface Row {
  id: string;
  site: string;
  version: string;
  hostname: string;
  address: string | null;
  started_at: number;
  first_seen: number;
  last_seen: number;
  lag_ms: number;
  counters: string;
  spool_records: number;
  spool_bytes: number;
  state: 'up' | 'down';
  public_key: string | null;
}

/** A heartbeat as the registry stores it (counters already checked and flat). */
export interface CollectorWrite {
  id: string;
  site: string;
  version: string;
  hostname: string;
  address: string | null;
  startedAt: number;
  lastSeen: number;
  lagMs: number;
  /** Built from a null-prototype object or a Map: serialised as it is. */
  counters: ReadonlyMap<string, number>;
  spoolRecords: number;
  spoolBytes: number;
  /** X25519 public key (base64) the heartbeat carried; null keeps the stored one. */
  publicKey: string | null;
}

/** Counters JSON -> a null-prototype record (keys came from the wire once: they never meet Object.prototype). */
function parseCounters(json: string): Record<string, number> {
  const out = Object.create(null) as Record<string, number>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    }
  } catch {
    // A damaged cell shows as no counters; the next heartbeat rewrites it.
  }
  return out;
}

function toDto(r: Row): CollectorDto {
  return {
    id: r.id,
    site: r.site,
    version: r.version,
    hostname: r.hostname,
    address: r.address,
    startedAt: r.started_at,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    lagMs: r.lag_ms,
    counters: parseCounters(r.counters),
    spoolRecords: r.spool_records,
    spoolBytes: r.spool_bytes,
    state: r.state,
    publicKey: r.public_key,
  };
}

/** JSON of a counter map; `JSON.stringify` of a Map is `{}`, so entries are written one by one. */
function countersJson(counters: ReadonlyMap<string, number>): string {
  const obj = Object.create(null) as Record<string, number>;
  for (const [k, v] of counters) obj[k] = v;
  return JSON.stringify(obj);
}

/** The collectors table: one row per collector id, written once per heartbeat. */
export class CollectorRepository {
  private readonly stmts;

  constructor(db: Db) {
    const cols = 'id, site, version, hostname, address, started_at, first_seen, last_seen, lag_ms, counters, spool_records, spool_bytes, state, public_key';
    this.stmts = {
      list: db.prepare<[], Row>(`SELECT ${cols} FROM collectors ORDER BY site${textOrder(db)}, hostname${textOrder(db)}, id${textOrder(db)}`),
      get: db.prepare<[string], Row>(`SELECT ${cols} FROM collectors WHERE id = ?`),
      upsert: db.prepare<unknown[], Row>(
        `INSERT INTO collectors (${cols})
         VALUES (@id, @site, @version, @hostname, @address, @startedAt, @lastSeen, @lastSeen, @lagMs, @counters, @spoolRecords, @spoolBytes, 'up', @publicKey)
         ON CONFLICT (id) DO UPDATE SET site = excluded.site, version = excluded.version, hostname = excluded.hostname,
           address = excluded.address, started_at = excluded.started_at, last_seen = excluded.last_seen, lag_ms = excluded.lag_ms,
           counters = excluded.counters, spool_records = excluded.spool_records, spool_bytes = excluded.spool_bytes, state = 'up',
           public_key = COALESCE(excluded.public_key, collectors.public_key)
         RETURNING ${cols}`,
      ),
      setState: db.prepare<[string, string]>('UPDATE collectors SET state = ? WHERE id = ?'),
      delete: db.prepare<[string]>('DELETE FROM collectors WHERE id = ?'),
      sites: db.prepare<[], { site: string }>(`SELECT site FROM collectors GROUP BY site ORDER BY site${textOrder(db)}`),
    };
  }

  list(): CollectorDto[] {
    return this.stmts.list.all().map(toDto);
  }

  get(id: string): CollectorDto | undefined {
    const r = this.stmts.get.get(id);
    return r && toDto(r);
  }

  /** Insert or refresh from a heartbeat; the collector is `up` afterwards. Returns the stored row. */
  upsert(w: CollectorWrite): CollectorDto {
    const { counters, ...rest } = w;
    return toDto(this.stmts.upsert.get({ ...rest, counters: countersJson(counters) })!);
  }

  setState(id: string, state: 'up' | 'down'): boolean {
    return this.stmts.setState.run(state, id).changes > 0;
  }

  delete(id: string): boolean {
    return this.stmts.delete.run(id).changes > 0;
  }

  /** Sites that have registered collectors. */
  sites(): string[] {
    return this.stmts.sites.all().map((r) => r.site);
  }
}
