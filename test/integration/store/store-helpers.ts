import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { pino } from 'pino';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { openDatabase } from '../../../server/store/database.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';

/** Every secret a database from before encryption may hold in plaintext. */
export const PLAINTEXT = {
  community: 's3cret-community',
  authKey: 'v3-auth-key-1234',
  privKey: 'v3-priv-key-5678',
  trapAuth: 'trap-auth-pass-99',
  trapPriv: 'trap-priv-pass-77',
  webhookSecret: 'hmac-secret-abcdef',
  headerValue: 'Bearer header-token-0042',
  slackUrl: 'https://hooks.slack.example/services/T000/B000/slack-token-xyz',
  smtpPassword: 'smtp-password-31337',
};

/**
 * A database as a server before migration 0007 left it: secrets in plaintext
 * in every secret column (written with SQL, as that server did).
 */
export function legacyDatabase(dbPath: string): void {
  const db = openDatabase(dbPath);
  migrate(db, readMigrations(MIGRATIONS_DIR).filter((m) => m.version <= 6));
  const now = Date.now();
  db.prepare("INSERT INTO devices (id, name, address, created_at, updated_at) VALUES (1, 'r1', '127.0.0.1', ?, ?), (2, 'r2', '127.0.0.2', ?, ?)").run(now, now, now, now);
  db.prepare("INSERT INTO device_snmp (device_id, version, community) VALUES (1, '2c', ?)").run(PLAINTEXT.community);
  db.prepare("INSERT INTO device_snmp (device_id, version, username, auth_protocol, auth_key, priv_protocol, priv_key) VALUES (2, '3', 'u1', 'sha', ?, 'aes', ?)").run(PLAINTEXT.authKey, PLAINTEXT.privKey);
  db.prepare("INSERT INTO trap_users (username, auth_protocol, auth_key, priv_protocol, priv_key, created_at) VALUES ('tu', 'sha', ?, 'aes', ?, ?)").run(PLAINTEXT.trapAuth, PLAINTEXT.trapPriv, now);
  const channel = db.prepare('INSERT INTO notification_channels (name, type, enabled, config, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?)');
  channel.run('hook', 'webhook', JSON.stringify({ url: 'http://127.0.0.1:9/', secret: PLAINTEXT.webhookSecret, headers: { Authorization: PLAINTEXT.headerValue } }), now, now);
  channel.run('slack', 'slack', JSON.stringify({ url: PLAINTEXT.slackUrl }), now, now);
  channel.run('mail', 'email', JSON.stringify({ host: '127.0.0.1', port: 25, secure: false, requireTls: false, username: 'nw', password: PLAINTEXT.smtpPassword, from: 'nw@example.net', to: ['noc@example.net'] }), now, now);
  db.close();
}

/**
 * Which of `needles` occur in the raw bytes of the database, its WAL and its
 * SHM file. Read by `cat`, in another process: closing a descriptor of the
 * file here would drop the POSIX locks of a server running in this process.
 */
export function leakedInto(dbPath: string, needles: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
    if (!existsSync(file)) continue;
    const bytes = execFileSync('cat', [file], { maxBuffer: 1 << 30 });
    for (const n of needles) if (bytes.includes(Buffer.from(n))) found.push(`${n} in ${file.slice(file.lastIndexOf('/') + 1)}`);
  }
  return found;
}

/** A logger whose lines a test can read. */
export function capturingLogger(): { log: pino.Logger; messages: () => string[] } {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  return { log, messages: () => lines.map((l) => (JSON.parse(l) as { msg: string }).msg) };
}

/** The permission bits of a file, as `0600`. */
export const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');
