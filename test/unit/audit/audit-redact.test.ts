import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from '../../../server/audit/audit-redact.js';

describe('audit redaction', () => {
  it('replaces secrets wherever they are nested, and keeps the flags that say a secret is set', () => {
    const out = redactSecrets({
      name: 'core-sw1',
      snmp: { community: 'public-rw', authKey: 'auth-secret', privKey: 'priv-secret', authKeySet: true, communitySet: true },
      config: { secret: 'hmac', headers: { Authorization: 'Bearer x' }, password: 'smtp-pass', url: 'https://hooks.slack.com/services/T0/B0/XYZ' },
      users: [{ username: 'bob', password: 'hunter2' }],
      trapCommunities: 'public,private',
    }) as any;
    const text = JSON.stringify(out);
    for (const s of ['public-rw', 'auth-secret', 'priv-secret', 'hmac', 'Bearer x', 'smtp-pass', 'XYZ', 'hunter2', 'private']) expect(text).not.toContain(s);
    expect(out.snmp).toMatchObject({ community: REDACTED, authKeySet: true, communitySet: true });
    expect(out.config.url).toBe(`https://hooks.slack.com/${REDACTED}`);
    expect(out.users[0].username).toBe('bob');
    expect(out.name).toBe('core-sw1');
  });

  it('keeps __proto__ and constructor as ordinary data and never touches Object.prototype', () => {
    const hostile = JSON.parse('{"__proto__": {"role": "admin"}, "constructor": {"prototype": {"user": "x"}}}');
    const out = redactSecrets(hostile) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    expect(({} as Record<string, unknown>).user).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"role":"admin"},"constructor":{"prototype":{"user":"x"}}}');
  });

  it('leaves empty and null secrets as they are (an auditor sees a secret was cleared)', () => {
    expect(redactSecrets({ community: null, secret: '' })).toEqual({ community: null, secret: '' });
  });
});
