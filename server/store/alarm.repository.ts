import type { Db } from './database.js';
import { isPostgres } from './pg/pg-db.js';
import { nullableTextFor, textFor } from './pg/pg-text.js';
import { decodeParams } from './event-params.codec.js';
import type { AlarmDto, AlarmNoteDto, AlarmState } from '../contracts/alarms.js';
import { SEVERITIES, type Severity, type SourceKind, type StoredEvent } from '../contracts/events.js';

export interface AlarmRow {
  id: number;
  reduction_key: string;
  state: AlarmState;
  severity: number;
  title: string;
  message: string;
  device_id: number | null;
  source_address: string | null;
  source: SourceKind;
  event_type: string;
  rule_id: number | null;
  first_seen: number;
  last_seen: number;
  count: number;
  acked_by: string | null;
  acked_at: number | null;
  cleared_at: number | null;
  cleared_by: string | null;
  in_maintenance: number;
  flapping: number;
  archived: number;
  suppressed: number;
  root_alarm_id: number | null;
  impact_count: number;
}

export interface NewAlarm {
  reductionKey: string;
  severity: Severity;
  title: string;
  message: string;
  deviceId: number | null;
  sourceAddress: string | null;
  source: SourceKind;
  eventType: string;
  ruleId: number | null;
  at: number;
  inMaintenance: boolean;
}

export interface AlarmListQuery {
  state: 'open' | 'cleared' | 'archived' | 'all';
  deviceId?: number;
  /** Only alarms that are not suppressed (causes and standalone problems; `?root=true`). */
  root?: boolean;
  limit: number;
  beforeId?: number;
}

export const sevIndex = (s: Severity) => SEVERITIES.indexOf(s);
export const sevName = (n: number): Severity => SEVERITIES[n] ?? 'info';

export function toAlarmDto(r: AlarmRow, notes: AlarmNoteDto[] = []): AlarmDto {
  return {
    id: r.id,
    reductionKey: r.reduction_key,
    state: r.state,
    severity: sevName(r.severity),
    title: r.title,
    message: r.message,
    deviceId: r.device_id,
    sourceAddress: r.source_address,
    source: r.source,
    eventType: r.event_type,
    ruleId: r.rule_id,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    count: r.count,
    acknowledgedBy: r.acked_by,
    acknowledgedAt: r.acked_at,
    clearedAt: r.cleared_at,
    clearedBy: r.cleared_by,
    inMaintenance: r.in_maintenance === 1,
    flapping: r.flapping === 1,
    archived: r.archived === 1,
    notes,
    suppressed: r.suppressed === 1,
    rootAlarmId: r.root_alarm_id,
    impactCount: r.impact_count,
  };
}

interface EventRow {
  id: number;
  received_at: number;
  reported_at: number | null;
  source: SourceKind;
  source_address: string | null;
  device_id: number | null;
  severity: number;
  type: string;
  message: string;
  params: string;
}

export class AlarmRepository {
  private readonly s;
  private readonly text: (s: string) => string;
  private readonly nullableText: (s: string | null) => string | null;

  constructor(private readonly db: Db) {
    this.text = textFor(db);
    this.nullableText = nullableTextFor(db);
    // A list of ids in one parameter (a JSON array): json_each on SQLite, json_array_elements_text on PostgreSQL.
    const idList = isPostgres(db) ? 'SELECT CAST(value AS bigint) FROM json_array_elements_text(CAST(? AS json))' : 'SELECT value FROM json_each(?)';
    this.s = {
      get: db.prepare<[number], AlarmRow>('SELECT * FROM alarms WHERE id = ?'),
      open: db.prepare<[string], AlarmRow>("SELECT * FROM alarms WHERE reduction_key = ? AND state <> 'cleared'"),
      latest: db.prepare<[string], AlarmRow>('SELECT * FROM alarms WHERE reduction_key = ? AND archived = 0 ORDER BY id DESC LIMIT 1'),
      insert: db.prepare<[Record<string, unknown>], { id: number }>(
        `INSERT INTO alarms (reduction_key, state, severity, title, message, device_id, source_address, source, event_type, rule_id,
                             first_seen, last_seen, count, in_maintenance)
         VALUES (@reductionKey, 'active', @severity, @title, @message, @deviceId, @sourceAddress, @source, @eventType, @ruleId,
                 @at, @at, 1, @inMaintenance) RETURNING id`,
      ),
      recur: db.prepare(
        `UPDATE alarms SET count = count + @n, last_seen = CASE WHEN last_seen > @at THEN last_seen ELSE @at END, severity = @severity, title = @title, message = @message,
                           in_maintenance = @inMaintenance WHERE id = @id`,
      ),
      reopen: db.prepare(
        `UPDATE alarms SET state = 'active', count = count + 1, last_seen = @at, severity = @severity, title = @title, message = @message,
                           cleared_at = NULL, cleared_by = NULL, acked_by = NULL, acked_at = NULL, in_maintenance = @inMaintenance,
                           suppressed = 0, root_alarm_id = NULL, impact_count = 0
         WHERE id = @id`,
      ),
      clear: db.prepare<[number, string | null, number]>(
        "UPDATE alarms SET state = 'cleared', cleared_at = ?, cleared_by = ? WHERE id = ? AND state <> 'cleared'",
      ),
      ack: db.prepare<[string, number, number]>("UPDATE alarms SET state = 'acknowledged', acked_by = ?, acked_at = ? WHERE id = ? AND state = 'active'"),
      unack: db.prepare<[number]>("UPDATE alarms SET state = 'active', acked_by = NULL, acked_at = NULL WHERE id = ? AND state = 'acknowledged'"),
      link: db.prepare<[number, number]>('INSERT INTO alarm_events (alarm_id, event_id) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      flags: db.prepare<[number, number, number]>('UPDATE alarms SET in_maintenance = ?, flapping = ? WHERE id = ?'),
      addNote: db.prepare<[number, string, string, number]>('INSERT INTO alarm_notes (alarm_id, username, text, created_at) VALUES (?, ?, ?, ?)'),
      notes: db.prepare<[number], { id: number; username: string; text: string; created_at: number }>(
        'SELECT id, username, text, created_at FROM alarm_notes WHERE alarm_id = ? ORDER BY id',
      ),
      events: db.prepare<[number, number], EventRow>(
        'SELECT e.* FROM alarm_events ae JOIN events e ON e.id = ae.event_id WHERE ae.alarm_id = ? ORDER BY e.id DESC LIMIT ?',
      ),
      many: db.prepare<[string], AlarmRow>(`SELECT * FROM alarms WHERE id IN (${idList})`),
      manyNotes: db.prepare<[string], { id: number; alarm_id: number; username: string; text: string; created_at: number }>(
        `SELECT id, alarm_id, username, text, created_at FROM alarm_notes WHERE alarm_id IN (${idList}) ORDER BY id`,
      ),
      openAll: db.prepare<[], AlarmRow>("SELECT * FROM alarms WHERE state <> 'cleared'"),
      flapping: db.prepare<[], AlarmRow>('SELECT * FROM alarms WHERE flapping = 1 AND archived = 0'),
      archive: db.prepare<[number]>("UPDATE alarms SET archived = 1 WHERE state = 'cleared' AND archived = 0 AND cleared_at < ?"),
      pruneLinks: db.prepare<[number]>('DELETE FROM alarm_events WHERE event_id < ?'),
      suppress: db.prepare<[number, number | null, number]>('UPDATE alarms SET suppressed = ?, root_alarm_id = ? WHERE id = ?'),
      impact: db.prepare<[{ n: number; id: number }]>('UPDATE alarms SET impact_count = @n WHERE id = @id AND impact_count <> @n'),
      suppressedByDevice: db.prepare<[], { device_id: number; n: number }>(
        "SELECT device_id, count(*) AS n FROM alarms WHERE suppressed = 1 AND state <> 'cleared' AND device_id IS NOT NULL GROUP BY device_id",
      ),
      under: db.prepare<[number], { id: number; state: AlarmState }>(
        "SELECT id, state FROM alarms WHERE root_alarm_id = ? AND archived = 0 ORDER BY state = 'cleared', id DESC LIMIT 10000",
      ),
    };
  }

  get(id: number): AlarmRow | undefined {
    return this.s.get.get(id);
  }

  /**
   * A reduction key as it is stored (on PostgreSQL NUL becomes U+FFFD; on SQLite the key itself).
   * The alarm engine keys its cache of open alarms by this, so that what openAll() returns after a
   * restart matches the keys of new events.
   */
  storedKey(key: string): string {
    return this.text(key);
  }

  /** The open (not cleared) alarm of a key. */
  open(key: string): AlarmRow | undefined {
    return this.s.open.get(this.text(key));
  }

  /** The newest non-archived alarm of a key, cleared or not. */
  latest(key: string): AlarmRow | undefined {
    return this.s.latest.get(this.text(key));
  }

  openAll(): AlarmRow[] {
    return this.s.openAll.all();
  }

  flapping(): AlarmRow[] {
    return this.s.flapping.all();
  }

  insert(a: NewAlarm): number {
    const t = this.text;
    return this.s.insert.get({
      ...a,
      reductionKey: t(a.reductionKey),
      title: t(a.title),
      message: t(a.message),
      sourceAddress: this.nullableText(a.sourceAddress),
      eventType: t(a.eventType),
      severity: sevIndex(a.severity),
      inMaintenance: a.inMaintenance ? 1 : 0,
    })!.id;
  }

  /** `n` more occurrences of an open alarm, the last at `at`. */
  recur(id: number, n: number, at: number, severity: Severity, title: string, message: string, inMaintenance: boolean): void {
    this.s.recur.run({ id, n, at, severity: sevIndex(severity), title: this.text(title), message: this.text(message), inMaintenance: inMaintenance ? 1 : 0 });
  }

  reopen(id: number, at: number, severity: Severity, title: string, message: string, inMaintenance: boolean): void {
    this.s.reopen.run({ id, at, severity: sevIndex(severity), title: this.text(title), message: this.text(message), inMaintenance: inMaintenance ? 1 : 0 });
  }

  clear(id: number, at: number, by: string | null): boolean {
    return this.s.clear.run(at, this.nullableText(by), id).changes > 0;
  }

  ack(id: number, user: string, at: number): boolean {
    return this.s.ack.run(this.text(user), at, id).changes > 0;
  }

  unack(id: number): boolean {
    return this.s.unack.run(id).changes > 0;
  }

  link(alarmId: number, eventId: number): void {
    this.s.link.run(alarmId, eventId);
  }

  setFlags(id: number, inMaintenance: boolean, flapping: boolean): void {
    this.s.flags.run(inMaintenance ? 1 : 0, flapping ? 1 : 0, id);
  }

  addNote(id: number, user: string, text: string, at: number): void {
    this.s.addNote.run(id, this.text(user), this.text(text), at);
  }

  notes(id: number): AlarmNoteDto[] {
    return this.s.notes.all(id).map((n) => ({ id: n.id, user: n.username, text: n.text, createdAt: n.created_at }));
  }

  dto(id: number): AlarmDto | undefined {
    const r = this.get(id);
    return r && toAlarmDto(r, this.notes(id));
  }

  /** Several alarms with their notes in two queries (for pushing a batch of changes). */
  dtos(ids: number[]): AlarmDto[] {
    if (ids.length === 0) return [];
    const json = JSON.stringify(ids);
    const notes = new Map<number, AlarmNoteDto[]>();
    for (const n of this.s.manyNotes.all(json)) {
      let list = notes.get(n.alarm_id);
      if (!list) notes.set(n.alarm_id, (list = []));
      list.push({ id: n.id, user: n.username, text: n.text, createdAt: n.created_at });
    }
    return this.s.many.all(json).map((r) => toAlarmDto(r, notes.get(r.id) ?? []));
  }

  /** Open alarms: most severe first, then newest; history: newest cleared first. */
  list(q: AlarmListQuery): { items: AlarmDto[]; nextCursor: number | null } {
    const where: string[] = [];
    const args: number[] = [];
    let order = 'ORDER BY severity, last_seen DESC, id DESC';
    if (q.state === 'open') where.push("state <> 'cleared'");
    else if (q.state === 'cleared') {
      where.push("state = 'cleared' AND archived = 0");
      order = 'ORDER BY id DESC';
    } else if (q.state === 'archived') {
      where.push('archived = 1');
      order = 'ORDER BY id DESC';
    } else order = 'ORDER BY id DESC';
    if (q.deviceId !== undefined) {
      where.push('device_id = ?');
      args.push(q.deviceId);
    }
    if (q.root) where.push('suppressed = 0');
    const paged = q.beforeId !== undefined && order === 'ORDER BY id DESC';
    if (paged) {
      where.push('id < ?');
      args.push(q.beforeId!);
    }
    const sql = `SELECT * FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${order} LIMIT ?`;
    const rows = this.db.prepare<number[], AlarmRow>(sql).all(...args, q.limit + 1);
    const more = rows.length > q.limit;
    const items = rows.slice(0, q.limit).map((r) => toAlarmDto(r));
    return { items, nextCursor: more && order === 'ORDER BY id DESC' ? items.at(-1)!.id : null };
  }

  /** Events linked to an alarm, newest first. */
  events(id: number, limit: number): StoredEvent[] {
    return this.s.events.all(id, limit).map((r) => ({
      id: r.id,
      receivedAt: r.received_at,
      reportedAt: r.reported_at,
      source: r.source,
      sourceAddress: r.source_address,
      deviceId: r.device_id,
      severity: sevName(r.severity),
      type: r.type,
      message: r.message,
      params: decodeParams(r.params, { source: r.source, type: r.type, sourceAddress: r.source_address }),
    }));
  }

  /** Marks alarms cleared before `cutoff` as archived; returns how many. */
  archiveClearedBefore(cutoff: number): number {
    return this.s.archive.run(cutoff).changes;
  }

  /** Drops links to events that retention has removed (ids below the oldest kept). */
  pruneLinksBelow(minEventId: number): number {
    return this.s.pruneLinks.run(minEventId).changes;
  }

  /** Root cause: marks an alarm suppressed under `rootId` (or not suppressed, rootId null). */
  setSuppressed(id: number, suppressed: boolean, rootId: number | null): void {
    this.s.suppress.run(suppressed ? 1 : 0, rootId, id);
  }

  /** Root cause: devices behind a cause's alarm; true when the count changed. */
  setImpact(id: number, count: number): boolean {
    return this.s.impact.run({ n: count, id }).changes > 0;
  }

  /** Open suppressed alarms per device (the topology map). */
  suppressedByDevice(): Map<number, number> {
    return new Map(this.s.suppressedByDevice.all().map((r) => [r.device_id, r.n]));
  }

  /** Alarms raised as suppressed under a cause, open ones first. */
  suppressedUnder(rootId: number): number[] {
    return this.s.under.all(rootId).map((r) => r.id);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
