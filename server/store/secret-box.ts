import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encryption of secret columns (SNMP communities and keys, trap-user keys,
 * notification channel settings) with AES-256-GCM from Node's crypto: a random
 * 96-bit nonce per value, a 128-bit tag, the envelope header as associated data.
 *
 *   enc:v1:<kid>:<base64url(nonce ‖ ciphertext ‖ tag)>
 *
 * `kid` names the key that sealed the value, so a rotation (or a key file that
 * does not match) is recognised instead of producing garbage.
 */
export const ENVELOPE_PREFIX = 'enc:v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;
const KID = /^[0-9a-f]{16}$/;
const ENVELOPE = /^enc:v1:([0-9a-f]{16}):([A-Za-z0-9_-]+)$/;

export interface SecretKey {
  /** 16 hex digits, random, stored with the key. */
  kid: string;
  key: Buffer;
}

/** The key is missing, wrong or unreadable: the server must not start with it. */
export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

/** One stored value cannot be decrypted (unknown key id, tampered or corrupt). */
export class SecretUnreadableError extends Error {
  constructor(
    message: string,
    readonly kid: string | null,
  ) {
    super(message);
    this.name = 'SecretUnreadableError';
  }
}

export const isSealed = (value: string): boolean => value.startsWith(ENVELOPE_PREFIX);

/** The key id of an envelope, or null when the value is not one. */
export function kidOf(value: string): string | null {
  return ENVELOPE.exec(value)?.[1] ?? null;
}

export function newSecretKey(): SecretKey {
  return { kid: randomBytes(8).toString('hex'), key: randomBytes(KEY_BYTES) };
}

export function checkKey(k: SecretKey): SecretKey {
  if (!KID.test(k.kid)) throw new SecretKeyError(`key id must be 16 hex digits, got "${k.kid}"`);
  if (k.key.length !== KEY_BYTES) throw new SecretKeyError(`key ${k.kid} must be ${KEY_BYTES} bytes, got ${k.key.length}`);
  return k;
}

/**
 * Seals with the current key, opens with any key it holds (several only while a
 * rotation is finished at start-up). Repositories read and write secret columns
 * through it; nothing else sees the keys.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private unreadable = 0;

  constructor(
    keys: readonly SecretKey[],
    readonly kid: string,
    /** Told about every value that fails to open (the repositories then withhold it). */
    private readonly onUnreadable?: (err: SecretUnreadableError, where: string) => void,
  ) {
    for (const k of keys) this.keys.set(checkKey(k).kid, k.key);
    if (!this.keys.has(kid)) throw new SecretKeyError(`no key with id ${kid}`);
  }

  hasKey(kid: string): boolean {
    return this.keys.has(kid);
  }

  seal(plain: string): string {
    const header = `${ENVELOPE_PREFIX}${this.kid}`;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.kid)!, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(header));
    const body = Buffer.concat([nonce, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${header}:${body.toString('base64url')}`;
  }

  /** The plaintext of an envelope; throws SecretUnreadableError (never returns the ciphertext). */
  open(sealed: string): string {
    const m = ENVELOPE.exec(sealed);
    if (!m) throw new SecretUnreadableError('not an encrypted value (enc:v1:…)', null);
    const kid = m[1]!;
    const key = this.keys.get(kid);
    if (!key) throw new SecretUnreadableError(`encrypted with key ${kid}, which the key file does not hold`, kid);
    const body = Buffer.from(m[2]!, 'base64url');
    if (body.length < NONCE_BYTES + TAG_BYTES) throw new SecretUnreadableError('encrypted value is truncated', kid);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(`${ENVELOPE_PREFIX}${kid}`));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretUnreadableError(`value does not decrypt with key ${kid} (wrong key or altered value)`, kid);
    }
  }

  /**
   * Keys for one purpose (e.g. signing acknowledge links), derived with HKDF-SHA256 from the
   * keys held: the current key's first (to sign with), the others after it (to verify during a rotation).
   */
  derivedKeys(purpose: string): Buffer[] {
    const order = [this.kid, ...[...this.keys.keys()].filter((k) => k !== this.kid)];
    return order.map((kid) => Buffer.from(hkdfSync('sha256', this.keys.get(kid)!, Buffer.alloc(0), `netwatch:${purpose}`, 32)));
  }

  sealNullable(plain: string | null): string | null {
    return plain === null ? null : this.seal(plain);
  }

  /**
   * For repositories reading a record: the plaintext, or `undefined` when the
   * value cannot be opened (reported through `onUnreadable` and counted).
   */
  tryOpen(sealed: string, where: string): string | undefined {
    try {
      return this.open(sealed);
    } catch (err) {
      if (!(err instanceof SecretUnreadableError)) throw err;
      this.unreadable++;
      this.onUnreadable?.(err, where);
      return undefined;
    }
  }

  counters(): Record<string, number> {
    return { unreadable_values: this.unreadable };
  }
}
