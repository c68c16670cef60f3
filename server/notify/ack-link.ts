import { createHmac, timingSafeEqual } from 'node:crypto';

/** `<alarmId>.<expiry, unix seconds>.<base64url HMAC-SHA256>`: the token of a signed acknowledge link. */
const TOKEN = /^([1-9]\d{0,14})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export type AckLinkCheck = { ok: true; alarmId: number; expiresAt: number } | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

/**
 * Signed links that acknowledge one alarm without a login. The HMAC key is derived from the
 * secret store's key for this purpose only (`derivedKeys('ack-link')`), and the signed text names
 * the purpose, so the signature is good for nothing else. A link carries the alarm id and its
 * expiry; changing either breaks the signature.
 */
export class AckLinks {
  constructor(
    /** The first signs; all verify (a key rotation keeps older links good until they expire). */
    private readonly keys: Buffer[],
    private readonly opts: { baseUrl?: string; ttlMs: number; clock?: () => number },
  ) {
    if (keys.length === 0) throw new Error('ack links need a key');
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }

  private sign(key: Buffer, alarmId: number, exp: number): string {
    return createHmac('sha256', key).update(`netwatch-ack:${alarmId}:${exp}`).digest('base64url');
  }

  token(alarmId: number): string {
    const exp = Math.floor((this.now() + this.opts.ttlMs) / 1000);
    return `${alarmId}.${exp}.${this.sign(this.keys[0]!, alarmId, exp)}`;
  }

  /** The link for a notification, or undefined when the server does not know its public address. */
  url(alarmId: number): string | undefined {
    if (!this.opts.baseUrl || alarmId <= 0) return undefined;
    return `${this.opts.baseUrl.replace(/\/+$/, '')}/api/v1/ack/${this.token(alarmId)}`;
  }

  verify(token: string): AckLinkCheck {
    const m = TOKEN.exec(token);
    if (!m) return { ok: false, reason: 'malformed' };
    const alarmId = Number(m[1]);
    const exp = Number(m[2]);
    const given = Buffer.from(m[3]!, 'base64url');
    const good = this.keys.some((k) => {
      const want = Buffer.from(this.sign(k, alarmId, exp), 'base64url');
      return want.length === given.length && timingSafeEqual(want, given);
    });
    if (!good) return { ok: false, reason: 'signature' };
    if (exp * 1000 <= this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, alarmId, expiresAt: exp * 1000 };
  }

  /** The alarm id a token names, unverified (for the audit entry of a refused attempt). */
  static claimedAlarmId(token: string): number | null {
    const m = /^([1-9]\d{0,14})\./.exec(token);
    return m ? Number(m[1]) : null;
  }
}
