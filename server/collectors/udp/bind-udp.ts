import dgram from 'node:dgram';
import type { Logger } from 'pino';

/** Receive buffer we ask for; the kernel caps it at net.core.rmem_max (x2). */
export const DEFAULT_RECV_BUFFER = 16 * 1024 * 1024;

export interface BindUdpOptions {
  type: 'udp4' | 'udp6';
  /** Address to bind, e.g. '0.0.0.0', '::', '127.0.0.1'. */
  host: string;
  /** 0 = any free port (tests). */
  port: number;
  /** Port tried once when `port` fails with EACCES (e.g. 1514 for 514). */
  fallbackPort?: number;
  recvBufferSize?: number;
  logger?: Pick<Logger, 'warn'>;
}

export interface BoundUdp {
  socket: dgram.Socket;
  boundPort: number;
  /** True when the fallback port is in use. */
  fallback: boolean;
  /** What the kernel granted (Linux reports double the usable size). */
  recvBufferSize: number;
  message: string | null;
}

/** The one clear line logged (and shown on the status page) when a privileged port is refused. */
export function fallbackMessage(port: number, proto: 'udp' | 'tcp', fallbackPort: number): string {
  return `cannot bind ${port}/${proto} (needs root or CAP_NET_BIND_SERVICE), listening on ${fallbackPort} instead`;
}

const warned = new Set<string>();

/**
 * Logs `message` once per process (IPv4 and IPv6 sockets of one listener, or a
 * restarted listener, do not repeat it). Returns whether it was logged.
 */
export function warnFallbackOnce(logger: Pick<Logger, 'warn'> | undefined, message: string, fields: Record<string, unknown>): boolean {
  if (warned.has(message)) return false;
  warned.add(message);
  logger?.warn(fields, message);
  return true;
}

function bindOnce(type: 'udp4' | 'udp6', host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    // ipv6Only so that an IPv4 socket and an IPv6 socket can share one port.
    const socket = dgram.createSocket({ type, ipv6Only: type === 'udp6', reuseAddr: false });
    const onError = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ port, address: host, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * Binds a UDP socket with a large receive buffer. When the configured port is
 * privileged and we are not allowed to bind it (EACCES), warns once and binds
 * the fallback port instead. Other errors (EADDRINUSE, EADDRNOTAVAIL) reject.
 */
export async function bindUdp(opts: BindUdpOptions): Promise<BoundUdp> {
  let socket: dgram.Socket;
  let fallback = false;
  let message: string | null = null;
  try {
    socket = await bindOnce(opts.type, opts.host, opts.port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' || opts.fallbackPort === undefined || opts.fallbackPort === opts.port) throw err;
    message = fallbackMessage(opts.port, 'udp', opts.fallbackPort);
    warnFallbackOnce(opts.logger, message, { err, type: opts.type, host: opts.host, port: opts.port, fallbackPort: opts.fallbackPort });
    socket = await bindOnce(opts.type, opts.host, opts.fallbackPort);
    fallback = true;
  }
  let granted = 0;
  try {
    socket.setRecvBufferSize(opts.recvBufferSize ?? DEFAULT_RECV_BUFFER);
  } catch (err) {
    opts.logger?.warn({ err }, 'could not set UDP receive buffer size');
  }
  try {
    granted = socket.getRecvBufferSize();
  } catch {
    granted = 0;
  }
  return { socket, boundPort: socket.address().port, fallback, recvBufferSize: granted, message };
}

/** Whether this host can open an IPv6 socket on ::1 (some containers cannot). */
export async function ipv6Available(): Promise<boolean> {
  try {
    const s = await bindOnce('udp6', '::1', 0);
    s.close();
    return true;
  } catch {
    return false;
  }
}
