import type { Role, UserDto } from '../contracts/dto.js';
import type { AuthTokenRepository, TokenKind } from '../store/auth-token.repository.js';
import type { UserRepository } from '../store/user.repository.js';
import { hashPassword, verifyPassword } from './password.js';
import { hashToken, newToken } from './tokens.js';

export interface AuthUser {
  id: number;
  username: string;
  role: Role;
  tokenKind: TokenKind;
}

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** Whether `role` is at least `needed` (admin > operator > viewer). */
export function roleAllows(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

// A fixed hash to compare against when the user does not exist, so a wrong
// username costs as long as a wrong password.
let dummyHash: Promise<string> | undefined;

export interface AuthOptions {
  sessionTtlMs: number;
  /** Lifetime of an API token created without an expiry; null = such tokens never expire. */
  apiTokenTtlMs: number | null;
  /** Told after any of a user's sessions or tokens ended (realtime closes their sockets). */
  onRevoked?: (revoked: { userId: number }) => void;
}

/** Sessions and API tokens: issuing, checking and ending them. */
export class AuthService {
  constructor(
    private readonly users: UserRepository,
    private readonly tokens: AuthTokenRepository,
    private readonly opts: AuthOptions,
  ) {}

  /** A new session; undefined for a wrong user name or password, 'disabled' for a right password of a disabled user. */
  async login(username: string, password: string): Promise<{ token: string; user: UserDto; expiresAt: number } | 'disabled' | undefined> {
    const user = this.users.findByUsername(username);
    if (!user) {
      dummyHash ??= hashPassword('not-a-user-password');
      await verifyPassword(password, await dummyHash);
      return undefined;
    }
    if (!(await verifyPassword(password, user.passwordHash))) return undefined;
    if (user.disabled) return 'disabled';
    const token = newToken('nws');
    const expiresAt = Date.now() + this.opts.sessionTtlMs;
    this.tokens.create({ tokenHash: hashToken(token), userId: user.id, kind: 'session', expiresAt });
    const { passwordHash: _omit, ...dto } = user;
    return { token, user: dto, expiresAt };
  }

  /** The user of a live token (not expired, not revoked, user not disabled). */
  authenticate(token: string): AuthUser | undefined {
    const owner = this.tokens.findOwner(hashToken(token));
    return owner && { id: owner.userId, username: owner.username, role: owner.role, tokenKind: owner.kind };
  }

  async checkPassword(userId: number, password: string): Promise<boolean> {
    const user = this.users.get(userId);
    return !!user && (await verifyPassword(password, user.passwordHash));
  }

  logout(token: string): void {
    const owner = this.tokens.findOwner(hashToken(token));
    this.tokens.revoke(hashToken(token));
    if (owner) this.opts.onRevoked?.({ userId: owner.userId });
  }

  /**
   * Ends every session and API token of a user (after a new password, a new role,
   * disabling, deletion), except `keepToken` (the caller's own session when they
   * change their own password). Open sockets of the user are re-checked at once.
   */
  revokeAllOf(userId: number, keepToken?: string): void {
    this.tokens.revokeAllOf(userId, keepToken ? hashToken(keepToken) : '');
    this.opts.onRevoked?.({ userId });
  }

  /** Tells listeners that a user's tokens changed (after a deletion that cascaded). */
  revoked(userId: number): void {
    this.opts.onRevoked?.({ userId });
  }

  /** `expiresAt` undefined = the configured default lifetime; null = never (only when asked for explicitly). */
  createApiToken(userId: number, name: string, expiresAt?: number | null): { token: string; id: number } {
    const token = newToken('nwt');
    const at = expiresAt !== undefined ? expiresAt : this.opts.apiTokenTtlMs === null ? null : Date.now() + this.opts.apiTokenTtlMs;
    const id = this.tokens.create({ tokenHash: hashToken(token), userId, kind: 'api', name, expiresAt: at });
    return { token, id };
  }

  revokeApiToken(id: number, userId: number): boolean {
    const done = this.tokens.deleteApiToken(id, userId);
    if (done) this.opts.onRevoked?.({ userId });
    return done;
  }
}
