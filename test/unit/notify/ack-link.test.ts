import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AckLinks } from '../../../server/notify/ack-link.js';
import { SecretBox, newSecretKey } from '../../../server/store/secret-box.js';

const HOUR = 3_600_000;

describe('signed acknowledge links', () => {
  const k1 = newSecretKey();
  const k2 = newSecretKey();
  const box = new SecretBox([k1], k1.kid);
  let now = 1_700_000_000_000;
  const links = new AckLinks(box.derivedKeys('ack-link'), { baseUrl: 'https://nms.example.test/', ttlMs: 72 * HOUR, clock: () => now });

  it('a link names the alarm and verifies until it expires', () => {
    const url = links.url(42)!;
    expect(url).toMatch(/^https:\/\/nms\.example\.test\/api\/v1\/ack\/42\.\d+\.[A-Za-z0-9_-]{43}$/);
    const token = url.split('/').pop()!;
    expect(links.verify(token)).toEqual({ ok: true, alarmId: 42, expiresAt: Math.floor((now + 72 * HOUR) / 1000) * 1000 });
    const t0 = now;
    now = t0 + 72 * HOUR + 1000;
    expect(links.verify(token)).toEqual({ ok: false, reason: 'expired' });
    now = t0;
  });

  it('refuses a forged link: another alarm id, a later expiry, a changed signature, garbage', () => {
    const [id, exp, sig] = links.token(42).split('.') as [string, string, string];
    expect(links.verify(`43.${exp}.${sig}`)).toEqual({ ok: false, reason: 'signature' });
    expect(links.verify(`${id}.${Number(exp) + 86_400}.${sig}`)).toEqual({ ok: false, reason: 'signature' });
    const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    expect(links.verify(`${id}.${exp}.${flipped}`)).toEqual({ ok: false, reason: 'signature' });
    for (const bad of ['', '42', `${id}.${exp}`, `0.${exp}.${sig}`, `-1.${exp}.${sig}`, `${id}.${exp}.${sig}x`, '__proto__.1.x', `${id}.${exp}.${sig}/../..`]) {
      expect(links.verify(bad).ok).toBe(false);
    }
  });

  it('a signature made with another key, or with the store key itself (not the derived one), is refused', () => {
    const other = new AckLinks(new SecretBox([k2], k2.kid).derivedKeys('ack-link'), { ttlMs: HOUR, clock: () => now });
    expect(links.verify(other.token(42))).toEqual({ ok: false, reason: 'signature' });
    const exp = Math.floor(now / 1000) + 3600;
    const raw = createHmac('sha256', k1.key).update(`netwatch-ack:42:${exp}`).digest('base64url');
    expect(links.verify(`42.${exp}.${raw}`)).toEqual({ ok: false, reason: 'signature' });
    // Single purpose: keys derived for another purpose differ.
    expect(box.derivedKeys('ack-link')[0]!.equals(box.derivedKeys('something-else')[0]!)).toBe(false);
  });

  it('links signed before a key rotation still verify while the old key is held', () => {
    const rotated = new SecretBox([k1, k2], k2.kid);
    const after = new AckLinks(rotated.derivedKeys('ack-link'), { ttlMs: HOUR, clock: () => now });
    expect(after.verify(links.token(7))).toMatchObject({ ok: true, alarmId: 7 });
    expect(links.verify(after.token(7))).toEqual({ ok: false, reason: 'signature' });
  });

  it('no public address, no link', () => {
    expect(new AckLinks(box.derivedKeys('ack-link'), { ttlMs: HOUR }).url(1)).toBeUndefined();
  });
});
