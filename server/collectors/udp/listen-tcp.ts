import type { Server } from 'node:net';
import type { Logger } from 'pino';
import { fallbackMessage, warnFallbackOnce } from './bind-udp.js';

export interface ListenTcpResult {
  boundPort: number;
  fallback: boolean;
  message: string | null;
}

function listenOnce(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port, ipv6Only: host.includes(':'), exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Listens a TCP (or TLS) server; on EACCES for a privileged port, warns once
 * and listens on `fallbackPort` instead (the UDP twin is bindUdp).
 */
export async function listenTcp(server: Server, opts: { host: string; port: number; fallbackPort?: number; logger?: Pick<Logger, 'warn'> }): Promise<ListenTcpResult> {
  try {
    await listenOnce(server, opts.host, opts.port);
    return { boundPort: (server.address() as { port: number }).port, fallback: false, message: null };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' || opts.fallbackPort === undefined || opts.fallbackPort === opts.port) throw err;
    const message = fallbackMessage(opts.port, 'tcp', opts.fallbackPort);
    warnFallbackOnce(opts.logger, message, { err, host: opts.host, port: opts.port, fallbackPort: opts.fallbackPort });
    await listenOnce(server, opts.host, opts.fallbackPort);
    return { boundPort: (server.address() as { port: number }).port, fallback: true, message };
  }
}

/** `::ffff:10.0.0.1` -> `10.0.0.1`; other addresses unchanged. */
export function plainAddress(addr: string | undefined | null): string | null {
  if (!addr) return null;
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
