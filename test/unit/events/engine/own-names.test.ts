import { describe, expect, it } from 'vitest';
import { parseSyslog } from '../../../../server/collectors/syslog/syslog.parser.js';
import { EventContext } from '../../../../server/events/engine/event-context.js';
import { RuleSet } from '../../../../server/events/engine/rule-set.js';
import { compileTemplate, mapScope } from '../../../../server/events/engine/template.js';
import { ev, linkTrap, rule } from './helpers.js';

/**
 * Rules, conditions and templates read only what an event carries: a name such
 * as constructor, __proto__, prototype or toString finds the event's own data
 * under that name, or nothing, never what every object inherits.
 */
const NAMES = ['constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const attack = () => parseSyslog(Buffer.from('<14>1 2026-12-06T00:00:00Z h app - - [__proto__ user="x" role="admin"][constructor name="c"] hi'), { receivedAt: 1, sourceAddress: '192.0.2.9' });

describe('rule engine names', () => {
  it('renders templates naming inherited properties as empty text when the event does not carry them', () => {
    const ctx = new EventContext(ev({ params: { ifName: 'Gi0/1' } }), undefined);
    for (const n of NAMES) {
      for (const v of [n, `params.${n}`, `params.ifName.${n}`, `varbind.${n}`, `params.structuredData.${n}`]) {
        expect(compileTemplate(`[{${v}}]`)(ctx), v).toBe('[]');
      }
    }
    // Through a trap's varbinds too.
    const trap = new EventContext(linkTrap('down', 3), undefined);
    for (const n of NAMES) expect(compileTemplate(`[{${n}}|{varbind.${n}}|{params.varbinds.0.${n}}]`)(trap), n).toBe('[||]');
  });

  it('renders the event’s own data under those names (a structured-data element called __proto__)', () => {
    const ctx = new EventContext(attack(), undefined);
    expect(compileTemplate('{params.structuredData.__proto__.user}/{params.structuredData.__proto__.role}/{params.structuredData.constructor.name}')(ctx)).toBe('x/admin/c');
    expect(compileTemplate('{params.structuredData.__proto__.constructor}')(ctx)).toBe('');
    // After the JSON round trip of the store (an own "__proto__" key on an ordinary object).
    const stored = JSON.parse(JSON.stringify(attack())) as ReturnType<typeof attack>;
    expect(compileTemplate('{params.structuredData.__proto__.user}')(new EventContext(stored, undefined))).toBe('x');
    expect(({} as Record<string, unknown>).user).toBeUndefined();
  });

  it('reads regex captures and threshold values as own data only', () => {
    const ctx = new EventContext(ev(), undefined);
    ctx.captures = { state: 'down' };
    expect(compileTemplate('{state}[{constructor}][{toString}]')(ctx)).toBe('down[][]');
    expect(compileTemplate('{metric}[{constructor}][{__proto__}]')(mapScope({ metric: 'cpu' }))).toBe('cpu[][]');
  });

  it('never matches a condition on an inherited name, and matches the own one', () => {
    const set = new RuleSet([
      rule({ match: { params: [{ path: 'constructor', op: 'exists' }] }, actions: { disposition: 'drop' } }),
      rule({ match: { params: [{ path: 'toString', op: 'contains', value: 'native' }] }, actions: { disposition: 'drop' } }),
      rule({ match: { params: [{ path: 'structuredData.prototype', op: 'exists' }] }, actions: { disposition: 'drop' } }),
      rule({ match: { syslog: { structuredData: { 'constructor.name': 'Object' } } }, actions: { disposition: 'drop' } }),
      rule({ match: { varbinds: [{ oid: '1.3.6.1.2.1.2.2.1.1', op: 'exists' }], params: [{ path: 'varbinds.0.constructor', op: 'exists' }] }, actions: { disposition: 'drop' } }),
    ]);
    expect(set.evaluate(ev({ params: { structuredData: {} } }), undefined).disposition).toBe('store');
    expect(set.evaluate(linkTrap('down', 3), undefined).disposition).toBe('store');
    expect(set.evaluate(attack(), undefined).disposition).toBe('store');

    const own = new RuleSet([
      rule({ match: { params: [{ path: 'structuredData.__proto__.role', op: 'eq', value: 'admin' }] }, actions: { disposition: 'alarm', reductionKey: 'k:{params.structuredData.__proto__.user}', title: 'role {params.structuredData.__proto__.role}' } }),
    ]);
    const e = attack();
    const d = own.evaluate(e, undefined);
    expect(d).toMatchObject({ disposition: 'alarm', reductionKey: 'k:x' });
    expect(e.params.title).toBe('role admin');
  });

  it('treats a params.severity keyword such as constructor as no severity at all', () => {
    const set = new RuleSet([rule({ match: { syslog: { maxSeverity: 3 } }, actions: { disposition: 'drop' } })]);
    for (const n of NAMES) expect(set.evaluate(ev({ severity: 'info', params: { severity: n } }), undefined).disposition, n).toBe('store');
  });
});
