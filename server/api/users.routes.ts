import { z } from 'zod';
import { ROLES, type UserDto } from '../contracts/dto.js';
import type { AuthService } from '../auth/auth.service.js';
import { hashPassword } from '../auth/password.js';
import { PASSWORD_MAX_LENGTH, passwordProblem } from '../auth/password-policy.js';
import type { UserRepository, UserWithHash } from '../store/user.repository.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

const username = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only');
const password = z.string().min(1).max(PASSWORD_MAX_LENGTH);
const createSchema = z.object({ username, password, role: z.enum(ROLES) }).strict();
const updateSchema = z.object({ username, password, role: z.enum(ROLES), disabled: z.boolean() }).partial().strict();

const toDto = ({ passwordHash: _h, ...u }: UserWithHash): UserDto => u;

/** The password policy (length, not the user name, not a common password) as a 400 on `password`. */
function checkPolicy(pw: string, name: string): void {
  const problem = passwordProblem(pw, name);
  if (problem) throw new ValidationError(`Invalid request body: password: ${problem}`, [{ path: 'password', message: problem }]);
}

export function registerUserRoutes(api: ApiRegistry, deps: { users: UserRepository; auth: AuthService }): void {
  const { users, auth } = deps;
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
      checkPolicy(body.password, body.username);
      const passwordHash = await hashPassword(body.password);
      return toDto(unique(body.username, () => users.create({ username: body.username, passwordHash, role: body.role })));
    },
  );

  api.add(
    {
      method: 'patch',
      path: '/users/:id',
      summary: 'Change a user (name, password, role, disabled); a new password, a new role or disabling ends their sessions and API tokens',
      tag,
      access: 'admin',
      body: updateSchema,
      response: 'The user',
      audit,
    },
    async ({ params, body, user }) => {
      const id = idParam(params);
      const cur = users.get(id);
      if (!cur) throw new NotFoundError('No such user');
      const activeAdmin = cur.role === 'admin' && !cur.disabled;
      if (activeAdmin && body.role && body.role !== 'admin' && users.countAdmins() <= 1) throw new ValidationError('Cannot demote the last admin');
      if (body.disabled && !cur.disabled) {
        if (id === user.id) throw new ValidationError('You cannot disable yourself');
        if (activeAdmin && users.countAdmins() <= 1) throw new ValidationError('Cannot disable the last admin');
      }
      if (body.password) checkPolicy(body.password, body.username ?? cur.username);
      const passwordHash = body.password ? await hashPassword(body.password) : undefined;
      unique(body.username ?? cur.username, () => users.update(id, { username: body.username, role: body.role, passwordHash }));
      if (body.disabled !== undefined && body.disabled !== cur.disabled) users.setDisabled(id, body.disabled);
      // Whoever holds this user's sessions or tokens keeps nothing the change was meant to take away.
      if (body.password || (body.role && body.role !== cur.role) || (body.disabled && !cur.disabled)) auth.revokeAllOf(id);
      return toDto(users.get(id)!);
    },
  );

  api.add({ method: 'delete', path: '/users/:id', summary: 'Delete a user', tag, access: 'admin', status: 204, audit }, ({ params, user }) => {
    const id = idParam(params);
    const cur = users.get(id);
    if (!cur) throw new NotFoundError('No such user');
    if (id === user.id) throw new ValidationError('You cannot delete yourself');
    if (cur.role === 'admin' && !cur.disabled && users.countAdmins() <= 1) throw new ValidationError('Cannot delete the last admin');
    users.delete(id); // its sessions and tokens go with it (ON DELETE CASCADE)
    auth.revoked(id);
  });
}
