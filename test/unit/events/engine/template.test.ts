import { describe, expect, it } from 'vitest';
import { EventContext } from '../../../../server/events/engine/event-context.js';
import { compileTemplate } from '../../../../server/events/engine/template.js';
import { ev, linkTrap } from './helpers.js';

const device = { id: 7, name: 'core1', address: '192.0.2.1', group: 'core', tags: ['dc1'] };

describe('templates', () => {
  it('renders device fields, params paths, and regex captures', () => {
    const ctx = new EventContext(ev({ deviceId: 7, params: { ifName: 'Gi0/1', nested: { a: 5 } } }), device);
    ctx.captures = { state: 'down' };
    expect(compileTemplate('{device.name}: {ifName} {state} ({params.nested.a}) [{device.group}]')(ctx)).toBe('core1: Gi0/1 down (5) [core]');
  });

  it('reads varbinds by MIB name, by numeric OID prefix and through the resolver hook', () => {
    const e = linkTrap('down', 3);
    const ctx = new EventContext(e, undefined, (n) => (n === 'myOperStatus' ? '1.3.6.1.2.1.2.2.1.8' : undefined));
    expect(compileTemplate('{ifIndex}|{varbind.1.3.6.1.2.1.2.2.1.7}|{varbind.myOperStatus}|{varbind.ifOperStatus}')(ctx)).toBe('3|1|2|2');
    expect(compileTemplate('linkDown:{deviceOrSource}:{ifIndex}')(ctx)).toBe('linkDown:192.0.2.1:3');
  });

  it('uses the device id as deviceOrSource when known, the sender otherwise', () => {
    expect(compileTemplate('{deviceOrSource}')(new EventContext(ev({ deviceId: 7 }), device))).toBe('7');
    expect(compileTemplate('{device.name}')(new EventContext(ev(), undefined))).toBe('192.0.2.1');
  });

  it('renders missing variables as empty text and keeps doubled braces literal', () => {
    const ctx = new EventContext(ev(), undefined);
    expect(compileTemplate('[{nope}] {{literal}}')(ctx)).toBe('[] {literal}');
  });
});
