import { rateLimit, type Options } from 'express-rate-limit';
import type { Request, Router } from 'express';
import { z } from 'zod';
import type { AuthService } from '../auth/auth.service.js';
import { hashPassword } from '../auth/password.js';
import { PASSWORD_MAX_LENGTH, passwordProblem } from '../auth/password-policy.js';
import type { UserRepository } from '../store/user.repository.js';
import { SESSION_COOKIE } from './auth.middleware.js';
import { ForbiddenError, TooManyRequestsError, UnauthorizedError, ValidationError } from './errors.js';
import type { ApiRegistry } from './registry.js';

export interface AuthRoutesDeps {
  auth: AuthService;
  users: UserRepository;
  secureCookies: boolean;
  loginRateLimit: number;
}

const loginSchema = z.object({ username: z.string().min(1).max(128), password: z.string().min(1).max(PASSWORD_MAX_LENGTH) }).strict();
const passwordSchema = z
  .object({ currentPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH), newPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH) })
  .strict();

/** The account a login names (lower-cased like the users table's NOCASE), for the per-account limit. */
function accountKey(req: Request): string {
  const body = req.body as { username?: unknown } | undefined;
  const name = typeof body?.username === 'string' ? body.username.slice(0, 128).toLowerCase() : '';
  return `account:${name}`;
}

export function registerAuthRoutes(api: ApiRegistry, router: Router, deps: AuthRoutesDeps): void {
  const tag = 'auth';
  // Guessing passwords is limited two ways, before the handler runs (and before the slow hash):
  //   - per client address: every attempt counts (many user names from one client);
  //   - per account: failed attempts count, whichever address they come from (one user
  //     name from many clients, e.g. through a proxy or a botnet).
  // The client address is the socket's, or X-Forwarded-For only from a proxy listed in
  // `trustProxy`: a spoofed header does not buy a fresh budget.
  const common: Partial<Options> = {
    windowMs: 60_000,
    limit: deps.loginRateLimit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // X-Forwarded-For from an untrusted client is expected hostile input and is ignored on purpose.
    validate: { xForwardedForHeader: false },
    handler: (_req, _res, next) => next(new TooManyRequestsError('Too many login attempts, wait a minute and try again')),
  };
  const perClient = rateLimit({ ...common, identifier: 'login-client' });
  const perAccount = rateLimit({ ...common, identifier: 'login-account', keyGenerator: accountKey, skipSuccessfulRequests: true });
  router.use('/auth/login', perClient, perAccount);
  // A stolen session must not become a way to guess the current password either.
  const passwordPerClient = rateLimit({ ...common, identifier: 'password-client' });
  router.use('/auth/password', passwordPerClient);

  api.add(
    { method: 'post', path: '/auth/login', summary: 'Log in; sets the session cookie and returns a bearer token', tag, access: 'public', body: loginSchema, response: '{token, user, expiresAt}',
      audit: { object: 'session', action: 'login', recordFailures: [401], objectId: ({ result }) => (result as { user?: { id: number } } | undefined)?.user?.id } },
    async ({ body, res }) => {
      const result = await deps.auth.login(body.username, body.password);
      if (!result) throw new UnauthorizedError('Wrong username or password');
      if (result === 'disabled') throw new ForbiddenError('This account is disabled; ask an admin to enable it');
      res.cookie(SESSION_COOKIE, result.token, {
        httpOnly: true,
        sameSite: 'lax',
        secure: deps.secureCookies,
        path: '/',
        expires: new Date(result.expiresAt),
      });
      return result;
    },
  );

  api.add({ method: 'post', path: '/auth/logout', summary: 'Log out (ends this session)', tag, access: 'viewer', status: 204, audit: { object: 'session', action: 'logout' } }, ({ req, res }) => {
    if (req.authToken && req.user?.tokenKind === 'session') deps.auth.logout(req.authToken);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
  });

  api.add({ method: 'get', path: '/auth/me', summary: 'The logged-in user', tag, access: 'viewer', response: '{user}' }, ({ user }) => {
    const u = deps.users.get(user.id);
    return { user: { id: user.id, username: user.username, role: user.role, createdAt: u?.createdAt ?? 0 } };
  });

  api.add(
    {
      method: 'post',
      path: '/auth/password',
      summary: 'Change my own password (needs the current one); ends my other sessions and my API tokens',
      tag,
      access: 'viewer',
      body: passwordSchema,
      status: 204,
      audit: { object: 'user', action: 'change-password', recordFailures: [400], objectId: ({ user }) => user?.id },
    },
    async ({ body, user, req }) => {
      if (!(await deps.auth.checkPassword(user.id, body.currentPassword))) {
        throw new ValidationError('Invalid request body: currentPassword: is not your current password', [
          { path: 'currentPassword', message: 'is not your current password' },
        ]);
      }
      const problem = body.newPassword === body.currentPassword ? 'must differ from the current password' : passwordProblem(body.newPassword, user.username);
      if (problem) throw new ValidationError(`Invalid request body: newPassword: ${problem}`, [{ path: 'newPassword', message: problem }]);
      deps.users.update(user.id, { passwordHash: await hashPassword(body.newPassword) });
      // Everything else that acted as this user ends; the session that made the change stays.
      deps.auth.revokeAllOf(user.id, user.tokenKind === 'session' ? req.authToken : undefined);
    },
  );
}
