import { describe, expect, it } from 'vitest';
import { isSealed, kidOf, newSecretKey, SecretBox, SecretKeyError, SecretUnreadableError } from '../../../server/store/secret-box.js';
import { formatKey, parseKey } from '../../../server/store/secret-key-file.js';

const box = (k = newSecretKey()) => new SecretBox([k], k.kid);

describe('SecretBox (AES-256-GCM envelopes)', () => {
  it('seals into enc:v1:<kid>:<base64url> without the plaintext, and opens it back', () => {
    const b = box();
    const sealed = b.seal('s3cret-community');
    expect(sealed).toMatch(/^enc:v1:[0-9a-f]{16}:[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('s3cret');
    expect(isSealed(sealed)).toBe(true);
    expect(kidOf(sealed)).toBe(b.kid);
    expect(b.open(sealed)).toBe('s3cret-community');
    expect(b.open(b.seal(''))).toBe('');
    expect(b.open(b.seal('ünïcødé ✓'))).toBe('ünïcødé ✓');
  });

  it('uses a fresh nonce per value: the same secret never seals to the same text', () => {
    const b = box();
    const all = new Set(Array.from({ length: 200 }, () => b.seal('same')));
    expect(all.size).toBe(200);
  });

  it('refuses a value sealed with another key, naming the key id, instead of returning garbage', () => {
    const a = box();
    const other = box();
    const sealed = a.seal('x'.repeat(20));
    expect(() => other.open(sealed)).toThrow(SecretUnreadableError);
    expect(() => other.open(sealed)).toThrow(a.kid);
    // Same key id, different key bytes (a damaged or swapped file): the tag check fails.
    const forged = new SecretBox([{ kid: a.kid, key: newSecretKey().key }], a.kid);
    expect(() => forged.open(sealed)).toThrow(/does not decrypt/);
  });

  it('detects any change to the ciphertext, the tag or the key id in the header', () => {
    const b = box();
    const sealed = b.seal('authpass123');
    const body = sealed.slice(sealed.lastIndexOf(':') + 1);
    const raw = Buffer.from(body, 'base64url');
    for (const i of [0, 12, raw.length - 1]) {
      const t = Buffer.from(raw);
      t[i]! ^= 1;
      expect(() => b.open(sealed.replace(body, t.toString('base64url')))).toThrow(SecretUnreadableError);
    }
    expect(() => b.open(sealed.slice(0, -4))).toThrow(SecretUnreadableError);
    expect(() => b.open('plain text')).toThrow(SecretUnreadableError);
  });

  it('reports a value it cannot open through tryOpen and counts it, never handing back the ciphertext', () => {
    const reported: string[] = [];
    const k = newSecretKey();
    const b = new SecretBox([k], k.kid, (err, where) => reported.push(`${where}: ${err.message}`));
    const foreign = box().seal('s3cret');
    expect(b.tryOpen(foreign, 'device 1 snmp.community')).toBeUndefined();
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(/^device 1 snmp.community: encrypted with key [0-9a-f]{16}/);
    expect(b.counters()).toEqual({ unreadable_values: 1 });
  });

  it('key files round-trip and malformed ones are refused with the file named', () => {
    const k = newSecretKey();
    const back = parseKey(formatKey(k), '/x/secret.key');
    expect(back.kid).toBe(k.kid);
    expect(back.key.equals(k.key)).toBe(true);
    expect(() => parseKey('hello', '/x/secret.key')).toThrow(SecretKeyError);
    expect(() => parseKey('hello', '/x/secret.key')).toThrow('/x/secret.key');
    expect(() => parseKey(`netwatch-secret-key:v1:${k.kid}:${k.key.subarray(0, 16).toString('base64')}`, 'f')).toThrow(/16-byte key/);
  });
});
