import { rateLimit } from 'express-rate-limit';
import type { Router } from 'express';
import { z } from 'zod';
import type { AuthService } from '../auth/auth.service.js';
import type { UserRepository } from '../store/user.repository.js';
import { SESSION_COOKIE } from './auth.middleware.js';
import { TooManyRequestsError, UnauthorizedError } from './errors.js';
import type { ApiRegistry } from './registry.js';

export interface AuthRoutesDeps {
  auth: AuthService;
  users: UserRepository;
  secureCookies: boolean;
  loginRateLimit: number;
}

const loginSchema = z.object({ username: z.string().min(1).max(128), password: z.string().min(1).max(1024) }).strict();

export function registerAuthRoutes(api: ApiRegistry, router: Router, deps: AuthRoutesDeps): void {
  const tag = 'auth';
  // Rate limit by client address before the handler runs (and before the slow hash).
  router.use(
    '/auth/login',
    rateLimit({
      windowMs: 60_000,
      limit: deps.loginRateLimit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (_req, _res, next) => next(new TooManyRequestsError('Too many login attempts, wait a minute and try again')),
    }),
  );

  api.add(
    { method: 'post', path: '/auth/login', summary: 'Log in; sets the session cookie and returns a bearer token', tag, access: 'public', body: loginSchema, response: '{token, user, expiresAt}',
      audit: { object: 'session', action: 'login', recordFailures: [401], objectId: ({ result }) => (result as { user?: { id: number } } | undefined)?.user?.id } },
    async ({ body, res }) => {
      const result = await deps.auth.login(body.username, body.password);
      if (!result) throw new UnauthorizedError('Wrong username or password');
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
}
