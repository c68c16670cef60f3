import type { AlarmEscalationDto, EscalationPolicyBody, EscalationPolicyDto } from '../contracts/escalation.js';
import type { Db } from './database.js';
import { textFor } from './pg/pg-text.js';

interface PolicyRow {
  id: number;
  name: string;
  enabled: number;
  position: number;
  body: string;
  created_at: number;
  updated_at: number;
}

interface StateRow {
  alarm_id: number;
  policy_id: number;
  started_at: number;
  next_step: number;
  next_due_at: number | null;
  repeats: number;
  notified: string;
}

type Stored = Pick<EscalationPolicyBody, 'steps' | 'repeatMinutes' | 'assignments'>;

function toPolicy(r: PolicyRow): EscalationPolicyDto {
  const b = JSON.parse(r.body) as Stored;
  return { id: r.id, name: r.name, enabled: r.enabled === 1, position: r.position, steps: b.steps, repeatMinutes: b.repeatMinutes ?? null, assignments: b.assignments ?? [], createdAt: r.created_at, updatedAt: r.updated_at };
}

function toState(r: StateRow): AlarmEscalationDto {
  const notified = JSON.parse(r.notified) as unknown;
  return {
    alarmId: r.alarm_id,
    policyId: r.policy_id,
    startedAt: r.started_at,
    nextStep: r.next_step,
    nextDueAt: r.next_due_at,
    repeats: r.repeats,
    notified: Array.isArray(notified) ? notified.filter((n): n is number => Number.isSafeInteger(n)) : [],
  };
}

const bodyOf = (p: EscalationPolicyBody) => JSON.stringify({ steps: p.steps, repeatMinutes: p.repeatMinutes, assignments: p.assignments });

/** Escalation policies and where each escalating alarm stands. */
export class EscalationRepository {
  private readonly s;
  private readonly text: (s: string) => string;

  constructor(private readonly db: Db) {
    this.text = textFor(db);
    this.s = {
      list: db.prepare<[], PolicyRow>('SELECT * FROM escalation_policies ORDER BY position, id'),
      get: db.prepare<[number], PolicyRow>('SELECT * FROM escalation_policies WHERE id = ?'),
      insert: db.prepare<[Record<string, unknown>], { id: number }>(
        'INSERT INTO escalation_policies (name, enabled, position, body, created_at, updated_at) VALUES (@name, @enabled, @position, @body, @now, @now) RETURNING id',
      ),
      update: db.prepare('UPDATE escalation_policies SET name = @name, enabled = @enabled, position = @position, body = @body, updated_at = @now WHERE id = @id'),
      delete: db.prepare<[number]>('DELETE FROM escalation_policies WHERE id = ?'),
      states: db.prepare<[], StateRow>('SELECT * FROM alarm_escalations ORDER BY alarm_id'),
      state: db.prepare<[number], StateRow>('SELECT * FROM alarm_escalations WHERE alarm_id = ?'),
      upsert: db.prepare(
        `INSERT INTO alarm_escalations (alarm_id, policy_id, started_at, next_step, next_due_at, repeats, notified)
         VALUES (@alarmId, @policyId, @startedAt, @nextStep, @nextDueAt, @repeats, @notified)
         ON CONFLICT(alarm_id) DO UPDATE SET policy_id = excluded.policy_id, started_at = excluded.started_at, next_step = excluded.next_step,
           next_due_at = excluded.next_due_at, repeats = excluded.repeats, notified = excluded.notified`,
      ),
      remove: db.prepare<[number]>('DELETE FROM alarm_escalations WHERE alarm_id = ?'),
    };
  }

  list(): EscalationPolicyDto[] {
    return this.s.list.all().map(toPolicy);
  }

  get(id: number): EscalationPolicyDto | undefined {
    const r = this.s.get.get(id);
    return r && toPolicy(r);
  }

  create(p: EscalationPolicyBody, now = Date.now()): EscalationPolicyDto {
    const id = this.s.insert.get({ name: this.text(p.name), enabled: p.enabled ? 1 : 0, position: p.position, body: bodyOf(p), now })!.id;
    return this.get(id)!;
  }

  update(id: number, p: EscalationPolicyBody, now = Date.now()): EscalationPolicyDto | undefined {
    if (this.s.update.run({ id, name: this.text(p.name), enabled: p.enabled ? 1 : 0, position: p.position, body: bodyOf(p), now }).changes === 0) return undefined;
    return this.get(id);
  }

  /** Deletes the policy; the escalations running under it stop with it. */
  delete(id: number): boolean {
    return this.s.delete.run(id).changes > 0;
  }

  states(): AlarmEscalationDto[] {
    return this.s.states.all().map(toState);
  }

  state(alarmId: number): AlarmEscalationDto | undefined {
    const r = this.s.state.get(alarmId);
    return r && toState(r);
  }

  saveState(st: AlarmEscalationDto): void {
    this.s.upsert.run({ ...st, notified: JSON.stringify(st.notified) });
  }

  removeState(alarmId: number): void {
    this.s.remove.run(alarmId);
  }
}
