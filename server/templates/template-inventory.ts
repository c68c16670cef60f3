import type { RawValue } from '../contracts/templates.js';
import type { InventoryClass, InventoryItem } from '../contracts/inventory.js';
import type { CompiledTable } from './template-compile.js';
import type { ColumnRef } from './template.schema.js';
import { refText, type TableState } from './template-state.js';
import { numberOf } from './template-values.js';

/** Inventory items from the rows of a template table that declares `inventory`. */

const PHYSICAL_CLASS: ReadonlyMap<number, InventoryClass> = new Map([
  [1, 'other'], [2, 'unknown'], [3, 'chassis'], [4, 'backplane'], [5, 'container'], [6, 'powerSupply'], [7, 'fan'], [8, 'sensor'],
  [9, 'module'], [10, 'port'], [11, 'stack'], [12, 'cpu'], [13, 'energyObject'], [14, 'battery'], [15, 'storageDrive'],
]);

export function inventoryItem(tab: CompiledTable, ts: TableState, idx: string, columns: Map<string, Map<string, RawValue>>): InventoryItem {
  const inv = tab.def.inventory!;
  const row = ts.static.get(idx);
  const txt = (ref: ColumnRef | undefined) => {
    const v = refText(ts, row ?? new Map(), idx, columns, ref);
    return v === null || v.trim() === '' ? null : v.trim();
  };
  let cls: InventoryClass = 'unknown';
  if (typeof inv.class === 'string') cls = inv.class;
  else if (inv.class !== undefined) {
    const col = typeof inv.class === 'number' ? inv.class : inv.class.column;
    const n = numberOf(row?.get(col));
    const map = typeof inv.class === 'object' && inv.class.map ? new Map(Object.entries(inv.class.map)) : null;
    cls = (n === null ? undefined : map ? map.get(String(n)) : PHYSICAL_CLASS.get(n)) ?? 'unknown';
  }
  const parent = inv.parentIndex !== undefined ? numberOf(row?.get(inv.parentIndex)) : null;
  const fru = inv.fru !== undefined ? numberOf(row?.get(inv.fru)) : null;
  return {
    index: idx,
    parentIndex: parent === null || parent === 0 ? null : String(parent),
    class: cls,
    name: txt(inv.name),
    descr: txt(inv.descr),
    model: txt(inv.model),
    serial: txt(inv.serial),
    hardwareRev: txt(inv.hardwareRev),
    firmwareRev: txt(inv.firmwareRev),
    softwareRev: txt(inv.softwareRev),
    manufacturer: txt(inv.manufacturer),
    fru: fru === 1 ? true : fru === 2 ? false : null,
  };
}
