import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { CrossSiteRequestError, UnsupportedMediaTypeError } from './errors.js';

/**
 * Cross-site request refusal (CSRF and cross-site WebSocket hijacking).
 *
 * A browser attaches the session cookie to requests that another page starts
 * (SameSite=Lax still sends it from any page on the same site, e.g. another
 * port of the same host). What a page cannot forge are the headers the browser
 * sets itself: `Sec-Fetch-Site` (every current browser) and `Origin` (every
 * cross-origin POST and every WebSocket handshake). So:
 *   - `Sec-Fetch-Site` present: only `same-origin` passes;
 *   - otherwise `Origin` present: its host must be the host the request was sent to;
 *   - neither: not a browser (curl, scripts, Prometheus): passes; such a client
 *     is not a confused deputy, it sends the credentials it was given.
 */
export function isSameOriginRequest(headers: IncomingHttpHeaders, requestHost: string | undefined): boolean {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const origin = headers.origin;
  if (origin === undefined) return true;
  if (!requestHost) return false;
  try {
    const o = new URL(origin); // "null" (sandboxed frames, file:) throws and is refused
    return o.host === new URL(`${o.protocol}//${requestHost}`).host;
  } catch {
    return false;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BEARER = /^Bearer\s/i;

/**
 * For every state-changing API request:
 *   - from a browser, it must come from the console's own origin (bearer-token
 *     requests are exempt: a page cannot attach an Authorization header to a
 *     cross-origin request without a CORS preflight, which this server never grants);
 *   - a body must be `application/json` (a form or `text/plain` body, which any
 *     page may send without a preflight, is refused with 415 rather than read as `{}`);
 *     `rawBodyPaths` (the MIB bundle upload) also take `application/octet-stream`.
 * Bodiless POST/PUT/PATCH/DELETE (logout, acknowledge, delete) need no content type;
 * the origin rule still applies to them.
 */
export function refuseCrossSite(opts: { rawBodyPaths?: ReadonlySet<string> } = {}): RequestHandler {
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    if (!BEARER.test(req.headers.authorization ?? '') && !isSameOriginRequest(req.headers, req.host)) {
      return next(new CrossSiteRequestError());
    }
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    // `application/octet-stream` needs a CORS preflight too (not a form type); allowed only where a route reads raw bytes.
    const raw = opts.rawBodyPaths?.has(req.path) && req.is('application/octet-stream');
    if (hasBody && !req.is('application/json') && !raw) return next(new UnsupportedMediaTypeError());
    next();
  };
}
