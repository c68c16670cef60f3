import type { Db } from './database.js';
import type { ApiTokenDto, Role } from '../contracts/dto.js';

export type TokenKind = 'session' | 'api';

export interface TokenOwner {
  tokenId: number;
  kind: TokenKind;
  userId: number;
  username: string;
  role: Role;
}

interface TokenRow {
  id: number;
  name: string | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}

/** Sessions and API tokens. Only SHA-256 hashes of tokens are stored. */
export class AuthTokenRepository {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      insert: db.prepare<[string, number, TokenKind, string | null, number, number | null], { id: number }>(
        'INSERT INTO auth_tokens (token_hash, user_id, kind, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
      ),
      find: db.prepare<[string, number], { id: number; kind: TokenKind; user_id: number; username: string; role: Role; last_used_at: number | null }>(
        `SELECT t.id, t.kind, t.user_id, u.username, u.role, t.last_used_at
           FROM auth_tokens t JOIN users u ON u.id = t.user_id
          WHERE t.token_hash = ? AND (t.expires_at IS NULL OR t.expires_at > ?) AND u.disabled_at IS NULL`,
      ),
      touch: db.prepare<[number, number]>('UPDATE auth_tokens SET last_used_at = ? WHERE id = ?'),
      deleteByHash: db.prepare<[string]>('DELETE FROM auth_tokens WHERE token_hash = ?'),
      listApi: db.prepare<[number], TokenRow>(
        "SELECT id, name, created_at, expires_at, last_used_at FROM auth_tokens WHERE user_id = ? AND kind = 'api' ORDER BY id",
      ),
      getApi: db.prepare<[number, number], TokenRow>(
        "SELECT id, name, created_at, expires_at, last_used_at FROM auth_tokens WHERE id = ? AND user_id = ? AND kind = 'api'",
      ),
      deleteApi: db.prepare<[number, number]>("DELETE FROM auth_tokens WHERE id = ? AND user_id = ? AND kind = 'api'"),
      deleteAllOfUser: db.prepare<[number, string]>('DELETE FROM auth_tokens WHERE user_id = ? AND token_hash <> ?'),
      purgeExpired: db.prepare<[number]>('DELETE FROM auth_tokens WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    };
  }

  create(input: { tokenHash: string; userId: number; kind: TokenKind; name?: string | null; expiresAt: number | null }, now = Date.now()): number {
    return this.stmts.insert.get(input.tokenHash, input.userId, input.kind, input.name ?? null, now, input.expiresAt)!.id;
  }

  /** The owner of a live token; records its use at most once a minute. */
  findOwner(tokenHash: string, now = Date.now()): TokenOwner | undefined {
    const row = this.stmts.find.get(tokenHash, now);
    if (!row) return undefined;
    if (row.last_used_at === null || now - row.last_used_at > 60_000) this.stmts.touch.run(now, row.id);
    return { tokenId: row.id, kind: row.kind, userId: row.user_id, username: row.username, role: row.role };
  }

  revoke(tokenHash: string): void {
    this.stmts.deleteByHash.run(tokenHash);
  }

  /** Ends every session and API token of a user, except the one whose hash is `keepHash`. */
  revokeAllOf(userId: number, keepHash = ''): number {
    return this.stmts.deleteAllOfUser.run(userId, keepHash).changes;
  }

  listApiTokens(userId: number): ApiTokenDto[] {
    return this.stmts.listApi.all(userId).map(toApiDto);
  }

  getApiToken(id: number, userId: number): ApiTokenDto | undefined {
    const row = this.stmts.getApi.get(id, userId);
    return row && toApiDto(row);
  }

  deleteApiToken(id: number, userId: number): boolean {
    return this.stmts.deleteApi.run(id, userId).changes > 0;
  }

  purgeExpired(now = Date.now()): number {
    return this.stmts.purgeExpired.run(now).changes;
  }
}

function toApiDto(r: TokenRow): ApiTokenDto {
  return { id: r.id, name: r.name ?? '', createdAt: r.created_at, lastUsedAt: r.last_used_at, expiresAt: r.expires_at };
}
