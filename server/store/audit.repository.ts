import type { AuditEntryDto, AuditListDto } from '../contracts/audit.js';
import type { Db } from './database.js';
import { nullableTextFor } from './pg/pg-text.js';
import { textOrder } from './sql-portable.js';

/** What the API records; `before`/`after`/`details` must already be redacted. */
export type AuditWrite = Omit<AuditEntryDto, 'id'>;

export interface AuditQuery {
  username?: string;
  objectType?: string;
  objectId?: string;
  /** An action (`alarm.ack`) or an object's actions (`alarm`). */
  action?: string;
  outcome?: AuditEntryDto['outcome'];
  from?: number;
  to?: number;
  /** Cursor: only ids below this (newest first). */
  beforeId?: number;
  limit: number;
}

interface Row {
  id: number;
  at: number;
  user_id: number | null;
  username: string | null;
  role: string | null;
  source_address: string | null;
  action: string;
  object_type: string;
  object_id: string | null;
  object_name: string | null;
  method: string | null;
  path: string | null;
  status: number;
  outcome: AuditEntryDto['outcome'];
  before_json: string | null;
  after_json: string | null;
  details_json: string | null;
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)));
const parse = (s: string | null): unknown => (s === null ? null : JSON.parse(s));

function toDto(r: Row): AuditEntryDto {
  return {
    id: r.id,
    at: r.at,
    userId: r.user_id,
    username: r.username,
    role: r.role,
    sourceAddress: r.source_address,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    objectName: r.object_name,
    method: r.method,
    path: r.path,
    status: r.status,
    outcome: r.outcome,
    before: parse(r.before_json),
    after: parse(r.after_json),
    details: parse(r.details_json),
  };
}

/** The audit log: append-only for the API, trimmed by age in small batches. */
export class AuditRepository {
  private readonly s;
  private readonly text;

  constructor(private readonly db: Db) {
    this.text = nullableTextFor(db);
    this.s = {
      insert: db.prepare<unknown[], { id: number }>(
        `INSERT INTO audit_log (at, user_id, username, role, source_address, action, object_type, object_id, object_name, method, path, status, outcome, before_json, after_json, details_json)
         VALUES (@at, @userId, @username, @role, @sourceAddress, @action, @objectType, @objectId, @objectName, @method, @path, @status, @outcome, @before, @after, @details)
         RETURNING id`,
      ),
      get: db.prepare<[number], Row>('SELECT * FROM audit_log WHERE id = ?'),
      deleteOlder: db.prepare<[number, number]>('DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? ORDER BY at LIMIT ?)'),
      objectTypes: db.prepare<[], { object_type: string }>(`SELECT object_type FROM audit_log GROUP BY object_type ORDER BY object_type${textOrder(db)}`),
    };
  }

  /**
   * On PostgreSQL a NUL in a text field (a failed login names what the client
   * typed) is stored as U+FFFD; the JSON fields escape it and keep it.
   */
  record(e: AuditWrite): number {
    const t = this.text;
    return this.s.insert.get({
      ...e,
      username: t(e.username),
      role: t(e.role),
      sourceAddress: t(e.sourceAddress),
      action: t(e.action),
      objectType: t(e.objectType),
      objectId: t(e.objectId ?? null),
      objectName: t(e.objectName),
      method: t(e.method),
      path: t(e.path),
      before: json(e.before),
      after: json(e.after),
      details: json(e.details),
    })!.id;
  }

  get(id: number): AuditEntryDto | undefined {
    const r = this.s.get.get(id);
    return r && toDto(r);
  }

  /** Newest first; every filter is answered from an index (time, object, user). */
  list(q: AuditQuery): AuditListDto {
    // A NUL was stored as U+FFFD on PostgreSQL: look for that, as the event search does.
    const t = (s: string) => this.text(s)!;
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.username !== undefined) (where.push('username = ?'), args.push(t(q.username)));
    if (q.objectType !== undefined) (where.push('object_type = ?'), args.push(t(q.objectType)));
    if (q.objectId !== undefined) (where.push('object_id = ?'), args.push(t(q.objectId)));
    // `device` matches `device.update` and the rest of that object's actions; `device.update` only itself.
    // LIKE ignores ASCII case on SQLite only: lower() on both sides gives that on PostgreSQL too.
    if (q.action !== undefined) {
      const action = t(q.action);
      where.push("(action = ? OR lower(action) LIKE lower(?) ESCAPE '\\')");
      args.push(action, `${action.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`);
    }
    if (q.outcome !== undefined) (where.push('outcome = ?'), args.push(q.outcome));
    if (q.from !== undefined) (where.push('at >= ?'), args.push(q.from));
    if (q.to !== undefined) (where.push('at <= ?'), args.push(q.to));
    if (q.beforeId !== undefined) (where.push('id < ?'), args.push(q.beforeId));
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare<unknown[], Row>(sql).all(...args, q.limit + 1);
    const more = rows.length > q.limit;
    const items = (more ? rows.slice(0, q.limit) : rows).map(toDto);
    return { items, nextCursor: more ? items[items.length - 1]!.id : null };
  }

  objectTypes(): string[] {
    return this.s.objectTypes.all().map((r) => r.object_type);
  }

  /** Removes up to `batch` entries older than `cutoff`; returns how many. */
  deleteOlderThan(cutoff: number, batch: number): number {
    return this.s.deleteOlder.run(cutoff, batch).changes;
  }
}
