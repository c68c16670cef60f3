import type { Db } from './database.js';
import type { Role, UserDto } from '../contracts/dto.js';
import { canMatchText, nocaseOrder } from './sql-portable.js';

interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  role: Role;
  created_at: number;
  disabled_at: number | null;
}

export interface UserWithHash extends UserDto {
  passwordHash: string;
}

const toDto = (r: UserRow): UserWithHash => ({
  id: r.id,
  username: r.username,
  role: r.role,
  createdAt: r.created_at,
  disabled: r.disabled_at !== null,
  passwordHash: r.password_hash,
});

export class UserRepository {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users'),
      list: db.prepare<[], UserRow>(`SELECT id, username, password_hash, role, created_at, disabled_at FROM users ORDER BY ${nocaseOrder(db, 'username')}`),
      byId: db.prepare<[number], UserRow>('SELECT id, username, password_hash, role, created_at, disabled_at FROM users WHERE id = ?'),
      byName: db.prepare<[string], UserRow>('SELECT id, username, password_hash, role, created_at, disabled_at FROM users WHERE username = ?'),
      insert: db.prepare<[string, string, Role, number, number], { id: number }>(
        'INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id',
      ),
      update: db.prepare<[string, string, Role, number, number]>(
        'UPDATE users SET username = ?, password_hash = ?, role = ?, updated_at = ? WHERE id = ?',
      ),
      delete: db.prepare<[number]>('DELETE FROM users WHERE id = ?'),
      countAdmins: db.prepare<[], { n: number }>("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL"),
      setDisabled: db.prepare<[number | null, number, number]>('UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ?'),
    };
  }

  count(): number {
    return this.stmts.count.get()!.n;
  }

  /** Admins who can still sign in. */
  countAdmins(): number {
    return this.stmts.countAdmins.get()!.n;
  }

  list(): UserWithHash[] {
    return this.stmts.list.all().map(toDto);
  }

  get(id: number): UserWithHash | undefined {
    const row = this.stmts.byId.get(id);
    return row && toDto(row);
  }

  /** Case-insensitive (NOCASE on SQLite, citext on PostgreSQL). */
  findByUsername(username: string): UserWithHash | undefined {
    if (!canMatchText(this.db, username)) return undefined;
    const row = this.stmts.byName.get(username);
    return row && toDto(row);
  }

  create(input: { username: string; passwordHash: string; role: Role }, now = Date.now()): UserWithHash {
    const { id } = this.stmts.insert.get(input.username, input.passwordHash, input.role, now, now)!;
    return this.get(id)!;
  }

  update(id: number, patch: Partial<{ username: string; passwordHash: string; role: Role }>, now = Date.now()): UserWithHash | undefined {
    const cur = this.get(id);
    if (!cur) return undefined;
    this.stmts.update.run(patch.username ?? cur.username, patch.passwordHash ?? cur.passwordHash, patch.role ?? cur.role, now, id);
    return this.get(id);
  }

  setDisabled(id: number, disabled: boolean, now = Date.now()): void {
    this.stmts.setDisabled.run(disabled ? now : null, now, id);
  }

  delete(id: number): boolean {
    return this.stmts.delete.run(id).changes > 0;
  }
}
