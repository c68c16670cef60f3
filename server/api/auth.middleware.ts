import type { RequestHandler } from 'express';
import type { AuthService, AuthUser } from '../auth/auth.service.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      user?: AuthUser;
      /** The raw token that authenticated this request. */
      authToken?: string;
    }
  }
}

export const SESSION_COOKIE = 'nw_session';

/** Reads the session cookie or `Authorization: Bearer <token>`; routes decide whether a user is required. */
export function tokenFromRequest(cookies: Record<string, string> | undefined, authorization: string | undefined): string | undefined {
  const m = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  if (m) return m[1];
  return cookies?.[SESSION_COOKIE] || undefined;
}

export function authenticate(auth: AuthService): RequestHandler {
  return (req, _res, next) => {
    const token = tokenFromRequest(req.cookies as Record<string, string> | undefined, req.headers.authorization);
    if (token) {
      const user = auth.authenticate(token);
      if (user) {
        req.user = user;
        req.authToken = token;
      }
    }
    next();
  };
}
