import { z } from 'zod';
import { ROLES, type UserDto } from '../contracts/dto.js';
import { hashPassword } from '../auth/password.js';
import type { AuthTokenRepository } from '../store/auth-token.repository.js';
import type { UserRepository, UserWithHash } from '../store/user.repository.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

const username = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only');
const password = z.string().min(8, 'must be at least 8 characters').max(1024);
const createSchema = z.object({ username, password, role: z.enum(ROLES) }).strict();
const updateSchema = z.object({ username, password, role: z.enum(ROLES) }).partial().strict();

const toDto = ({ passwordHash: _h, ...u }: UserWithHash): UserDto => u;

export function registerUserRoutes(api: ApiRegistry, deps: { users: UserRepository; tokens: AuthTokenRepository }): void {
  const { users, tokens } = deps;
  const tag = 'users';
  const audit = { object: 'user', load: (id: number) => { const u = users.get(id); return u && toDto(u); } };
  const unique = <T>(name: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ConflictError(`User "${name}" already exists`);
      throw err;
    }
  };

  api.add({ method: 'get', path: '/users', summary: 'List users', tag, access: 'admin', response: '{items: User[]}' }, () => ({
    items: users.list().map(toDto),
  }));

  api.add(
    { method: 'post', path: '/users', summary: 'Create a user', tag, access: 'admin', body: createSchema, status: 201, response: 'The user', audit },
    async ({ body }) => {
      const passwordHash = await hashPassword(body.password);
      return toDto(unique(body.username, () => users.create({ username: body.username, passwordHash, role: body.role })));
    },
  );

  api.add(
    { method: 'patch', path: '/users/:id', summary: 'Change a user (name, password, role)', tag, access: 'admin', body: updateSchema, response: 'The user', audit },
    async ({ params, body }) => {
      const id = idParam(params);
      const cur = users.get(id);
      if (!cur) throw new NotFoundError('No such user');
      if (cur.role === 'admin' && body.role && body.role !== 'admin' && users.countAdmins() <= 1) {
        throw new ValidationError('Cannot demote the last admin');
      }
      const passwordHash = body.password ? await hashPassword(body.password) : undefined;
      const updated = unique(body.username ?? cur.username, () => users.update(id, { username: body.username, role: body.role, passwordHash }));
      // A new password or role ends the user's console sessions.
      if (body.password || (body.role && body.role !== cur.role)) tokens.revokeSessionsOf(id);
      return toDto(updated!);
    },
  );

  api.add({ method: 'delete', path: '/users/:id', summary: 'Delete a user', tag, access: 'admin', status: 204, audit }, ({ params, user }) => {
    const id = idParam(params);
    const cur = users.get(id);
    if (!cur) throw new NotFoundError('No such user');
    if (id === user.id) throw new ValidationError('You cannot delete yourself');
    if (cur.role === 'admin' && users.countAdmins() <= 1) throw new ValidationError('Cannot delete the last admin');
    users.delete(id);
  });
}
