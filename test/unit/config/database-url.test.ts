import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/config/load-config.js';
import { databaseUrlProblem, redactDatabaseUrl, scrubDatabaseUrl } from '../../../server/store/database-url.js';

const SECRET = 'Sup3r-s3cret';

describe('databaseUrl / NMS_DATABASE_URL', () => {
  it('is unset by default: the store stays SQLite in dataDir', () => {
    expect(loadConfig([], {}).databaseUrl).toBeUndefined();
  });

  it('takes postgres:// and postgresql:// URLs from the environment, a flag or the config file', () => {
    expect(loadConfig([], { NMS_DATABASE_URL: `postgres://nw:${SECRET}@db.example:5432/netwatch` }).databaseUrl).toBe(`postgres://nw:${SECRET}@db.example:5432/netwatch`);
    expect(loadConfig(['--database-url', 'postgresql://nw@10.0.0.5/netwatch?sslmode=require'], {}).databaseUrl).toBe('postgresql://nw@10.0.0.5/netwatch?sslmode=require');
  });

  it.each([
    ['another database', `mysql://nw:${SECRET}@db/netwatch`],
    ['no scheme', `nw:${SECRET}@db/netwatch`],
    ['not a URL at all', SECRET],
    ['a bad port', `postgres://nw:${SECRET}@db:99999/netwatch`],
    ['no slashes', `postgres:nw:${SECRET}@db/netwatch`],
  ])('refuses %s with a message naming the key and never the value', (_what, value) => {
    let err: unknown;
    try {
      loadConfig([], { NMS_DATABASE_URL: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toMatch(/databaseUrl \(NMS_DATABASE_URL \/ --database-url\): must be/);
    expect(message).not.toContain(SECRET);
  });

  it('redacts the password and keeps user, host, port, database and options', () => {
    expect(redactDatabaseUrl(`postgres://nw:${SECRET}@db:5432/netwatch?sslmode=require`)).toBe('postgres://nw:***@db:5432/netwatch?sslmode=require');
    expect(redactDatabaseUrl('postgres://nw@db/netwatch')).toBe('postgres://nw@db/netwatch');
    expect(redactDatabaseUrl('postgresql://db/netwatch')).toBe('postgresql://db/netwatch');
    // Unencoded @ and : in a password: everything up to the last @ is hidden (more hidden, never less).
    expect(redactDatabaseUrl('postgres://nw:p@ss:w@rd@db/netwatch')).toBe('postgres://nw:***@db/netwatch');
    expect(redactDatabaseUrl('postgres://nw:p%40ss@db/netwatch')).toBe('postgres://nw:***@db/netwatch');
  });

  it('scrubs the URL and the password, written or decoded, out of an error message', () => {
    const url = 'postgres://nw:p%40ss-word@db/netwatch';
    expect(scrubDatabaseUrl(`could not connect to ${url} (password p@ss-word, p%40ss-word)`, url)).toBe('could not connect to postgres://nw:***@db/netwatch (password ***, ***)');
    expect(databaseUrlProblem('postgres://nw:x@db/netwatch')).toBeUndefined();
  });
});
