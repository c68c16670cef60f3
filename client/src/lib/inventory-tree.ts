import type { InventoryItemDto } from '@contracts/inventory-api';

/** One row of the inventory tree as the table shows it: the item and its depth. */
export interface InventoryRow {
  item: InventoryItemDto;
  depth: number;
  /** Number of components below it (all levels). */
  below: number;
}

const CLASS_LABELS: ReadonlyMap<string, string> = new Map([
  ['chassis', 'Chassis'],
  ['backplane', 'Backplane'],
  ['container', 'Slot'],
  ['powerSupply', 'Power supply'],
  ['fan', 'Fan'],
  ['sensor', 'Sensor'],
  ['module', 'Module'],
  ['port', 'Port'],
  ['stack', 'Stack'],
  ['cpu', 'CPU'],
  ['energyObject', 'Energy object'],
  ['battery', 'Battery'],
  ['storageDrive', 'Storage drive'],
  ['other', 'Other'],
  ['unknown', 'Unknown'],
]);

export const inventoryClassLabel = (cls: string): string => CLASS_LABELS.get(cls) ?? cls;

const numeric = (s: string) => (/^\d+$/.test(s) ? Number(s) : Number.NaN);
function compare(a: InventoryItemDto, b: InventoryItemDto): number {
  const pa = a.parentRelPos ?? Number.MAX_SAFE_INTEGER;
  const pb = b.parentRelPos ?? Number.MAX_SAFE_INTEGER;
  if (pa !== pb) return pa - pb;
  const na = numeric(a.index);
  const nb = numeric(b.index);
  if (!Number.isNaN(na) && !Number.isNaN(nb) && na !== nb) return na - nb;
  return a.index < b.index ? -1 : a.index > b.index ? 1 : 0;
}

/**
 * Depth-first rows of the flat list (chassis → slots → modules → ports → transceivers), per source.
 * A component whose parent is absent is a root; a parent cycle is cut (every item appears once).
 * Indexes come from devices: kept in Maps, never as object keys.
 */
export function inventoryRows(items: InventoryItemDto[]): InventoryRow[] {
  const key = (source: string, index: string) => `${source}\u0000${index}`;
  const byKey = new Map<string, InventoryItemDto>();
  for (const i of items) byKey.set(key(i.source, i.index), i);
  const children = new Map<string, InventoryItemDto[]>();
  const roots: InventoryItemDto[] = [];
  for (const i of items) {
    const parent = i.parentIndex !== null ? key(i.source, i.parentIndex) : null;
    if (parent !== null && byKey.has(parent) && parent !== key(i.source, i.index)) {
      const list = children.get(parent) ?? [];
      list.push(i);
      children.set(parent, list);
    } else roots.push(i);
  }
  const rows: InventoryRow[] = [];
  const placed = new Set<string>();
  const visit = (i: InventoryItemDto, depth: number): void => {
    const k = key(i.source, i.index);
    if (placed.has(k)) return;
    placed.add(k);
    const row: InventoryRow = { item: i, depth, below: 0 };
    const start = rows.push(row);
    for (const c of [...(children.get(k) ?? [])].sort(compare)) visit(c, depth + 1);
    row.below = rows.length - start;
  };
  const sources = [...new Set(items.map((i) => i.source))].sort((a, b) => (a === 'entity-mib' ? -1 : b === 'entity-mib' ? 1 : a.localeCompare(b)));
  for (const s of sources) for (const r of roots.filter((x) => x.source === s).sort(compare)) visit(r, 0);
  // Whatever only a cycle reaches (a → b → a): shown at the top.
  for (const i of items) if (!placed.has(key(i.source, i.index))) visit(i, 0);
  return rows;
}

/** Rows whose name, description, model or serial contains the text (any case), with their ancestors. */
export function filterRows(rows: InventoryRow[], text: string): InventoryRow[] {
  const q = text.trim().toLowerCase();
  if (!q) return rows;
  const hit = (i: InventoryItemDto) => [i.name, i.descr, i.model, i.serial].some((v) => v !== null && v.toLowerCase().includes(q));
  const keep = new Set<number>();
  const stack: number[] = [];
  rows.forEach((r, n) => {
    while (stack.length && rows[stack[stack.length - 1]!]!.depth >= r.depth) stack.pop();
    if (hit(r.item)) {
      keep.add(n);
      for (const a of stack) keep.add(a);
    }
    stack.push(n);
  });
  return rows.filter((_, n) => keep.has(n));
}
