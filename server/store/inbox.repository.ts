import type { Statement } from 'better-sqlite3';
import type { InboxDevice, InboxEntryDto, InboxSample, InboxState, ProposedRule } from '../contracts/inbox.js';
import type { Db } from './database.js';
import { nullableTextFor, textFor } from './pg/pg-text.js';

/** One aggregated event type since the last flush (server/events/inbox/inbox-collector.ts). */
export interface InboxDelta {
  source: string;
  type: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  devices: InboxDevice[];
  sample: InboxSample;
}

interface Row {
  id: number;
  source: string;
  type: string;
  count: number;
  first_seen: number;
  last_seen: number;
  devices: string;
  device_count: number;
  sample: string;
  state: InboxState;
  state_at: number | null;
  state_by: string | null;
  rule_ids: string;
  edited_rules: string | null;
}

/** Device labels kept per type (the count goes on). */
export const INBOX_MAX_DEVICES = 20;

const deviceKey = (d: InboxDevice) => (d.id !== undefined ? `#${d.id}` : `@${d.address ?? ''}`);

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

const toDto = (r: Row): InboxEntryDto => ({
  id: r.id,
  source: r.source,
  type: r.type,
  count: r.count,
  firstSeen: r.first_seen,
  lastSeen: r.last_seen,
  devices: parseJson<InboxDevice[]>(r.devices, []),
  deviceCount: r.device_count,
  sample: parseJson<InboxSample>(r.sample, { message: '', severity: 'info', sourceAddress: null, deviceId: null, params: {} }),
  state: r.state,
  stateAt: r.state_at,
  stateBy: r.state_by,
  ruleIds: parseJson<number[]>(r.rule_ids, []),
  editedRules: r.edited_rules === null ? null : parseJson<ProposedRule[] | null>(r.edited_rules, null),
});

/**
 * The unmatched inbox (event_inbox): upserts of the collector's batches, the
 * list, and the accept/dismiss state. A dismissed type comes back when one of
 * its events arrives `dismissMs` or more after the dismissal; an accepted one
 * as soon as an event of it is unmatched again (its rules were disabled or
 * deleted). Bounded: a new type beyond `maxRows` is not stored (counted).
 */
export class InboxRepository {
  private readonly byKey: Statement<[string, string], Row>;
  private readonly insert: Statement<[string, string, number, number, number, string, number, string]>;
  private readonly update: Statement<[{ n: number; first: number; last: number; devices: string; deviceCount: number; sample: string; dismissMs: number; id: number }]>;
  private readonly rows: Statement<[], { n: number }>;
  private readonly pruneOld: Statement<[number]>;
  private readonly listNew: Statement<[number], Row>;
  private readonly listAll: Statement<[number], Row>;
  private readonly one: Statement<[number], Row>;
  private readonly setState: Statement<[InboxState, number, string | null, string, number]>;
  private readonly setEdited: Statement<[string | null, number]>;
  private readonly text: (s: string) => string;
  private readonly nullableText: (s: string | null) => string | null;

  constructor(private readonly db: Db) {
    this.text = textFor(db);
    this.nullableText = nullableTextFor(db);
    this.byKey = db.prepare('SELECT * FROM event_inbox WHERE source = ? AND type = ?');
    this.insert = db.prepare('INSERT INTO event_inbox (source, type, count, first_seen, last_seen, devices, device_count, sample) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.update = db.prepare(
      `UPDATE event_inbox SET count = count + @n,
        first_seen = CASE WHEN first_seen < @first THEN first_seen ELSE @first END,
        last_seen = CASE WHEN last_seen > @last THEN last_seen ELSE @last END,
        devices = @devices, device_count = @deviceCount, sample = @sample,
        state = CASE WHEN state = 'accepted' THEN 'new' WHEN state = 'dismissed' AND @last >= COALESCE(state_at, 0) + CAST(@dismissMs AS bigint) THEN 'new' ELSE state END
        WHERE id = @id`,
    );
    this.rows = db.prepare('SELECT COUNT(*) AS n FROM event_inbox');
    this.pruneOld = db.prepare("DELETE FROM event_inbox WHERE last_seen < ? AND state != 'dismissed'");
    this.listNew = db.prepare("SELECT * FROM event_inbox WHERE state = 'new' ORDER BY last_seen DESC, id DESC LIMIT ?");
    this.listAll = db.prepare('SELECT * FROM event_inbox ORDER BY last_seen DESC, id DESC LIMIT ?');
    this.one = db.prepare('SELECT * FROM event_inbox WHERE id = ?');
    this.setState = db.prepare('UPDATE event_inbox SET state = ?, state_at = ?, state_by = ?, rule_ids = ? WHERE id = ?');
    this.setEdited = db.prepare('UPDATE event_inbox SET edited_rules = ? WHERE id = ?');
  }

  /**
   * Adds one flush worth of deltas in a transaction. Returns how many new types
   * did not fit under `maxRows` (dropped, for the caller's overflow counter).
   */
  apply(deltas: InboxDelta[], opts: { maxRows: number; dismissMs: number }): number {
    let overflow = 0;
    this.db.transaction(() => {
      let rows = this.rows.get()!.n;
      for (const d of deltas) {
        const source = this.text(d.source);
        const type = this.text(d.type);
        const cur = this.byKey.get(source, type);
        const sample = JSON.stringify(d.sample);
        if (!cur) {
          if (rows >= opts.maxRows) {
            overflow++;
            continue;
          }
          const devices = d.devices.slice(0, INBOX_MAX_DEVICES);
          this.insert.run(source, type, d.count, d.firstSeen, d.lastSeen, JSON.stringify(devices), devices.length, sample);
          rows++;
          continue;
        }
        const known = parseJson<InboxDevice[]>(cur.devices, []);
        const seen = new Set(known.map(deviceKey));
        let deviceCount = cur.device_count;
        for (const dev of d.devices) {
          if (seen.has(deviceKey(dev))) continue;
          seen.add(deviceKey(dev));
          deviceCount++;
          if (known.length < INBOX_MAX_DEVICES) known.push(dev);
        }
        this.update.run({ n: d.count, first: d.firstSeen, last: d.lastSeen, devices: JSON.stringify(known), deviceCount, sample, dismissMs: opts.dismissMs, id: cur.id });
      }
      // IMMEDIATE: takes the write lock first (waiting up to busy_timeout). A deferred transaction that reads
      // and then writes fails at once with SQLITE_BUSY when the event store thread is writing.
    }).immediate();
    return overflow;
  }

  /** Forgets types not seen since `before` (dismissed ones are kept: they stay hidden). */
  prune(before: number): number {
    return this.pruneOld.run(before).changes;
  }

  list(q: { limit: number; all?: boolean }): InboxEntryDto[] {
    return (q.all ? this.listAll : this.listNew).all(q.limit).map(toDto);
  }

  get(id: number): InboxEntryDto | undefined {
    const r = this.one.get(id);
    return r ? toDto(r) : undefined;
  }

  /** Keeps the proposal as edited (null: back to the computed one). */
  saveEdited(id: number, rules: ProposedRule[] | null): InboxEntryDto | undefined {
    this.setEdited.run(rules === null ? null : JSON.stringify(rules), id);
    return this.get(id);
  }

  mark(id: number, state: InboxState, by: string | null, ruleIds: number[] = [], at = Date.now()): InboxEntryDto | undefined {
    this.setState.run(state, at, this.nullableText(by), JSON.stringify(ruleIds), id);
    return this.get(id);
  }
}
