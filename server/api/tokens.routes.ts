import { z } from 'zod';
import type { AuthService } from '../auth/auth.service.js';
import type { AuthTokenRepository } from '../store/auth-token.repository.js';
import { NotFoundError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

const createSchema = z
  .object({ name: z.string().trim().min(1).max(64), expiresInDays: z.number().int().min(1).max(3650).optional() })
  .strict();

/** Long-lived API tokens of the calling user (for scripts and other tools). */
export function registerTokenRoutes(api: ApiRegistry, deps: { auth: AuthService; tokens: AuthTokenRepository }): void {
  const tag = 'tokens';
  api.add({ method: 'get', path: '/tokens', summary: 'List my API tokens', tag, access: 'viewer', response: '{items: ApiToken[]}' }, ({ user }) => ({
    items: deps.tokens.listApiTokens(user.id),
  }));

  api.add(
    { method: 'post', path: '/tokens', summary: 'Create an API token (shown once); without expiresInDays it expires after the configured default (apiTokenTtlDays)', tag, access: 'viewer', body: createSchema, status: 201, response: '{token, ...ApiToken}', audit: { object: 'api-token' } },
    ({ body, user }) => {
      // Without expiresInDays the token gets the configured default lifetime (apiTokenTtlDays).
      const expiresAt = body.expiresInDays ? Date.now() + body.expiresInDays * 86_400_000 : undefined;
      const { token, id } = deps.auth.createApiToken(user.id, body.name, expiresAt);
      return { token, ...deps.tokens.getApiToken(id, user.id)! };
    },
  );

  api.add({ method: 'delete', path: '/tokens/:id', summary: 'Revoke one of my API tokens', tag, access: 'viewer', status: 204, audit: { object: 'api-token', action: 'revoke' } }, ({ params, user }) => {
    if (!deps.auth.revokeApiToken(idParam(params), user.id)) throw new NotFoundError('No such token');
  });
}
