import * as snmp from 'net-snmp';
import type { Varbind } from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { ENT_PHYSICAL, ENTITY_COLUMNS, parseEntityInventory } from '../../../../server/collectors/snmp/snmp.inventory.js';

const T = snmp.ObjectType;
const vb = (oid: string, type: number, value: unknown): Varbind => ({ oid, type, value }) as Varbind;
const cols = (rows: [string, string, number, unknown][]) => {
  const m = new Map<string, Varbind[]>(ENTITY_COLUMNS.map((c) => [c, []]));
  for (const [col, idx, type, value] of rows) m.get(col)!.push(vb(`${col}.${idx}`, type, value));
  return m;
};

describe('ENTITY-MIB entPhysicalTable parsing', () => {
  it('turns rows into items: classes, parents, FRU, vendor type, empty texts as null', () => {
    const items = parseEntityInventory(cols([
      [ENT_PHYSICAL.class, '1', T.Integer, 3], [ENT_PHYSICAL.containedIn, '1', T.Integer, 0], [ENT_PHYSICAL.name, '1', T.OctetString, Buffer.from('Chassis')],
      [ENT_PHYSICAL.serialNum, '1', T.OctetString, Buffer.from('  FOX123  ')], [ENT_PHYSICAL.isFRU, '1', T.Integer, 2], [ENT_PHYSICAL.vendorType, '1', T.OID, '1.3.6.1.4.1.9.12.3.1.3.1'],
      [ENT_PHYSICAL.class, '2', T.Integer, 6], [ENT_PHYSICAL.containedIn, '2', T.Integer, 1], [ENT_PHYSICAL.modelName, '2', T.OctetString, Buffer.from('')],
      [ENT_PHYSICAL.isFRU, '2', T.Integer, 1], [ENT_PHYSICAL.parentRelPos, '2', T.Integer, 2],
    ]));
    expect(items).toEqual([
      expect.objectContaining({ index: '1', parentIndex: null, class: 'chassis', name: 'Chassis', serial: 'FOX123', fru: false, vendorType: '1.3.6.1.4.1.9.12.3.1.3.1' }),
      expect.objectContaining({ index: '2', parentIndex: '1', class: 'powerSupply', model: null, fru: true, parentRelPos: 2, name: null }),
    ]);
  });

  it('drops rows whose index is not an entPhysicalIndex and never makes a component its own parent', () => {
    const items = parseEntityInventory(cols([
      [ENT_PHYSICAL.class, '1.5', T.Integer, 9], [ENT_PHYSICAL.class, '0', T.Integer, 9], [ENT_PHYSICAL.class, '4294967295', T.Integer, 9],
      [ENT_PHYSICAL.class, '7', T.Integer, 42], [ENT_PHYSICAL.containedIn, '7', T.Integer, 7],
      [ENT_PHYSICAL.class, '10', T.Integer, 10], [ENT_PHYSICAL.containedIn, '10', T.Integer, -3],
    ]));
    expect(items.map((i) => [i.index, i.class, i.parentIndex])).toEqual([['7', 'unknown', null], ['10', 'port', null]]);
  });

  it('an agent without the table gives an empty inventory', () => {
    expect(parseEntityInventory(new Map())).toEqual([]);
    expect(parseEntityInventory(cols([[ENT_PHYSICAL.class, '1', T.NoSuchObject, null]]))).toEqual([]);
  });
});
