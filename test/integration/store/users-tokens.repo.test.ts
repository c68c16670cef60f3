import { describe, expect, it } from 'vitest';
import { AuthTokenRepository } from '../../../server/store/auth-token.repository.js';
import { UserRepository } from '../../../server/store/user.repository.js';
import { STORE_ENGINES } from '../../helpers/store-engines.js';
import { freshDb, HOSTILE, nocaseOrder } from './config-repo-helpers.js';

describe.each(STORE_ENGINES)('UserRepository on %s', (engine) => {
  const db = freshDb(engine);

  it('creates, finds (username in any case), updates, disables and deletes users', () => {
    const users = new UserRepository(db());
    expect(users.count()).toBe(0);
    const admin = users.create({ username: 'Admin', passwordHash: 'h1', role: 'admin' }, 1_000);
    expect(admin).toEqual({ id: admin.id, username: 'Admin', role: 'admin', createdAt: 1_000, disabled: false, passwordHash: 'h1' });
    expect(typeof admin.id).toBe('number');
    for (const name of ['admin', 'ADMIN', 'aDmIn']) expect(users.findByUsername(name)?.id).toBe(admin.id);
    expect(users.findByUsername('admin2')).toBeUndefined();
    expect(users.findByUsername('admin\0')).toBeUndefined(); // a login may send anything
    expect(users.get(admin.id)).toEqual(admin);
    expect(users.get(999_999)).toBeUndefined();

    const op = users.create({ username: 'op', passwordHash: 'h2', role: 'operator' });
    expect(users.count()).toBe(2);
    expect(users.countAdmins()).toBe(1);
    expect(users.update(op.id, { role: 'admin' })).toMatchObject({ username: 'op', role: 'admin', passwordHash: 'h2' });
    expect(users.update(op.id, { username: 'Op2', passwordHash: 'h3' })).toMatchObject({ username: 'Op2', role: 'admin', passwordHash: 'h3' });
    expect(users.update(999_999, { role: 'viewer' })).toBeUndefined();
    expect(users.countAdmins()).toBe(2);
    users.setDisabled(op.id, true, 5_000);
    expect(users.get(op.id)!.disabled).toBe(true);
    expect(users.countAdmins()).toBe(1);
    users.setDisabled(op.id, false);
    expect(users.get(op.id)!.disabled).toBe(false);
    expect(users.delete(op.id)).toBe(true);
    expect(users.delete(op.id)).toBe(false);
    expect(users.list().map((u) => u.username)).toEqual(['Admin']);
  });

  it('refuses a username that differs only in case (the route answers 409), on create and on rename', () => {
    const users = new UserRepository(db());
    users.create({ username: 'alice', passwordHash: 'h', role: 'viewer' });
    const bob = users.create({ username: 'bob', passwordHash: 'h', role: 'viewer' });
    expect(() => users.create({ username: 'ALICE', passwordHash: 'h', role: 'viewer' })).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_UNIQUE' }));
    expect(() => users.update(bob.id, { username: 'Alice' })).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_UNIQUE' }));
    expect(users.update(bob.id, { username: 'BOB' })!.username).toBe('BOB');
    expect(() => users.create({ username: 'x', passwordHash: 'h', role: 'root' as 'admin' })).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }));
  });

  it('lists users in NOCASE order and keeps hostile names exactly', () => {
    const users = new UserRepository(db());
    const names = ['zed', 'Bob', 'alice', 'a.b', 'a_b', 'a-b', '_root', '@x', 'Ünï', 'über', ...HOSTILE.map((s, i) => `${s.slice(0, 200)}${i}`)];
    for (const n of names) users.create({ username: n, passwordHash: `hash of ${n}`, role: 'viewer' });
    expect(users.list().map((u) => u.username)).toEqual([...names].sort(nocaseOrder));
    for (const n of names) expect(users.findByUsername(n)).toMatchObject({ username: n, passwordHash: `hash of ${n}` });
  });
});

describe.each(STORE_ENGINES)('AuthTokenRepository on %s', (engine) => {
  const db = freshDb(engine);

  it('finds the owner of a live token, records its use at most once a minute, and ignores expired tokens and disabled users', () => {
    const users = new UserRepository(db());
    const tokens = new AuthTokenRepository(db());
    const u = users.create({ username: 'ann', passwordHash: 'h', role: 'operator' });
    const id = tokens.create({ tokenHash: 'a'.repeat(64), userId: u.id, kind: 'session', expiresAt: 10_000 }, 1_000);
    expect(typeof id).toBe('number');
    expect(tokens.findOwner('a'.repeat(64), 2_000)).toEqual({ tokenId: id, kind: 'session', userId: u.id, username: 'ann', role: 'operator' });
    const lastUsed = () => db().prepare('SELECT last_used_at FROM auth_tokens WHERE id = ?').pluck().get(id);
    expect(lastUsed()).toBe(2_000);
    tokens.findOwner('a'.repeat(64), 2_000 + 60_000);
    expect(lastUsed()).toBe(2_000);
    expect(tokens.findOwner('a'.repeat(64), 10_000)).toBeUndefined(); // expired at 10 000
    expect(tokens.findOwner('b'.repeat(64), 2_000)).toBeUndefined();
    expect(tokens.findOwner("' OR 1=1 --", 2_000)).toBeUndefined();

    const forever = tokens.create({ tokenHash: 'c'.repeat(64), userId: u.id, kind: 'api', name: 'ci', expiresAt: null });
    expect(tokens.findOwner('c'.repeat(64), 9e12)?.tokenId).toBe(forever);
    users.setDisabled(u.id, true);
    expect(tokens.findOwner('c'.repeat(64))).toBeUndefined();
    expect(() => tokens.create({ tokenHash: 'c'.repeat(64), userId: u.id, kind: 'api', expiresAt: null })).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_UNIQUE' }));
    expect(() => tokens.create({ tokenHash: 'd'.repeat(64), userId: 999_999, kind: 'api', expiresAt: null })).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }));
  });

  it('lists, gets and deletes only the API tokens of their own user, revokes sessions and purges expired tokens', () => {
    const users = new UserRepository(db());
    const tokens = new AuthTokenRepository(db());
    const a = users.create({ username: 'a', passwordHash: 'h', role: 'admin' });
    const b = users.create({ username: 'b', passwordHash: 'h', role: 'viewer' });
    const t1 = tokens.create({ tokenHash: 'h1', userId: a.id, kind: 'api', name: HOSTILE[0], expiresAt: null }, 100);
    const t2 = tokens.create({ tokenHash: 'h2', userId: a.id, kind: 'api', name: null, expiresAt: 5_000 }, 200);
    tokens.create({ tokenHash: 's1', userId: a.id, kind: 'session', expiresAt: 5_000 }, 300);
    const tb = tokens.create({ tokenHash: 'hb', userId: b.id, kind: 'api', name: 'b', expiresAt: null }, 400);
    expect(tokens.listApiTokens(a.id)).toEqual([
      { id: t1, name: HOSTILE[0], createdAt: 100, lastUsedAt: null, expiresAt: null },
      { id: t2, name: '', createdAt: 200, lastUsedAt: null, expiresAt: 5_000 },
    ]);
    expect(tokens.getApiToken(t1, a.id)?.id).toBe(t1);
    expect(tokens.getApiToken(t1, b.id)).toBeUndefined();
    expect(tokens.deleteApiToken(tb, a.id)).toBe(false);
    expect(tokens.deleteApiToken(t1, a.id)).toBe(true);
    expect(tokens.listApiTokens(a.id).map((t) => t.id)).toEqual([t2]);

    expect(tokens.purgeExpired(5_000)).toBe(2); // t2 and s1
    expect(tokens.listApiTokens(a.id)).toEqual([]);
    tokens.create({ tokenHash: 's2', userId: a.id, kind: 'session', expiresAt: null });
    tokens.create({ tokenHash: 's3', userId: a.id, kind: 'session', expiresAt: null });
    expect(tokens.revokeAllOf(a.id, 's3')).toBe(1);
    expect(tokens.findOwner('s3')).toBeDefined();
    tokens.revoke('s3');
    expect(tokens.findOwner('s3')).toBeUndefined();
    expect(tokens.revokeAllOf(b.id)).toBe(1);
    // Deleting a user takes its tokens with it.
    tokens.create({ tokenHash: 's4', userId: b.id, kind: 'session', expiresAt: null });
    users.delete(b.id);
    expect(db().prepare('SELECT count(*) AS n FROM auth_tokens WHERE user_id = ?').get(b.id)).toEqual({ n: 0 });
  });
});
