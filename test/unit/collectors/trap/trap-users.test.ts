import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCommunities, toTrapUser } from '../../../../server/collectors/trap/trap.users.js';
import { createTrapUserSchema } from '../../../../server/api/trap-users.routes.js';
import { MIGRATIONS_DIR } from '../../../../server/paths.js';
import { openDatabase, type Db } from '../../../../server/store/database.js';
import { migrate, readMigrations } from '../../../../server/store/migrate.js';
import { toTrapUserDto, TrapUserRepository } from '../../../../server/store/trap-user.repository.js';
import { testSecretBox } from '../../../helpers/secrets.js';

describe('trap users', () => {
  const dirs: string[] = [];
  const dbs: Db[] = [];
  const repo = () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-trapusers-'));
    dirs.push(dir);
    const db = openDatabase(join(dir, 'netwatch.db'));
    dbs.push(db);
    migrate(db, readMigrations(MIGRATIONS_DIR));
    return { db, repo: new TrapUserRepository(db, testSecretBox()), file: join(dir, 'netwatch.db') };
  };
  afterEach(() => {
    for (const db of dbs.splice(0)) if (db.open) db.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('stores users and shows only that keys are set', () => {
    const { repo: r } = repo();
    const u = r.create({ username: 'ops', authProtocol: 'sha512', authKey: 'authsecret1', privProtocol: 'aes256b', privKey: 'privsecret1' });
    r.create({ username: 'mon', authProtocol: 'md5', authKey: 'authsecret2', privProtocol: null, privKey: null });
    expect(r.list().map((x) => x.username)).toEqual(['mon', 'ops']);
    const dto = toTrapUserDto(u);
    expect(dto).toMatchObject({ username: 'ops', level: 'authPriv', authProtocol: 'sha512', authKeySet: true, privProtocol: 'aes256b', privKeySet: true });
    expect(JSON.stringify(dto)).not.toMatch(/secret/);
    expect(() => r.create({ username: 'ops', authProtocol: null, authKey: null, privProtocol: null, privKey: null })).toThrow(/UNIQUE/);
    expect(r.delete(u.id)).toBe(true);
    expect(r.delete(u.id)).toBe(false);
  });

  it('keeps one engine ID across restarts (RFC 3411 format, net-snmp enterprise)', () => {
    const { db, repo: r, file } = repo();
    const id = r.engineId();
    expect(id).toMatch(/^80001f8805[0-9a-f]{16}$/);
    expect(r.engineId()).toBe(id);
    db.close();
    const again = openDatabase(file);
    dbs.push(again);
    expect(new TrapUserRepository(again, testSecretBox()).engineId()).toBe(id);
  });

  it('turns stored users into receiver users with the right security level', () => {
    const base = { username: 'u', authProtocol: null, authKey: null, privProtocol: null, privKey: null } as const;
    expect(toTrapUser(base)).toEqual({ name: 'u', level: 'noAuthNoPriv' });
    expect(toTrapUser({ ...base, authProtocol: 'sha256', authKey: 'a1234567' })).toEqual({ name: 'u', level: 'authNoPriv', authProtocol: 'sha256', authKey: 'a1234567' });
    expect(toTrapUser({ ...base, authProtocol: 'md5', authKey: 'a1234567', privProtocol: 'des', privKey: 'p1234567' })).toEqual({
      name: 'u', level: 'authPriv', authProtocol: 'md5', authKey: 'a1234567', privProtocol: 'des', privKey: 'p1234567',
    });
  });

  it('validates new users: keys of 8+ characters, privacy only with authentication', () => {
    expect(createTrapUserSchema.safeParse({ username: 'a', authKey: 'abcdefgh' }).success).toBe(true);
    expect(createTrapUserSchema.safeParse({ username: 'a', authKey: 'short' }).success).toBe(false);
    expect(createTrapUserSchema.safeParse({ username: 'a', privKey: 'abcdefgh' }).success).toBe(false);
    expect(createTrapUserSchema.safeParse({ username: 'a', authKey: 'abcdefgh', privProtocol: 'aes' }).success).toBe(false);
    expect(createTrapUserSchema.safeParse({ username: 'a', authProtocol: 'sha' }).success).toBe(false);
    expect(createTrapUserSchema.safeParse({ username: 'a', authKey: 'abcdefgh', authProtocol: 'rot13' }).success).toBe(false);
    expect(createTrapUserSchema.safeParse({ username: 'x'.repeat(33) }).success).toBe(false);
  });

  it('reads the community list from config', () => {
    expect(parseCommunities('public')).toEqual(['public']);
    expect(parseCommunities(' public, s3cret ,,')).toEqual(['public', 's3cret']);
    expect(parseCommunities(' , ')).toEqual(['public']);
  });
});
