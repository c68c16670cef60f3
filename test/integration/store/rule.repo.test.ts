import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RuleBody } from '../../../server/contracts/alarms.js';
import type { Db } from '../../../server/store/database.js';
import { RuleRepository, type BuiltinRule, type RuleWrite } from '../../../server/store/rule.repository.js';
import { openTestDb, STORE_ENGINES } from '../../helpers/store-engines.js';

const T0 = 1_700_000_000_000;

const body = (title: string): RuleBody => ({
  kind: 'event',
  match: { message: `^${title}$` },
  actions: { disposition: 'alarm', severity: 'major', title, reductionKey: `${title}:{deviceOrSource}` },
});
const rule = (name: string, over: Partial<RuleWrite> = {}): RuleWrite => ({ name, description: `about ${name}`, enabled: true, body: body(name), ...over });
const builtin = (key: string): BuiltinRule => ({ ...rule(`builtin ${key}`), key });

describe.each(STORE_ENGINES)('RuleRepository on %s', (engine) => {
  let db: Db;
  let repo: RuleRepository;
  beforeEach(async () => {
    db = await openTestDb(engine);
    repo = new RuleRepository(db);
  }, 60_000);
  afterEach(() => db.close());

  const names = () => repo.list().map((r) => [r.position, r.name]);

  it('seeds the default pack once, at the end, keyed by builtin key, never overwriting edits', () => {
    expect(repo.seedBuiltins([builtin('a'), builtin('b')], T0)).toBe(2);
    expect(repo.seedBuiltins([builtin('a'), builtin('b'), builtin('c')], T0)).toBe(1);
    expect(repo.list().map((r) => [r.position, r.builtinKey])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
    const a = repo.list()[0]!;
    repo.update(a.id, rule('edited a'), T0 + 5);
    expect(repo.seedBuiltins([builtin('a')], T0 + 6)).toBe(0);
    expect(repo.get(a.id)).toMatchObject({ name: 'edited a', builtinKey: 'a', createdAt: T0, updatedAt: T0 + 5 });
  });

  it('creates rules above the default pack by default, at a given position, or at the end (positions stay 1..n)', () => {
    repo.seedBuiltins([builtin('a'), builtin('b')], T0);
    const mine = repo.create(rule('mine'), undefined, T0);
    expect(mine).toMatchObject({ name: 'mine', description: 'about mine', enabled: true, position: 1, builtinKey: null, createdAt: T0, updatedAt: T0 });
    expect(mine.body).toEqual(body('mine'));
    repo.create(rule('top'), 1, T0);
    repo.create(rule('third'), 3, T0);
    repo.create(rule('last'), 99, T0);
    expect(names()).toEqual([[1, 'top'], [2, 'mine'], [3, 'third'], [4, 'builtin a'], [5, 'builtin b'], [6, 'last']]);
    // Again just above the pack (the end without a pack: see the next test).
    expect(repo.create(rule('above'), undefined, T0).position).toBe(4);
    expect(names().slice(3, 5)).toEqual([[4, 'above'], [5, 'builtin a']]);
  });

  it('gets and updates a rule (unknown ids give undefined), and deletes with renumbering', () => {
    const a = repo.create(rule('a'), undefined, T0);
    const b = repo.create(rule('b'), undefined, T0);
    const c = repo.create(rule('c'), undefined, T0);
    const upd = repo.update(b.id, rule('b2', { enabled: false, description: '', body: { kind: 'threshold', metrics: ['cpu'], op: '>', value: 90 } as RuleBody }), T0 + 1);
    expect(upd).toMatchObject({ id: b.id, name: 'b2', enabled: false, description: '', position: 2, updatedAt: T0 + 1 });
    expect(upd!.body).toMatchObject({ kind: 'threshold', metrics: ['cpu'] });
    expect(db.prepare('SELECT kind FROM rules WHERE id = ?').pluck().get(b.id)).toBe('threshold');
    expect(repo.update(999_999, rule('x'))).toBeUndefined();
    expect(repo.get(999_999)).toBeUndefined();
    expect(repo.delete(a.id)).toBe(true);
    expect(repo.delete(a.id)).toBe(false);
    expect(repo.list().map((r) => [r.position, r.id])).toEqual([[1, b.id], [2, c.id]]);
  });

  it('reorders: the given ids first in that order (unknown and repeated ids ignored), the others after in their order', () => {
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => repo.create(rule(n), 99, T0).id);
    const out = repo.reorder([c!, 424_242, a!, c!]);
    expect(out.map((r) => [r.position, r.id])).toEqual([[1, c], [2, a], [3, b], [4, d]]);
    expect(repo.list().map((r) => r.id)).toEqual([c, a, b, d]);
  });

  it('keeps hostile names, descriptions and bodies as given (NUL becomes U+FFFD on PostgreSQL only)', () => {
    const name = `__proto__ '"; DROP TABLE rules; -- \u00e9\u{1F525}`;
    const long = 'd'.repeat(50_000);
    const r = repo.create(rule(name, { description: long, body: body("it's a \"quote\" and \u0000 in JSON") }), undefined, T0);
    expect(repo.get(r.id)).toMatchObject({ name, description: long });
    expect((repo.get(r.id)!.body as { actions: { title: string } }).actions.title).toBe("it's a \"quote\" and \u0000 in JSON");
    const n = repo.create(rule('nul\u0000name'), undefined, T0);
    expect(repo.get(n.id)!.name).toBe(engine === 'postgres' ? 'nul\uFFFDname' : 'nul\u0000name');
    // A builtin key is unique: a second rule with the same key is refused with the SQLite code on both engines.
    repo.seedBuiltins([builtin('k')], T0);
    let err: unknown;
    try {
      db.prepare("INSERT INTO rules (name, kind, position, builtin_key, body, created_at, updated_at) VALUES ('x', 'event', 9, 'k', '{}', 0, 0)").run();
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
  });
});
