import type { Db } from './database.js';
import { textFor } from './pg/pg-text.js';
import type { RuleBody, RuleDto } from '../contracts/alarms.js';

interface Row {
  id: number;
  name: string;
  description: string;
  kind: string;
  enabled: number;
  position: number;
  builtin_key: string | null;
  body: string;
  created_at: number;
  updated_at: number;
}

export interface RuleWrite {
  name: string;
  description: string;
  enabled: boolean;
  body: RuleBody;
}

export interface BuiltinRule extends RuleWrite {
  key: string;
}

function toDto(r: Row): RuleDto {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    enabled: r.enabled === 1,
    position: r.position,
    builtinKey: r.builtin_key,
    body: JSON.parse(r.body) as RuleBody,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Rules in evaluation order (position, then id). Positions are kept dense: 1..n. */
export class RuleRepository {
  private readonly stmts;
  private readonly text: (s: string) => string;

  constructor(private readonly db: Db) {
    this.text = textFor(db);
    this.stmts = {
      list: db.prepare<[], Row>('SELECT * FROM rules ORDER BY position, id'),
      get: db.prepare<[number], Row>('SELECT * FROM rules WHERE id = ?'),
      byKey: db.prepare<[string], { id: number }>('SELECT id FROM rules WHERE builtin_key = ?'),
      maxPos: db.prepare<[], { p: number | null }>('SELECT max(position) AS p FROM rules'),
      firstBuiltin: db.prepare<[], { p: number | null }>('SELECT min(position) AS p FROM rules WHERE builtin_key IS NOT NULL'),
      shift: db.prepare<[number]>('UPDATE rules SET position = position + 1 WHERE position >= ?'),
      insert: db.prepare<[Record<string, unknown>], { id: number }>(
        `INSERT INTO rules (name, description, kind, enabled, position, builtin_key, body, created_at, updated_at)
         VALUES (@name, @description, @kind, @enabled, @position, @key, @body, @now, @now) RETURNING id`,
      ),
      update: db.prepare(
        `UPDATE rules SET name = @name, description = @description, kind = @kind, enabled = @enabled, body = @body, updated_at = @now
         WHERE id = @id`,
      ),
      setPos: db.prepare<[number, number]>('UPDATE rules SET position = ? WHERE id = ?'),
      delete: db.prepare<[number]>('DELETE FROM rules WHERE id = ?'),
    };
  }

  list(): RuleDto[] {
    return this.stmts.list.all().map(toDto);
  }

  get(id: number): RuleDto | undefined {
    const r = this.stmts.get.get(id);
    return r && toDto(r);
  }

  /** Inserts at `position` (1-based), by default just above the default pack. */
  create(w: RuleWrite, position?: number, now = Date.now()): RuleDto {
    return this.db.transaction(() => {
      const end = (this.stmts.maxPos.get()?.p ?? 0) + 1;
      const pos = Math.min(position ?? this.stmts.firstBuiltin.get()?.p ?? end, end);
      this.stmts.shift.run(pos);
      const id = this.stmts.insert.get(this.params(w, now, pos, null))!.id;
      this.renumber();
      return this.get(id)!;
    }).immediate();
  }

  update(id: number, w: RuleWrite, now = Date.now()): RuleDto | undefined {
    if (this.stmts.update.run({ ...this.params(w, now, 0, null), id }).changes === 0) return undefined;
    return this.get(id);
  }

  delete(id: number): boolean {
    return this.db.transaction(() => {
      const gone = this.stmts.delete.run(id).changes > 0;
      if (gone) this.renumber();
      return gone;
    }).immediate();
  }

  /** Puts `ids` first, in that order; the other rules follow in their current order. */
  reorder(ids: number[]): RuleDto[] {
    return this.db.transaction(() => {
      const current = this.stmts.list.all().map((r) => r.id);
      const known = new Set(current);
      const head = ids.filter((id, i) => known.has(id) && ids.indexOf(id) === i);
      const headSet = new Set(head);
      [...head, ...current.filter((id) => !headSet.has(id))].forEach((id, i) => this.stmts.setPos.run(i + 1, id));
      return this.list();
    }).immediate();
  }

  /** Adds the default rules that are missing (by key), at the end. Idempotent; never overwrites edits. */
  seedBuiltins(pack: BuiltinRule[], now = Date.now()): number {
    return this.db.transaction(() => {
      let added = 0;
      for (const r of pack) {
        if (this.stmts.byKey.get(r.key)) continue;
        const pos = (this.stmts.maxPos.get()?.p ?? 0) + 1;
        this.stmts.insert.get(this.params(r, now, pos, r.key));
        added++;
      }
      return added;
    }).immediate();
  }

  private renumber(): void {
    this.stmts.list.all().forEach((r, i) => {
      if (r.position !== i + 1) this.stmts.setPos.run(i + 1, r.id);
    });
  }

  private params(w: RuleWrite, now: number, position: number, key: string | null) {
    return {
      name: this.text(w.name),
      description: this.text(w.description),
      kind: w.body.kind,
      enabled: w.enabled ? 1 : 0,
      position,
      key,
      body: JSON.stringify(w.body),
      now,
    };
  }
}
