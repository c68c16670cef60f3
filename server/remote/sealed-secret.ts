import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Secrets sealed for one collector (issue 15): the centre seals each SNMP secret of a site's devices
 * for each registered collector of that site, so neither NATS nor the collector's files see plaintext.
 *
 * ECIES: an ephemeral X25519 key pair per secret; HKDF-SHA256 over the shared secret
 * (salt = ephemeral public key || collector public key, info = SEAL_INFO) gives an AES-256-GCM key;
 * the collector id is the associated data, so a secret sealed for one collector opens for no other.
 *
 * Wire form: `v1.<ephemeral public key>.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
const SEAL_INFO = Buffer.from('netwatch-collector-secret-v1');
const PREFIX = 'v1';
const RAW_KEY = /^[A-Za-z0-9+/]{43}=$/;

export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealError';
  }
}

/** A public key as the heartbeat carries it: the raw 32 bytes, base64. */
export function publicKeyBase64(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'X25519' || typeof jwk.x !== 'string') throw new SealError('not an X25519 key');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

export function isPublicKeyBase64(s: string): boolean {
  return RAW_KEY.test(s);
}

function importPublic(b64: string): KeyObject {
  if (!isPublicKeyBase64(b64)) throw new SealError('the public key is not 32 bytes of base64');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(b64, 'base64').toString('base64url') }, format: 'jwk' });
}

function rawPublic(key: KeyObject): Buffer {
  return Buffer.from(publicKeyBase64(key), 'base64');
}

function deriveKey(shared: Buffer, ephemeralPub: Buffer, recipientPub: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralPub, recipientPub]), SEAL_INFO, 32));
}

/** Seals `plaintext` for the collector `collectorId` whose public key is `publicKey` (base64 raw X25519). */
export function seal(plaintext: string, publicKey: string, collectorId: string): string {
  const recipient = importPublic(publicKey);
  const eph = generateKeyPairSync('x25519');
  const ephPub = rawPublic(eph.publicKey);
  const key = deriveKey(diffieHellman({ privateKey: eph.privateKey, publicKey: recipient }), ephPub, Buffer.from(publicKey, 'base64'));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(collectorId, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [PREFIX, ephPub, iv, ct, tag].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** Opens a sealed secret with this collector's private key; throws SealError when it is not for this collector or was altered. */
export function unseal(sealed: string, privateKey: KeyObject, collectorId: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== PREFIX) throw new SealError('not a sealed secret (v1)');
  const [ephB64, ivB64, ctB64, tagB64] = parts.slice(1) as [string, string, string, string];
  const ephPub = Buffer.from(ephB64, 'base64url');
  const iv = Buffer.from(ivB64, 'base64url');
  const tag = Buffer.from(tagB64, 'base64url');
  if (ephPub.length !== 32 || iv.length !== 12 || tag.length !== 16) throw new SealError('a sealed secret with parts of the wrong size');
  try {
    const eph = importPublic(ephPub.toString('base64'));
    const mine = rawPublic(createPublicKey(privateKey));
    const key = deriveKey(diffieHellman({ privateKey, publicKey: eph }), ephPub, mine);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(collectorId, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(ctB64, 'base64url')), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new SealError(`the sealed secret does not open with this collector's key (${(err as Error).message})`);
  }
}

/** A fresh X25519 key pair. */
export function newCollectorKeys(): { privateKey: KeyObject; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKey: publicKeyBase64(publicKey) };
}

/**
 * `<dataDir>/collector-key.pem`: this collector's X25519 private key (PKCS#8 PEM, 0600), made on first start
 * and kept; its public key goes in every heartbeat.
 */
export function collectorKeys(dataDir: string): { privateKey: KeyObject; publicKey: string } {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'collector-key.pem');
  const load = (pem: string) => {
    const privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== 'x25519') throw new Error(`${file} does not hold an X25519 private key; remove it to make a new one`);
    return { privateKey, publicKey: publicKeyBase64(createPublicKey(privateKey)) };
  };
  try {
    return load(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const made = newCollectorKeys();
  try {
    writeFileSync(file, made.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    return made;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return load(readFileSync(file, 'utf8'));
  }
}
