import { describe, expect, it } from 'vitest';
import type { InventoryItemDto } from '../../../server/contracts/inventory-api.js';
import { filterRows, inventoryRows } from '../../../client/src/lib/inventory-tree.js';

const item = (index: string, parentIndex: string | null, extra: Partial<InventoryItemDto> = {}): InventoryItemDto => ({
  index, parentIndex, class: 'module', name: `n${index}`, descr: null, model: null, serial: null, hardwareRev: null, firmwareRev: null, softwareRev: null,
  manufacturer: null, fru: null, source: 'entity-mib', firstSeen: 0, lastSeen: 0, ...extra,
});
const shape = (items: InventoryItemDto[]) => inventoryRows(items).map((r) => `${'  '.repeat(r.depth)}${r.item.index}(${r.below})`);

describe('inventory tree', () => {
  it('nests chassis, slots, modules and ports, ordered by position in the parent', () => {
    const items = [
      item('10', '1', { parentRelPos: 2 }), item('1', null), item('3', '1', { parentRelPos: 1 }), item('4', '3'), item('6', '4', { parentRelPos: 2 }), item('5', '4', { parentRelPos: 1 }),
    ];
    expect(shape(items)).toEqual(['1(5)', '  3(3)', '    4(2)', '      5(0)', '      6(0)', '  10(0)']);
  });

  it('shows orphans and cycles at the top, every item once, and takes __proto__ as an ordinary index', () => {
    const items = [item('a', 'b'), item('b', 'a'), item('__proto__', 'gone'), item('x', 'x'), item('c', '__proto__')];
    const rows = inventoryRows(items);
    expect(rows.map((r) => r.item.index).sort()).toEqual(['__proto__', 'a', 'b', 'c', 'x']);
    expect(shape(items)).toContain('__proto__(1)');
    expect(shape(items)).toContain('  c(0)');
  });

  it('keeps template sources apart from ENTITY-MIB even with the same indexes', () => {
    const items = [item('1', null, { source: 'tpl-x' }), item('2', '1', { source: 'tpl-x' }), item('1', null), item('2', null)];
    expect(inventoryRows(items).map((r) => `${r.item.source}:${r.item.index}@${r.depth}`)).toEqual(['entity-mib:1@0', 'entity-mib:2@0', 'tpl-x:1@0', 'tpl-x:2@1']);
  });

  it('filters by serial or model and keeps the path to each hit', () => {
    const rows = inventoryRows([item('1', null), item('2', '1'), item('3', '2', { serial: 'ABC123' }), item('4', '1', { model: 'other' })]);
    expect(filterRows(rows, 'abc').map((r) => r.item.index)).toEqual(['1', '2', '3']);
    expect(filterRows(rows, '  ').length).toBe(4);
  });
});
