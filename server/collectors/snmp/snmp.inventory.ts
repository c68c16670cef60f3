import type { Varbind } from 'net-snmp';
import type { InventoryClass, InventoryItem } from '../../contracts/inventory.js';
import { byIndex, type Columns } from './snmp.parse.js';
import { isMissing, toNumber, toText } from './snmp.values.js';
import { inventoryText } from '../../inventory/inventory-text.js';

/** ENTITY-MIB (RFC 6933) entPhysicalEntry columns the inventory reads (no others). */
const ENT = '1.3.6.1.2.1.47.1.1.1.1';
export const ENT_PHYSICAL = {
  descr: `${ENT}.2`,
  vendorType: `${ENT}.3`,
  containedIn: `${ENT}.4`,
  class: `${ENT}.5`,
  parentRelPos: `${ENT}.6`,
  name: `${ENT}.7`,
  hardwareRev: `${ENT}.8`,
  firmwareRev: `${ENT}.9`,
  softwareRev: `${ENT}.10`,
  serialNum: `${ENT}.11`,
  mfgName: `${ENT}.12`,
  modelName: `${ENT}.13`,
  alias: `${ENT}.14`,
  assetID: `${ENT}.15`,
  isFRU: `${ENT}.16`,
} as const;
export const ENTITY_COLUMNS: string[] = Object.values(ENT_PHYSICAL);

/** PhysicalClass values (RFC 6933), 1-based. */
const CLASSES: readonly InventoryClass[] = [
  'other', 'unknown', 'chassis', 'backplane', 'container', 'powerSupply', 'fan', 'sensor', 'module', 'port', 'stack', 'cpu', 'energyObject', 'battery', 'storageDrive',
];

const classOf = (n: number | null): InventoryClass => (n !== null && Number.isInteger(n) && n >= 1 && n <= CLASSES.length ? CLASSES[n - 1]! : 'unknown');

const oidText = (vb: Varbind | undefined): string | null => {
  if (isMissing(vb)) return null;
  const v = vb!.value;
  return typeof v === 'string' && /^\d+(\.\d+)*$/.test(v) ? v : toText(vb);
};

/**
 * entPhysicalTable rows as inventory items, in index order. Only integer
 * indexes 1..2^31-1 are rows (anything else an agent sends is dropped);
 * entPhysicalContainedIn 0 (or a self/absent reference) is the top.
 */
export function parseEntityInventory(cols: Columns): InventoryItem[] {
  const col = new Map<string, Map<string, Varbind>>();
  for (const root of ENTITY_COLUMNS) col.set(root, byIndex(cols.get(root), root));
  const get = (root: string, idx: string) => col.get(root)!.get(idx);
  const indexes = new Set<string>();
  for (const m of col.values()) for (const k of m.keys()) if (/^[1-9]\d{0,9}$/.test(k) && Number(k) <= 2_147_483_647) indexes.add(k);
  const out: InventoryItem[] = [];
  for (const idx of [...indexes].sort((a, b) => Number(a) - Number(b))) {
    const parent = toNumber(get(ENT_PHYSICAL.containedIn, idx));
    const relPos = toNumber(get(ENT_PHYSICAL.parentRelPos, idx));
    const fru = toNumber(get(ENT_PHYSICAL.isFRU, idx));
    out.push({
      index: idx,
      parentIndex: parent !== null && Number.isInteger(parent) && parent > 0 && String(parent) !== idx ? String(parent) : null,
      class: classOf(toNumber(get(ENT_PHYSICAL.class, idx))),
      name: inventoryText(toText(get(ENT_PHYSICAL.name, idx))),
      descr: inventoryText(toText(get(ENT_PHYSICAL.descr, idx))),
      model: inventoryText(toText(get(ENT_PHYSICAL.modelName, idx))),
      serial: inventoryText(toText(get(ENT_PHYSICAL.serialNum, idx))),
      hardwareRev: inventoryText(toText(get(ENT_PHYSICAL.hardwareRev, idx))),
      firmwareRev: inventoryText(toText(get(ENT_PHYSICAL.firmwareRev, idx))),
      softwareRev: inventoryText(toText(get(ENT_PHYSICAL.softwareRev, idx))),
      manufacturer: inventoryText(toText(get(ENT_PHYSICAL.mfgName, idx))),
      fru: fru === 1 ? true : fru === 2 ? false : null,
      vendorType: inventoryText(oidText(get(ENT_PHYSICAL.vendorType, idx))),
      parentRelPos: relPos !== null && Number.isInteger(relPos) ? relPos : null,
      alias: inventoryText(toText(get(ENT_PHYSICAL.alias, idx))),
      assetId: inventoryText(toText(get(ENT_PHYSICAL.assetID, idx))),
    });
  }
  return out;
}
