import * as snmp from 'net-snmp';
import type { SnmpErrorKind } from '../../contracts/poll.js';

/** One error type for everything the SNMP client can fail with; `kind` is what callers branch on. */
export class SnmpError extends Error {
  override readonly name = 'SnmpError';
  constructor(
    readonly kind: SnmpErrorKind,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/**
 * Maps what net-snmp throws to our typed kinds:
 * - `RequestTimedOutError` -> timeout (also what a wrong v1/v2c community
 *   looks like: agents drop such requests silently);
 * - `ResponseInvalidError` EAuthFailure (a USM report: usmStatsWrongDigests,
 *   usmStatsUnknownUserNames, usmStatsDecryptionErrors, ...), ECouldNotDecrypt
 *   and a failed response digest -> authFailure;
 * - `RequestFailedError` status noSuchName -> noSuchName, tooBig -> tooBig;
 * - anything else (genErr, malformed PDUs, socket errors) -> other.
 */
export function classifySnmpError(e: unknown): SnmpError {
  if (e instanceof SnmpError) return e;
  const err = e as { name?: string; message?: string; code?: number; status?: number };
  const msg = String(err?.message ?? e);
  if (err?.name === 'RequestTimedOutError') return new SnmpError('timeout', 'no response (timeout)', e);
  if (err?.name === 'ResponseInvalidError') {
    const code = err.code;
    if (code === snmp.ResponseInvalidCode.EAuthFailure || code === snmp.ResponseInvalidCode.ECouldNotDecrypt) {
      return new SnmpError('authFailure', `SNMPv3 authentication failed: ${msg}`, e);
    }
    if (code === snmp.ResponseInvalidCode.ENotInTimeWindow) return new SnmpError('authFailure', msg, e);
    return new SnmpError('other', `invalid response: ${msg}`, e);
  }
  if (err?.name === 'RequestFailedError') {
    if (err.status === snmp.ErrorStatus.TooBig) return new SnmpError('tooBig', msg, e);
    if (err.status === snmp.ErrorStatus.NoSuchName) return new SnmpError('noSuchName', msg, e);
    if (err.status === snmp.ErrorStatus.AuthorizationError) return new SnmpError('authFailure', msg, e);
    return new SnmpError('other', `agent error: ${msg}`, e);
  }
  if ((e as { code?: string })?.code === 'ERR_OSSL_EVP_UNSUPPORTED' || /envelope routines::unsupported/.test(msg)) {
    return new SnmpError('other', 'DES privacy needs OpenSSL legacy ciphers: start node with --openssl-legacy-provider', e);
  }
  if (/authentication|digest/i.test(msg)) return new SnmpError('authFailure', msg, e);
  return new SnmpError('other', msg, e);
}
