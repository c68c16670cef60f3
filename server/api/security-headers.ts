import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers on every answer (console, API, /metrics), set by helmet.
 *
 * The Content-Security-Policy is as strict as the built console allows (checked
 * in real Chromium by test/e2e/security-headers.e2e.test.ts, which fails on any
 * violation): scripts and styles only from our own files (Vite emits no inline
 * script; Vue, uPlot and cytoscape set styles through the CSSOM, which CSP does
 * not govern), images from us or data: URIs (the favicon), connections only back
 * to us (the API and the socket.io WebSocket), no plugins, no <base> tricks, forms
 * only to us, and no framing anywhere (`frame-ancestors 'none'`, and
 * X-Frame-Options: DENY for old browsers).
 *
 * Strict-Transport-Security only when the server is told it is behind HTTPS
 * (`secureCookies`); `upgrade-insecure-requests` is left out so a console
 * reached over plain HTTP on a LAN address keeps loading its own files.
 */
export function securityHeaders(opts: { https: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: opts.https ? { maxAge: 31_536_000 } : false,
    // Our files and answers are for our own pages only.
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
  });
}
