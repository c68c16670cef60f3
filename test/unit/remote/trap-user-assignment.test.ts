import { describe, expect, it } from 'vitest';
import { newCollectorKeys } from '../../../server/remote/sealed-secret.js';
import { buildTrapUsers, openTrapUsers, type PlainTrapUser } from '../../../server/remote/trap-user-assignment.js';
import { RemoteTrapUsers } from '../../../server/remote/trap-user-watcher.js';

const users: PlainTrapUser[] = [
  { username: 'priv', authProtocol: 'sha', authKey: 'auth-secret-1', privProtocol: 'aes', privKey: 'priv-secret-1' },
  { username: 'authonly', authProtocol: 'sha256', authKey: 'auth-secret-2', privProtocol: null, privKey: null },
  { username: 'plain', authProtocol: null, authKey: null, privProtocol: null, privKey: null },
];

describe('trap users sealed for a site', () => {
  const a = newCollectorKeys();
  const b = newCollectorKeys();
  const targets = [{ id: 'col-a', publicKey: a.publicKey }, { id: 'col-b', publicKey: b.publicKey }];

  it('seals every key for each collector of the site and opens them with that collector\'s key', () => {
    const value = buildTrapUsers('site-1', users, targets);
    const text = JSON.stringify(value);
    for (const s of ['auth-secret-1', 'priv-secret-1', 'auth-secret-2']) expect(text).not.toContain(s);
    for (const [id, keys] of [['col-a', a], ['col-b', b]] as const) {
      const r = openTrapUsers(JSON.parse(text), 'site-1', id, keys.privateKey);
      expect(r).toEqual({
        ok: true,
        unopened: [],
        users: [
          { name: 'priv', level: 'authPriv', authProtocol: 'sha', authKey: 'auth-secret-1', privProtocol: 'aes', privKey: 'priv-secret-1' },
          { name: 'authonly', level: 'authNoPriv', authProtocol: 'sha256', authKey: 'auth-secret-2' },
          { name: 'plain', level: 'noAuthNoPriv' },
        ],
      });
    }
  });

  it('leaves out users whose keys are not sealed for this collector or do not open with its key', () => {
    const value = JSON.parse(JSON.stringify(buildTrapUsers('site-1', users, [targets[0]!])));
    const other = newCollectorKeys();
    const notMine = openTrapUsers(value, 'site-1', 'col-b', b.privateKey);
    expect(notMine).toMatchObject({ ok: true, unopened: ['priv', 'authonly'] });
    if (notMine.ok) expect(notMine.users.map((u) => u.name)).toEqual(['plain']);
    // Sealed for col-a, opened with another key under col-a's id: refused, not accepted without keys.
    const wrongKey = openTrapUsers(value, 'site-1', 'col-a', other.privateKey);
    expect(wrongKey).toMatchObject({ ok: true, unopened: ['priv', 'authonly'] });
  });

  it('refuses values that do not check out: another site, bad shapes, keys without protocols, __proto__ keys', () => {
    const good = JSON.parse(JSON.stringify(buildTrapUsers('site-1', users, targets)));
    expect(openTrapUsers(good, 'site-2', 'col-a', a.privateKey)).toMatchObject({ ok: false });
    expect(openTrapUsers(undefined, 'site-1', 'col-a', a.privateKey)).toMatchObject({ ok: false });
    expect(openTrapUsers({ ...good, format: 2 }, 'site-1', 'col-a', a.privateKey)).toMatchObject({ ok: false });
    const noProto = { ...good, users: [{ ...good.users[0], authProtocol: null }] };
    expect(openTrapUsers(noProto, 'site-1', 'col-a', a.privateKey)).toMatchObject({ ok: false });
    const privNoAuth = { ...good, users: [{ ...good.users[0], authProtocol: null, authKey: null }] };
    expect(openTrapUsers(privNoAuth, 'site-1', 'col-a', a.privateKey)).toMatchObject({ ok: false });
    const polluted = JSON.parse(`{"format":1,"site":"site-1","generatedAt":1,"users":[],"__proto__":{"polluted":true}}`);
    expect(openTrapUsers(polluted, 'site-1', 'col-a', a.privateKey)).toMatchObject({ ok: false });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("a collector's trap users in memory", () => {
  it('tells the receiver only when the users really changed (a reseal with the same keys changes nothing)', () => {
    const held = new RemoteTrapUsers();
    const seen: string[][] = [];
    const stop = held.watch((u) => seen.push(u.map((x) => `${x.name}:${x.authKey ?? ''}`)));
    expect(held.replace([])).toBe(false);
    expect(held.replace([{ name: 'a', level: 'authNoPriv', authProtocol: 'sha', authKey: 'k1-secret' }])).toBe(true);
    expect(held.replace([{ name: 'a', level: 'authNoPriv', authProtocol: 'sha', authKey: 'k1-secret' }])).toBe(false);
    expect(held.replace([{ name: 'a', level: 'authNoPriv', authProtocol: 'sha', authKey: 'k2-secret' }])).toBe(true);
    stop();
    expect(held.replace([])).toBe(true);
    expect(seen).toEqual([['a:k1-secret'], ['a:k2-secret']]);
    expect(held.size).toBe(0);
  });
});
