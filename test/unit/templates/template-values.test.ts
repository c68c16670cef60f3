import * as snmp from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { matchesSystem, oidPrefixMatches } from '../../../server/collectors/snmp/snmp.templates.js';
import type { PollResult } from '../../../server/contracts/poll.js';
import type { InventorySnapshot } from '../../../server/contracts/inventory.js';
import type { RawValue } from '../../../server/contracts/templates.js';
import { compileTemplate } from '../../../server/templates/template-compile.js';
import { TemplateEngine } from '../../../server/templates/template-engine.js';
import { validateTemplate } from '../../../server/templates/template-parse.js';
import { counterOf, indexFrom, numberOf, rateOf, scaleValue, type CounterMemory } from '../../../server/templates/template-values.js';
import { templateRuleId, TemplateService } from '../../../server/templates/template.service.js';

const T = snmp.ObjectType;

describe('template value maths', () => {
  it('scales exactly by powers of ten (milli with precision, kilo, yocto, yotta)', () => {
    expect(scaleValue(1234, -3, 0)).toBe(1.234);
    expect(scaleValue(455, 0, 1)).toBe(45.5);
    expect(scaleValue(-2150, -3, 0)).toBe(-2.15);
    expect(scaleValue(12, 3, 0)).toBe(12000);
    expect(scaleValue(5, -24, 0)).toBe(5e-24);
    expect(scaleValue(5, 24, 2)).toBe(5e22);
  });

  it('indexes another table by the last arc of an OID value, else by the value', () => {
    expect(indexFrom([T.OID, '1.3.6.1.2.1.2.2.1.1.12'])).toBe('12');
    expect(indexFrom([T.Integer, 7])).toBe('7');
    expect(indexFrom([T.OctetString, ''])).toBeNull();
  });

  it('reads numbers from numeric text only', () => {
    expect(numberOf([T.OctetString, ' 42.5 '])).toBe(42.5);
    expect(numberOf([T.OctetString, '42 C'])).toBeNull();
    expect(numberOf([T.Counter64, 2n ** 40n])).toBe(2 ** 40);
  });

  it('undoes one Counter32 wrap, and gives no rate for a Counter64 going back', () => {
    const mem = new Map<string, CounterMemory>();
    expect(rateOf(mem, 'a', counterOf([T.Counter, 4294967000])!, 0)).toBeNull();
    expect(rateOf(mem, 'a', counterOf([T.Counter, 704])!, 10_000)).toBe(100);
    rateOf(mem, 'b', counterOf([T.Counter64, 1000n])!, 0);
    expect(rateOf(mem, 'b', counterOf([T.Counter64, 10n])!, 10_000)).toBeNull();
  });

  it('matches sysObjectID prefixes on whole arcs, vendors and sysDescr case-insensitively', () => {
    expect(oidPrefixMatches('1.3.6.1.4.1.9.', '1.3.6.1.4.1.9.1.516')).toBe(true);
    expect(oidPrefixMatches('1.3.6.1.4.1.9', '1.3.6.1.4.1.90.1')).toBe(false);
    const sys = { sysObjectID: '1.3.6.1.4.1.9.1.516', sysDescr: 'Cisco IOS Software, C3750', vendor: 'Cisco' };
    expect(matchesSystem({ vendor: ['cisco'], sysDescr: 'ios (xe|software)' }, sys)).toBe(true);
    expect(matchesSystem({ vendor: ['juniper'] }, sys)).toBe(false);
    expect(matchesSystem({ sysObjectIdPrefix: ['1.3.6.1.4.1.2636.'] }, sys)).toBe(false);
    expect(matchesSystem({ sysDescr: 'nx-os' }, sys)).toBe(false);
  });
});

describe('template engine bookkeeping', () => {
  const tpl = compileTemplate(
    validateTemplate({
      id: 'inv',
      name: 'Inventory',
      tables: [
        {
          name: 'entPhysicalTable',
          entry: '1.3.6.1.2.1.47.1.1.1.1',
          label: 7,
          inventory: { class: 5, name: 7, descr: 2, parentIndex: 4, serial: 11, model: 13, fru: 16 },
        },
      ],
    }),
    { source: 'file' },
  );
  const col = (c: number, rows: [string, RawValue][]) => ({ oid: `1.3.6.1.2.1.47.1.1.1.1.${c}`, rows });
  const result = (columns: ReturnType<typeof col>[]): PollResult => ({
    address: '127.0.0.1', startedAt: 1_700_000_000_000, durationMs: 1, ok: true, error: null, errors: {}, requests: 1,
    system: { sysName: 'x', sysDescr: 'd', sysObjectID: '1.3.6.1.4.1.9.1.1', enterprise: 9, vendor: 'Cisco', sysUpTimeCs: 1000, sysContact: null, sysLocation: null },
    interfaces: null, host: null, ucd: null, neighbours: null, custom: null,
    templates: { applied: ['inv'], columns, scalars: [], error: null },
  });

  it('turns inventory columns into a snapshot with ENTITY-MIB classes, parents and FRU flags', () => {
    const got: InventorySnapshot[] = [];
    const engine = new TemplateEngine({ templates: () => [tpl], inventory: { ingest: (s) => got.push(s) } });
    const dev = { id: 5, group: null };
    const req = engine.request(dev)!;
    expect(req.columns.map((c) => c.oid).sort()).toEqual(['2', '4', '5', '7', '11', '13', '16'].map((c) => `1.3.6.1.2.1.47.1.1.1.1.${c}`).sort());
    engine.process(
      dev,
      result([
        col(2, [['1', [T.OctetString, 'Chassis']], ['10', [T.OctetString, 'PSU 1']]]),
        col(4, [['1', [T.Integer, 0]], ['10', [T.Integer, 1]]]),
        col(5, [['1', [T.Integer, 3]], ['10', [T.Integer, 6]]]),
        col(7, [['1', [T.OctetString, 'chassis']], ['10', [T.OctetString, 'PS-A']]]),
        col(11, [['1', [T.OctetString, 'FOC123']], ['10', [T.OctetString, '']]]),
        col(13, [['1', [T.OctetString, 'WS-C3850']]]),
        col(16, [['1', [T.Integer, 2]], ['10', [T.Integer, 1]]]),
      ]),
    );
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ deviceId: 5, source: 'inv' });
    expect(got[0]!.items).toEqual([
      { index: '1', parentIndex: null, class: 'chassis', name: 'chassis', descr: 'Chassis', model: 'WS-C3850', serial: 'FOC123', hardwareRev: null, firmwareRev: null, softwareRev: null, manufacturer: null, fru: false },
      { index: '10', parentIndex: '1', class: 'powerSupply', name: 'PS-A', descr: 'PSU 1', model: null, serial: null, hardwareRev: null, firmwareRev: null, softwareRev: null, manufacturer: null, fru: true },
    ]);
  });

  it('derives one built-in threshold rule per template threshold, with stable negative ids, for the devices it applies to', () => {
    const svc = new TemplateService({ dirs: [], log: { info() {}, warn() {}, error() {} } as never });
    expect(svc.rules(new Map())).toEqual([]);
    const a = templateRuleId('x|m|>|90');
    expect(a).toBeLessThan(0);
    expect(templateRuleId('x|m|>|90')).toBe(a);
    expect(templateRuleId('x|m|>|91')).not.toBe(a);
  });
});

describe('template matching follows the device', () => {
  it('matches again when the sysObjectID changes, even after no template applied', () => {
    const tpl = compileTemplate(validateTemplate({ id: 'cisco-only', name: 'C', applies: { sysObjectIdPrefix: ['1.3.6.1.4.1.9.'] }, scalars: [{ name: 'c.x', oid: '1.3.6.1.4.1.9.2.1.58.0' }] }), { source: 'file' });
    const engine = new TemplateEngine({ templates: () => [tpl] });
    const dev = { id: 9, group: null };
    const poll = (sysObjectID: string, applied: string[], at: number): PollResult => ({
      address: '127.0.0.1', startedAt: at, durationMs: 1, ok: true, error: null, errors: {}, requests: 1,
      system: { sysName: 'x', sysDescr: 'd', sysObjectID, enterprise: null, vendor: null, sysUpTimeCs: at / 10, sysContact: null, sysLocation: null },
      interfaces: null, host: null, ucd: null, neighbours: null, custom: null,
      templates: { applied, columns: [], scalars: applied.length ? [{ oid: '1.3.6.1.4.1.9.2.1.58.0', value: [T.Gauge, 7] }] : [], error: null },
    });
    expect(engine.request(dev, 1_000_000)).toBeDefined();
    engine.process(dev, poll('1.3.6.1.4.1.2636.1.1', [], 1_000_000));
    // It did not apply: not asked again until rediscovery...
    expect(engine.request(dev, 1_010_000)).toBeUndefined();
    engine.process(dev, poll('1.3.6.1.4.1.2636.1.1', [], 1_010_000));
    // ...unless the device's identity changes: then it is matched again at the next poll.
    expect(engine.request(dev, 1_020_000)).toBeUndefined();
    engine.process(dev, poll('1.3.6.1.4.1.9.1.516', [], 1_020_000));
    const req = engine.request(dev, 1_030_000);
    expect(req?.templates.map((t) => t.id)).toEqual(['cisco-only']);
    expect(engine.process(dev, poll('1.3.6.1.4.1.9.1.516', ['cisco-only'], 1_030_000)).map((s) => [s.metric, s.value])).toEqual([['c.x', 7]]);
  });
});
