import { describe, expect, it } from 'vitest';
import type { InventoryItem } from '../../../server/contracts/inventory.js';
import { diffInventory } from '../../../server/inventory/inventory.diff.js';
import type { StoredInventoryItem } from '../../../server/store/inventory.repository.js';

const item = (index: string, extra: Partial<InventoryItem> = {}): InventoryItem => ({
  index, parentIndex: null, class: 'module', name: `m${index}`, descr: null, model: 'M', serial: `S${index}`, hardwareRev: null, firmwareRev: '1.0', softwareRev: null, manufacturer: null, fru: true, ...extra,
});
const stored = (items: (InventoryItem & { removedAt?: number | null })[]) =>
  new Map<string, StoredInventoryItem>(items.map((i) => [i.index, { ...i, firstSeen: 1, lastSeen: 1, removedAt: i.removedAt ?? null }]));

describe('inventory diff', () => {
  it('finds added, removed and swapped components; a new name alone is no change', () => {
    const d = diffInventory(stored([item('1'), item('2'), item('3')]), [item('1', { name: 'renamed' }), item('2', { serial: 'NEW', firmwareRev: '2.0' }), item('4')]);
    expect(d.added.map((i) => i.index)).toEqual(['4']);
    expect(d.removed.map((i) => i.index)).toEqual(['3']);
    expect(d.changed).toHaveLength(1);
    expect(d.changed[0]!.changes).toEqual([
      { field: 'serial', old: 'S2', new: 'NEW' },
      { field: 'firmwareRev', old: '1.0', new: '2.0' },
    ]);
  });

  it('counts a component back after a removal as added, and a removed one is not removed twice', () => {
    const d = diffInventory(stored([{ ...item('1'), removedAt: 5 }, { ...item('2'), removedAt: 5 }]), [item('1')]);
    expect(d.added.map((i) => i.index)).toEqual(['1']);
    expect(d.removed).toEqual([]);
  });

  it('takes indexes such as __proto__ and constructor as data', () => {
    const d = diffInventory(stored([item('__proto__'), item('constructor')]), [item('__proto__', { serial: 'X' }), item('toString')]);
    expect(d.changed.map((c) => c.before.index)).toEqual(['__proto__']);
    expect(d.added.map((i) => i.index)).toEqual(['toString']);
    expect(d.removed.map((i) => i.index)).toEqual(['constructor']);
  });
});
