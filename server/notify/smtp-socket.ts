import { connect, type Socket } from 'node:net';
import type { OutboundPolicy } from '../net/outbound-policy.js';

type GetSocket = (options: unknown, callback: (err: Error | null, socketOptions?: { connection: Socket }) => void) => void;

/**
 * nodemailer's `getSocket`: the TCP connection to the SMTP server, opened by
 * us through the outbound policy's lookup (nodemailer would otherwise resolve
 * the name itself and connect wherever it points). TLS (implicit or STARTTLS)
 * is then negotiated by nodemailer over this socket, with the host name for SNI
 * and certificate checks.
 */
export function smtpSocket(policy: OutboundPolicy, host: string, port: number, timeoutMs: number): GetSocket {
  return (_options, callback) => {
    const socket = connect({ host, port, lookup: policy.lookup('notify') });
    socket.setTimeout(timeoutMs);
    const onError = (err: Error) => {
      socket.destroy();
      callback(err);
    };
    const onTimeout = () => onError(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' }));
    socket.once('error', onError);
    socket.once('timeout', onTimeout);
    socket.once('connect', () => {
      socket.off('error', onError);
      socket.off('timeout', onTimeout);
      socket.setTimeout(0);
      callback(null, { connection: socket });
    });
  };
}

const SMTP_CODES = new Map<string, string>(Object.entries({
  EAUTH: 'authentication failed',
  ENOAUTH: 'authentication needed but no credentials set',
  ECONNECTION: 'connection failed',
  ESOCKET: 'connection failed',
  ETIMEDOUT: 'timed out',
  EDNS: 'host name did not resolve',
  ENOTFOUND: 'host name did not resolve',
  ETLS: 'TLS negotiation failed',
  EENVELOPE: 'sender or recipients refused',
  EMESSAGE: 'message refused',
  EPROTOCOL: 'the server does not speak SMTP as expected',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
}));

/**
 * A delivery error as the channel may show it: our own policy refusal as is,
 * otherwise a description from the error code and the SMTP reply code, never
 * the text the server sent (it could be anything the target chose to say).
 */
export function smtpErrorText(err: unknown): string {
  const e = err as { code?: string; responseCode?: number; message?: string };
  if (e.code === 'outbound_denied') return `SMTP: ${e.message}`;
  const code = typeof e.code === 'string' && /^[A-Z0-9_]{2,32}$/.test(e.code) ? e.code : undefined;
  const reply = typeof e.responseCode === 'number' ? ` ${e.responseCode}` : '';
  const what = (code && SMTP_CODES.get(code)) ?? 'delivery failed';
  return `SMTP: ${what}${code || reply ? ` (${code ?? ''}${reply})`.replace('( ', '(') : ''}`;
}
