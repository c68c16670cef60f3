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

export class AuthService {
  constructor(
    private readonly users: UserRepository,
    private readonly tokens: AuthTokenRepository,
    private readonly sessionTtlMs: number,
  ) {}

  async login(username: string, password: string): Promise<{ token: string; user: UserDto; expiresAt: number } | undefined> {
    const user = this.users.findByUsername(username);
    if (!user) {
      dummyHash ??= hashPassword('not-a-user-password');
      await verifyPassword(password, await dummyHash);
      return undefined;
    }
    if (!(await verifyPassword(password, user.passwordHash))) return undefined;
    const token = newToken('nws');
    const expiresAt = Date.now() + this.sessionTtlMs;
    this.tokens.create({ tokenHash: hashToken(token), userId: user.id, kind: 'session', expiresAt });
    const { passwordHash: _omit, ...dto } = user;
    return { token, user: dto, expiresAt };
  }

  authenticate(token: string): AuthUser | undefined {
    const owner = this.tokens.findOwner(hashToken(token));
    return owner && { id: owner.userId, username: owner.username, role: owner.role, tokenKind: owner.kind };
  }

  logout(token: string): void {
    this.tokens.revoke(hashToken(token));
  }

  createApiToken(userId: number, name: string, expiresAt: number | null): { token: string; id: number } {
    const token = newToken('nwt');
    const id = this.tokens.create({ tokenHash: hashToken(token), userId, kind: 'api', name, expiresAt });
    return { token, id };
  }
}
