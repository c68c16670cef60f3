import type { Db } from './database.js';

/**
 * Every column that holds a secret, encrypted by the repositories through a
 * SecretBox. A new secret column must be listed here, or start-up will not
 * encrypt its old plaintext and a key rotation will leave it unreadable.
 */
export const SECRET_COLUMNS = [
  { table: 'device_snmp', key: 'device_id', column: 'community' },
  { table: 'device_snmp', key: 'device_id', column: 'auth_key' },
  { table: 'device_snmp', key: 'device_id', column: 'priv_key' },
  { table: 'trap_users', key: 'id', column: 'auth_key' },
  { table: 'trap_users', key: 'id', column: 'priv_key' },
  // The whole settings JSON: webhook URL, secret and headers, Slack URL, SMTP user and password.
  { table: 'notification_channels', key: 'id', column: 'config' },
] as const;

export type SecretColumn = (typeof SECRET_COLUMNS)[number];

export interface SecretCell {
  where: SecretColumn;
  rowKey: number;
  value: string;
}

export const describeCell = (c: SecretCell): string => `${c.where.table}.${c.where.column} (${c.where.key} ${c.rowKey})`;

/** Whole-table access to the secret columns, for start-up encryption and key rotation. */
export class SecretRepository {
  private readonly reads;
  private readonly writes;
  private readonly s;

  constructor(private readonly db: Db) {
    this.reads = SECRET_COLUMNS.map((c) =>
      db.prepare<[], { k: number; v: string }>(`SELECT ${c.key} AS k, ${c.column} AS v FROM ${c.table} WHERE ${c.column} IS NOT NULL ORDER BY ${c.key}`),
    );
    this.writes = SECRET_COLUMNS.map((c) => db.prepare<[string, number]>(`UPDATE ${c.table} SET ${c.column} = ? WHERE ${c.key} = ?`));
    this.s = {
      check: db.prepare<[], { kid: string; sealed: string }>('SELECT kid, sealed FROM secret_key_check WHERE id = 1'),
      setCheck: db.prepare<[string, string, number]>(
        `INSERT INTO secret_key_check (id, kid, sealed, updated_at) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET kid = excluded.kid, sealed = excluded.sealed, updated_at = excluded.updated_at`,
      ),
    };
  }

  /** The key id the database's secrets are sealed with, and a known value sealed with it. */
  check(): { kid: string; sealed: string } | undefined {
    return this.s.check.get();
  }

  setCheck(kid: string, sealed: string, now = Date.now()): void {
    this.s.setCheck.run(kid, sealed, now);
  }

  /** Every non-null value of every secret column. */
  cells(): SecretCell[] {
    return SECRET_COLUMNS.flatMap((where, i) => this.reads[i]!.all().map((r) => ({ where, rowKey: r.k, value: r.v })));
  }

  update(cell: SecretCell, value: string): void {
    this.writes[SECRET_COLUMNS.indexOf(cell.where)]!.run(value, cell.rowKey);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
