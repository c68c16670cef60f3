import { describe, expect, it } from 'vitest';
import { OutboundPolicy, parseCidrList } from '../../../server/net/outbound-policy.js';

describe('outbound policy', () => {
  const defaults = new OutboundPolicy();

  it.each(['169.254.169.254', '169.254.1.1', '100.100.100.200', 'fd00:ec2::254', 'fe80::1', 'fe80::1%eth0', '0.0.0.0', '::', '224.0.0.1', '255.255.255.255'])(
    'denies %s by default, for notifications and devices alike',
    (ip) => {
      for (const scope of ['notify', 'device'] as const) {
        const v = defaults.check(scope, ip);
        expect(v.allowed, `${scope} ${ip}`).toBe(false);
        expect(v.rule?.source).toBe('default');
      }
    },
  );

  it.each(['127.0.0.1', '::1', '10.1.2.3', '172.16.0.1', '192.168.1.1', 'fd12::1', '192.0.2.10', '2001:db8::1'])('allows %s by default (devices and relays live there)', (ip) => {
    expect(defaults.check('notify', ip).allowed).toBe(true);
    expect(defaults.check('device', ip).allowed).toBe(true);
  });

  it('checks IPv4-mapped and NAT64 IPv6 forms as the IPv4 address they carry', () => {
    expect(defaults.check('notify', '::ffff:169.254.169.254')).toMatchObject({ allowed: false, address: '169.254.169.254' });
    expect(defaults.check('notify', '::ffff:a9fe:a9fe')).toMatchObject({ allowed: false, address: '169.254.169.254' });
    expect(defaults.check('notify', '64:ff9b::a9fe:a9fe')).toMatchObject({ allowed: false, address: '169.254.169.254' });
    const p = new OutboundPolicy({ deny: ['127.0.0.0/8'] });
    expect(p.check('notify', '::ffff:127.0.0.1').allowed).toBe(false);
  });

  it('denies what is not an IP address', () => {
    expect(defaults.check('notify', 'example.com').allowed).toBe(false);
    expect(defaults.check('notify', '').allowed).toBe(false);
  });

  it('lets the most specific rule decide: a narrower allow opens a hole in a wider deny, and back', () => {
    const p = new OutboundPolicy({ deny: ['10.0.0.0/8', '10.1.2.3'], allow: ['10.1.2.0/24'] });
    expect(p.check('device', '10.9.9.9')).toMatchObject({ allowed: false, rule: { cidr: '10.0.0.0/8', source: 'outboundDeny' } });
    expect(p.check('device', '10.1.2.4')).toMatchObject({ allowed: true, rule: { cidr: '10.1.2.0/24', source: 'outboundAllow' } });
    expect(p.check('device', '10.1.2.3')).toMatchObject({ allowed: false, rule: { cidr: '10.1.2.3', source: 'outboundDeny' } });
    expect(p.check('device', '192.168.0.1')).toMatchObject({ allowed: true, rule: null });
  });

  it('lets deny win over allow for the same range, and an administrator rule win over a built-in one', () => {
    expect(new OutboundPolicy({ deny: ['192.0.2.0/24'], allow: ['192.0.2.0/24'] }).check('notify', '192.0.2.1').allowed).toBe(false);
    const p = new OutboundPolicy({ allow: ['169.254.10.0/24'] });
    expect(p.check('notify', '169.254.169.254').allowed).toBe(false);
    expect(p.check('device', '169.254.10.7')).toMatchObject({ allowed: true, rule: { source: 'outboundAllow' } });
    expect(p.check('device', '169.254.11.7').allowed).toBe(false);
    // Same length as the built-in metadata rule: the administrator's allow decides.
    expect(new OutboundPolicy({ allow: ['100.100.100.200/32'] }).check('notify', '100.100.100.200').allowed).toBe(true);
  });

  it('turns an allow list into the only reachable ranges when everything else is denied', () => {
    const p = new OutboundPolicy({ deny: ['0.0.0.0/0', '::/0'], allow: ['10.20.0.0/16', '2001:db8:1::/48'] });
    expect(p.check('device', '10.20.3.4').allowed).toBe(true);
    expect(p.check('device', '10.21.3.4').allowed).toBe(false);
    expect(p.check('device', '127.0.0.1').allowed).toBe(false);
    expect(p.check('device', '2001:db8:1::9').allowed).toBe(true);
    expect(p.check('device', '2001:db8:2::9').allowed).toBe(false);
  });

  it('says which rule refused, and how to change it', () => {
    const p = new OutboundPolicy({ deny: ['127.0.0.0/8'] });
    expect(() => p.assertAllowed('notify', '127.0.0.1', 'http://127.0.0.1:9')).toThrow(/http:\/\/127\.0\.0\.1:9 is denied by outboundDeny 127\.0\.0\.0\/8/);
    expect(() => defaults.assertAllowed('device', '169.254.169.254')).toThrow(/built-in deny 169\.254\.0\.0\/16 .*metadata/);
  });

  it('parses comma-separated CIDR lists and names a bad entry', () => {
    expect(parseCidrList(' 10.0.0.0/8, fd00::/8 ,192.0.2.7,, ')).toEqual(['10.0.0.0/8', 'fd00::/8', '192.0.2.7']);
    expect(parseCidrList('')).toEqual([]);
    expect(() => parseCidrList('10.0.0.0/8,10.0.0.0/33')).toThrow(/"10\.0\.0\.0\/33" is not an IPv4 or IPv6 CIDR/);
    expect(() => parseCidrList('example.com')).toThrow(/"example\.com"/);
  });
});
