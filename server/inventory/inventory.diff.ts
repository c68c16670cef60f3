import type { InventoryClass, InventoryItem } from '../contracts/inventory.js';
import { INVENTORY_TRACKED_FIELDS, type InventoryChangeField } from '../contracts/inventory-api.js';
import type { StoredInventoryItem } from '../store/inventory.repository.js';

export const INVENTORY_CLASSES: ReadonlySet<InventoryClass> = new Set<InventoryClass>([
  'other', 'unknown', 'chassis', 'backplane', 'container', 'powerSupply', 'fan', 'sensor', 'module', 'port', 'stack', 'cpu', 'energyObject', 'battery', 'storageDrive',
]);

const ALL_FIELDS = ['parentIndex', 'class', 'name', 'descr', 'model', 'serial', 'hardwareRev', 'firmwareRev', 'softwareRev', 'manufacturer', 'fru', 'vendorType', 'parentRelPos', 'alias', 'assetId'] as const;

/** True when the stored row is present and holds exactly the item's values (nothing to write but last_seen). */
export function sameAsStored(stored: StoredInventoryItem | undefined, item: InventoryItem): boolean {
  if (!stored || stored.removedAt !== null) return false;
  for (const f of ALL_FIELDS) if ((stored[f] ?? null) !== (item[f] ?? null)) return false;
  return true;
}

export interface InventoryDiff {
  added: InventoryItem[];
  removed: StoredInventoryItem[];
  changed: { before: StoredInventoryItem; after: InventoryItem; changes: InventoryChangeField[] }[];
}

/**
 * What a snapshot changes against what is stored for the same (device, source).
 * A stored component marked removed that is in the snapshot again is `added`.
 * Only serial, model and revisions make a `changed`; names and descriptions
 * are updated without an event.
 */
export function diffInventory(stored: Map<string, StoredInventoryItem>, next: InventoryItem[]): InventoryDiff {
  const out: InventoryDiff = { added: [], removed: [], changed: [] };
  const seen = new Set<string>();
  for (const item of next) {
    seen.add(item.index);
    const before = stored.get(item.index);
    if (!before || before.removedAt !== null) {
      out.added.push(item);
      continue;
    }
    const changes: InventoryChangeField[] = [];
    for (const field of INVENTORY_TRACKED_FIELDS) {
      if ((before[field] ?? null) !== (item[field] ?? null)) changes.push({ field, old: before[field] ?? null, new: item[field] ?? null });
    }
    if (changes.length) out.changed.push({ before, after: item, changes });
  }
  for (const [index, before] of stored) if (!seen.has(index) && before.removedAt === null) out.removed.push(before);
  return out;
}
