import { randomBytes } from 'node:crypto';
import type { AuthProtocol, PrivProtocol, TrapUserDto } from '../contracts/dto.js';

export type { TrapUserDto };
import type { Db } from './database.js';
import type { SecretBox } from './secret-box.js';
import { textOrder } from './sql-portable.js';

/** A USM user traps/informs may come from, secrets included. Never sent to clients. */
export interface TrapUserRecord {
  id: number;
  username: string;
  authProtocol: AuthProtocol | null;
  authKey: string | null;
  privProtocol: PrivProtocol | null;
  privKey: string | null;
  createdAt: number;
  /** Set when a stored key could not be decrypted (reported through the SecretBox): the receiver skips this user. */
  secretError?: string;
}

export type TrapUserWrite = Omit<TrapUserRecord, 'id' | 'createdAt' | 'secretError'>;

interface Row {
  id: number;
  username: string;
  auth_protocol: AuthProtocol | null;
  auth_key: string | null;
  priv_protocol: PrivProtocol | null;
  priv_key: string | null;
  created_at: number;
}

function fromRow(r: Row, secrets: SecretBox): TrapUserRecord {
  const unreadable: string[] = [];
  const open = (value: string | null, field: string): string | null => {
    if (value === null) return null;
    const plain = secrets.tryOpen(value, `trap user ${r.id} (${r.username}) ${field}`);
    if (plain === undefined) unreadable.push(field);
    return plain ?? null;
  };
  const rec: TrapUserRecord = {
    id: r.id,
    username: r.username,
    authProtocol: r.auth_protocol,
    authKey: open(r.auth_key, 'authKey'),
    privProtocol: r.priv_protocol,
    privKey: open(r.priv_key, 'privKey'),
    createdAt: r.created_at,
  };
  if (unreadable.length) rec.secretError = `stored ${unreadable.join(', ')} cannot be decrypted: add the user again`;
  return rec;
}

/** From the protocols (set exactly when the key is, by the table's CHECK), so an unreadable key keeps its level. */
export const trapUserLevel = (u: Pick<TrapUserRecord, 'authProtocol' | 'privProtocol'>): TrapUserDto['level'] =>
  u.privProtocol ? 'authPriv' : u.authProtocol ? 'authNoPriv' : 'noAuthNoPriv';

export function toTrapUserDto(u: TrapUserRecord): TrapUserDto {
  return {
    id: u.id,
    username: u.username,
    level: trapUserLevel(u),
    authProtocol: u.authProtocol,
    authKeySet: u.authProtocol !== null,
    privProtocol: u.privProtocol,
    privKeySet: u.privProtocol !== null,
    createdAt: u.createdAt,
  };
}

export class TrapUserRepository {
  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
  ) {}

  list(): TrapUserRecord[] {
    return (this.db.prepare(`SELECT * FROM trap_users ORDER BY username${textOrder(this.db)}`).all() as Row[]).map((r) => fromRow(r, this.secrets));
  }

  get(id: number): TrapUserRecord | undefined {
    const r = this.db.prepare('SELECT * FROM trap_users WHERE id = ?').get(id) as Row | undefined;
    return r && fromRow(r, this.secrets);
  }

  create(u: TrapUserWrite, now = Date.now()): TrapUserRecord {
    const { id } = this.db
      .prepare<unknown[], { id: number }>('INSERT INTO trap_users (username, auth_protocol, auth_key, priv_protocol, priv_key, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id')
      .get(u.username, u.authProtocol, this.secrets.sealNullable(u.authKey), u.privProtocol, this.secrets.sealNullable(u.privKey), now)!;
    return this.get(id)!;
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM trap_users WHERE id = ?').run(id).changes > 0;
  }

  /**
   * Our SNMP engine ID for INFORMs (hex), created on first use and kept: RFC 3411
   * format 5 (octets) under net-snmp's enterprise number, 0x80000000 | 8072, with
   * 8 random octets — the same shape snmpd uses for its own random engine IDs.
   */
  engineId(): string {
    const row = this.db.prepare('SELECT engine_id FROM trap_engine WHERE id = 1').get() as { engine_id: string } | undefined;
    if (row) return row.engine_id;
    const id = '80001f8805' + randomBytes(8).toString('hex');
    this.db.prepare('INSERT INTO trap_engine (id, engine_id) VALUES (1, ?) ON CONFLICT DO NOTHING').run(id);
    return (this.db.prepare('SELECT engine_id FROM trap_engine WHERE id = 1').get() as { engine_id: string }).engine_id;
  }
}
