import { describe, expect, it } from 'vitest';
import { RuleSet } from '../../../../server/events/engine/rule-set.js';
import { compileEventRule } from '../../../../server/events/engine/rule-compiler.js';
import { DEFAULT_RULES } from '../../../../server/events/engine/default-rules.js';
import type { RuleDto } from '../../../../server/contracts/alarms.js';
import { ev, linkTrap, rule } from './helpers.js';

const device = { id: 7, name: 'core1', address: '192.0.2.1', group: 'core', tags: ['dc1'] };
const defaults = (): RuleDto[] =>
  DEFAULT_RULES.map((r, i) => ({ id: 1000 + i, name: r.name, description: '', enabled: true, position: 1000 + i, builtinKey: r.key, body: r.body, createdAt: 0, updatedAt: 0 }));

describe('rule evaluation', () => {
  it('applies the first matching rule in position order and stops there', () => {
    const set = new RuleSet([
      rule({ match: { sources: ['syslog'] }, actions: { disposition: 'store', severity: 'minor' } }),
      rule({ match: {}, actions: { disposition: 'drop' } }),
    ]);
    const e = ev();
    expect(set.evaluate(e, undefined).disposition).toBe('store');
    expect(e.severity).toBe('minor');
    expect(set.evaluate(ev({ source: 'trap' }), undefined).disposition).toBe('drop');
  });

  it('keeps evaluating after a rule marked continue, later rules overriding', () => {
    const set = new RuleSet([
      rule({ match: {}, actions: { severity: 'warning', title: 'first {message}', continue: true } }),
      rule({ match: { minSeverity: 'warning' }, actions: { disposition: 'alarm', reductionKey: 'k:{type}' } }),
    ]);
    const e = ev();
    const d = set.evaluate(e, undefined);
    expect(d).toMatchObject({ disposition: 'alarm', reductionKey: 'k:test' });
    expect(e.params.title).toBe('first hello');
  });

  it('matches devices by id, group and tag', () => {
    const set = new RuleSet([
      rule({ match: { groups: ['core'], tags: ['dc1'], deviceIds: [7] }, actions: { disposition: 'drop' } }),
    ]);
    expect(set.evaluate(ev({ deviceId: 7 }), device).disposition).toBe('drop');
    expect(set.evaluate(ev({ deviceId: 7 }), { ...device, group: 'edge' }).disposition).toBe('store');
    expect(set.evaluate(ev({ deviceId: 8 }), { ...device, id: 8 }).disposition).toBe('store');
  });

  it('matches trap OIDs exactly or by prefix, by number or MIB name, and varbind values', () => {
    const set = new RuleSet([
      rule({ match: { trapOid: 'linkDown', varbinds: [{ oid: 'ifIndex', op: 'eq', value: 4 }] }, actions: { disposition: 'drop' } }),
      rule({ match: { trapOidPrefix: '1.3.6.1.6.3.1.1.5' }, actions: { disposition: 'store', severity: 'warning' } }),
    ]);
    expect(set.evaluate(linkTrap('down', 4), undefined).disposition).toBe('drop');
    const other = linkTrap('down', 3);
    expect(set.evaluate(other, undefined).disposition).toBe('store');
    expect(other.severity).toBe('warning');
    expect(set.evaluate(ev({ source: 'trap', type: '1.3.6.1.6.3.1.1.50' }), undefined).ruleId).toBeNull();
  });

  it('matches syslog facility, severity, app-name, structured data and generic params', () => {
    const set = new RuleSet([
      rule({
        match: {
          syslog: { facilities: ['local7'], maxSeverity: 3, appName: 'sshd', structuredData: { 'origin.ip': '10.0.0.1' } },
          params: [{ path: 'hostname', op: 'prefix', value: 'edge-' }],
        },
        actions: { disposition: 'drop' },
      }),
    ]);
    const params = { facility: 23, severityNumber: 2, appName: 'sshd', hostname: 'edge-7', structuredData: { origin: { ip: '10.0.0.1' } } };
    expect(set.evaluate(ev({ params }), undefined).disposition).toBe('drop');
    expect(set.evaluate(ev({ params: { ...params, severityNumber: 5 } }), undefined).disposition).toBe('store');
    expect(set.evaluate(ev({ params: { ...params, facility: 'local6' } }), undefined).disposition).toBe('store');
    const { severityNumber: _n, ...keyword } = params;
    expect(set.evaluate(ev({ params: { ...keyword, severity: 'crit' } }), undefined).disposition).toBe('drop');
    expect(set.evaluate(ev({ params: { ...keyword, severity: 'notice' } }), undefined).disposition).toBe('store');
  });

  it('counts a rate rule only from the N-th matching event within the window', () => {
    const set = new RuleSet([rule({ match: { message: 'login failed', rate: { count: 3, windowSec: 60 } }, actions: { disposition: 'alarm', reductionKey: 'bruteforce:{deviceOrSource}' } })]);
    const at = (s: number) => ev({ message: 'login failed for root', receivedAt: 1_700_000_000_000 + s * 1000 });
    expect([0, 10, 20, 30].map((s) => set.evaluate(at(s), undefined).disposition)).toEqual(['store', 'store', 'alarm', 'alarm']);
    // 100 s later the window holds only one hit again.
    expect(set.evaluate(at(130), undefined).disposition).toBe('store');
    expect(set.evaluate(ev({ message: 'login failed', sourceAddress: '192.0.2.99', receivedAt: 1_700_000_031_000 }), undefined).disposition).toBe('store');
  });

  it('skips a rule that no longer compiles and reports it', () => {
    const set = new RuleSet([rule({ match: { trapOid: 'NO-SUCH-MIB::thing' }, actions: { disposition: 'drop' } })]);
    expect(set.size).toBe(0);
    expect(set.broken[0]!.error).toMatch(/unknown MIB name/);
  });

  it('refuses bodies with a regex the linear-time engine cannot run, or a missing reduction key', () => {
    expect(() => compileEventRule(1, 'x', { kind: 'event', match: { message: '(?<=user )root' }, actions: { disposition: 'store' } })).toThrow(/match\.message: lookahead/);
    expect(() => compileEventRule(1, 'x', { kind: 'event', match: { varbinds: [{ oid: '1.3.6.1.2.1.1.5.0', op: 'regex', value: '(a)\\1' }] }, actions: {} })).toThrow(/match\.varbinds\.0: .*back-references/);
    expect(() => compileEventRule(1, 'x', { kind: 'event', match: {}, actions: { disposition: 'alarm' } })).toThrow(/reductionKey/);
    expect(() => compileEventRule(1, 'x', { kind: 'event', match: { params: [{ path: 'x', op: 'gt', value: 'abc' }] }, actions: {} })).toThrow(/needs a number/);
  });

  describe('default pack', () => {
    const set = new RuleSet(defaults());

    it('raises and clears linkDown/linkUp traps under the same ifIndex key', () => {
      const down = linkTrap('down', 3, { deviceId: 7 });
      expect(set.evaluate(down, device)).toMatchObject({ disposition: 'alarm', reductionKey: 'linkDown:7:3' });
      expect(down.params.title).toBe('core1: interface 3 down');
      expect(down.severity).toBe('major');
      expect(set.evaluate(linkTrap('up', 3, { deviceId: 7 }), device)).toMatchObject({ disposition: 'clear', clearKey: 'linkDown:7:3' });
      expect(set.evaluate(ev({ source: 'poll', type: 'interface.up', deviceId: 7, params: { ifIndex: 3, ifName: 'Gi0/3' } }), device)).toMatchObject({ clearKey: 'linkDown:7:3' });
    });

    it('classifies Cisco %LINK-3-UPDOWN lines with named captures before the generic syslog rule', () => {
      const down = ev({ message: '%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down', params: { severityNumber: 3 } });
      expect(set.evaluate(down, undefined)).toMatchObject({ disposition: 'alarm', reductionKey: 'linkDown:192.0.2.1:GigabitEthernet0/1' });
      const up = ev({ message: '%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to up', params: { severityNumber: 3 } });
      expect(set.evaluate(up, undefined)).toMatchObject({ disposition: 'clear', clearKey: 'linkDown:192.0.2.1:GigabitEthernet0/1' });
      expect(set.evaluate(ev({ type: 'kernel', params: { severityNumber: 2 } }), undefined)).toMatchObject({ reductionKey: 'syslog:192.0.2.1:kernel' });
      expect(set.evaluate(ev({ params: { severityNumber: 5 } }), undefined).disposition).toBe('store');
    });

    it('covers device down/up, SNMP reachability, restarts and authentication failures', () => {
      expect(set.evaluate(ev({ source: 'icmp', type: 'icmp.down' }), undefined).reductionKey).toBe('nodeDown:192.0.2.1');
      expect(set.evaluate(ev({ source: 'icmp', type: 'icmp.up' }), undefined).clearKey).toBe('nodeDown:192.0.2.1');
      expect(set.evaluate(ev({ source: 'poll', type: 'snmp.unreachable' }), undefined).reductionKey).toBe('snmpUnreachable:192.0.2.1');
      expect(set.evaluate(ev({ source: 'trap', type: '1.3.6.1.6.3.1.1.5.1' }), undefined).reductionKey).toBe('restart:192.0.2.1');
      expect(set.evaluate(ev({ source: 'trap', type: '1.3.6.1.6.3.1.1.5.5' }), undefined).reductionKey).toBe('authFailure:192.0.2.1');
      expect(set.evaluate(ev({ source: 'trap', type: 'snmp.authenticationFailure' }), undefined).reductionKey).toBe('authFailure:192.0.2.1');
      expect(set.evaluate(ev({ source: 'poll', type: 'snmp.authFailure' }), undefined).reductionKey).toBe('snmpUnreachable:192.0.2.1');
      expect(set.evaluate(ev({ source: 'poll', type: 'snmp.reachable' }), undefined).clearKey).toBe('snmpUnreachable:192.0.2.1');
      expect(set.evaluate(ev({ source: 'poll', type: 'device.reboot' }), undefined).reductionKey).toBe('restart:192.0.2.1');
    });
  });
});
