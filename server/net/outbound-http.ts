/**
 * Outbound HTTP(S) POST through the outbound policy. The connection goes to
 * an address the policy allowed at connect time (custom `lookup`; IP literals
 * checked before), redirects are never followed, and the answer is reduced to
 * its status code: the target's body is neither read nor repeated.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { OutboundPolicy, OutboundScope } from './outbound-policy.js';

export interface PostOptions {
  policy: OutboundPolicy;
  scope: OutboundScope;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** POST unless given (the HTTP template channel may PUT or GET). */
  method?: 'POST' | 'PUT' | 'PATCH' | 'GET';
}

/** Framing headers are ours: a channel's custom headers cannot bend the request. */
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'expect', 'te', 'trailer', 'keep-alive']);

/** Host part of a URL as net.connect wants it (IPv6 without brackets). */
const hostOf = (u: URL) => u.hostname.replace(/^\[|\]$/g, '');

/**
 * POSTs `body` to `url`; resolves with the status for a 2xx, throws an Error
 * whose message is safe to show (status code, or the connect error code).
 */
export async function postOutbound(url: string, body: string | Buffer, o: PostOptions): Promise<number> {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`unsupported URL scheme ${u.protocol}`);
  const host = hostOf(u);
  if (isIP(host)) o.policy.assertAllowed(o.scope, host, u.host);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = send(
      u,
      {
        method: o.method ?? 'POST',
        headers: {
          'content-type': 'application/json',
          ...Object.fromEntries(Object.entries(o.headers ?? {}).filter(([k]) => !RESERVED.has(k.toLowerCase()))),
          ...(o.method === 'GET' ? {} : { 'content-length': Buffer.byteLength(body) }),
        },
        lookup: o.policy.lookup(o.scope),
        // A fresh connection per request: each one passes the policy's lookup.
        agent: false,
        timeout: o.timeoutMs,
        signal: AbortSignal.timeout(o.timeoutMs),
      },
      resolve,
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(o.method === 'GET' ? undefined : body);
  }).catch((err: unknown) => {
    if ((err as { code?: string }).code === 'outbound_denied') throw err;
    const e = err as NodeJS.ErrnoException;
    throw new Error(`${o.method ?? 'POST'} failed: ${e.name === 'AbortError' || e.name === 'TimeoutError' ? 'ETIMEDOUT' : (e.code ?? e.message)}`);
  });
  // Only the status line matters: drop the connection without reading what the target sent.
  const status = res.statusCode ?? 0;
  res.destroy();
  if (status >= 300 && status < 400) throw new Error(`HTTP ${status} (redirects are not followed)`);
  if (status < 200 || status >= 300) throw new Error(`HTTP ${status}`);
  return status;
}
