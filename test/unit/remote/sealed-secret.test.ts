import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectorKeys, newCollectorKeys, seal, SealError, unseal } from '../../../server/remote/sealed-secret.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('secrets sealed for one collector', () => {
  const a = newCollectorKeys();
  const b = newCollectorKeys();

  it('opens with the collector it was sealed for, and never shows the plaintext', () => {
    const sealed = seal('s3cret-community', a.publicKey, 'collector-a');
    expect(sealed).not.toContain('s3cret');
    expect(Buffer.from(sealed.replace(/\./g, ''), 'base64url').toString('latin1')).not.toContain('s3cret');
    expect(unseal(sealed, a.privateKey, 'collector-a')).toBe('s3cret-community');
  });

  it('seals the same secret differently each time (a fresh ephemeral key)', () => {
    expect(seal('x', a.publicKey, 'collector-a')).not.toBe(seal('x', a.publicKey, 'collector-a'));
  });

  it("does not open with another collector's key", () => {
    const sealed = seal('s3cret', a.publicKey, 'collector-a');
    expect(() => unseal(sealed, b.privateKey, 'collector-a')).toThrow(SealError);
  });

  it('does not open under another collector id (the id is the associated data)', () => {
    const sealed = seal('s3cret', a.publicKey, 'collector-a');
    expect(() => unseal(sealed, a.privateKey, 'collector-b')).toThrow(SealError);
  });

  it('refuses a tampered ciphertext, tag, key or format', () => {
    const sealed = seal('s3cret-community', a.publicKey, 'collector-a');
    const parts = sealed.split('.');
    for (const i of [1, 2, 3, 4]) {
      const bytes = Buffer.from(parts[i]!, 'base64url');
      bytes[0] = bytes[0]! ^ 1;
      const bad = [...parts];
      bad[i] = bytes.toString('base64url');
      expect(() => unseal(bad.join('.'), a.privateKey, 'collector-a'), `part ${i}`).toThrow(SealError);
    }
    expect(() => unseal('v2.' + parts.slice(1).join('.'), a.privateKey, 'collector-a')).toThrow(SealError);
    expect(() => unseal('not sealed', a.privateKey, 'collector-a')).toThrow(SealError);
    expect(() => seal('x', 'not a key', 'collector-a')).toThrow(SealError);
  });

  it('keeps the private key in the dataDir (0600), the same across restarts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-keys-'));
    dirs.push(dir);
    const first = collectorKeys(dir);
    const again = collectorKeys(dir);
    expect(again.publicKey).toBe(first.publicKey);
    expect(statSync(join(dir, 'collector-key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'collector-key.pem'), 'utf8')).toContain('PRIVATE KEY');
    expect(unseal(seal('v3-auth-key', first.publicKey, 'c1'), again.privateKey, 'c1')).toBe('v3-auth-key');
  });
});
