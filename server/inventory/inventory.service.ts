import { createHash } from 'node:crypto';
import type { NormalizedEvent, Severity } from '../contracts/events.js';
import type { InventoryItem, InventorySink, InventorySnapshot } from '../contracts/inventory.js';
import { INVENTORY_EVENT_TYPES as T, type InventoryEventParams, type InventoryTrackedField } from '../contracts/inventory-api.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log/logger.js';
import type { InventoryHistoryInput, InventoryRepository, StoredInventoryItem } from '../store/inventory.repository.js';
import { diffInventory, INVENTORY_CLASSES, sameAsStored } from './inventory.diff.js';
import { inventoryText } from './inventory-text.js';

/** Most components kept from one snapshot (a chassis has hundreds; more is an agent gone wrong). */
export const INVENTORY_MAX_ITEMS = 10_000;
const INDEX_MAX = 128;
const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
/** A snapshot equal to the last one written only bumps its source's read time; rows' last_seen is rewritten at most this often. */
export const INVENTORY_TOUCH_EVERY_MS = 15 * 60_000;

const FIELD_WORD: Record<InventoryTrackedField, string> = {
  serial: 'serial',
  model: 'model',
  firmwareRev: 'firmware',
  softwareRev: 'software',
  hardwareRev: 'hardware rev',
};

const CLASS_WORD: Record<string, string> = { powerSupply: 'power supply', energyObject: 'energy object', storageDrive: 'storage drive' };

/** Short one-line text for event messages (the stored values stay whole). */
const short = (s: string, max = 120) => {
  const one = s.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return one.length > max ? `${Array.from(one).slice(0, max).join('')}…` : one;
};

export interface InventoryServiceDeps {
  repo: InventoryRepository;
  bus: EventBus;
  log: Logger;
  /** Name and address of a device (undefined: deleted, the snapshot is dropped). */
  device(id: number): { name: string; address: string } | undefined;
  now?: () => number;
}

/**
 * Stores inventory snapshots (ENTITY-MIB from the poller, template `inventory:`
 * columns) per (device, source) and turns differences into events: the first
 * snapshot of a (device, source) is the baseline (no events), later ones raise
 * `inventory.added` / `inventory.removed` / `inventory.changed` (source 'poll').
 * Input is checked here, whoever produced it: bad items are dropped and counted.
 */
export class InventoryService implements InventorySink {
  private readonly stats = { snapshots: 0, snapshots_unchanged: 0, snapshots_dropped: 0, items_dropped: 0, empty_snapshots_ignored: 0, events: 0, errors: 0 };
  /** Per (device, source): digest of the last snapshot written and when (template columns may come every poll). */
  private readonly written = new Map<string, { digest: string; at: number }>();

  constructor(private readonly deps: InventoryServiceDeps) {}

  ingest(snapshot: InventorySnapshot): void {
    try {
      this.ingestOrThrow(snapshot);
    } catch (err) {
      this.stats.errors++;
      this.deps.log.error({ err, deviceId: snapshot?.deviceId, source: snapshot?.source }, 'cannot store an inventory snapshot');
    }
  }

  private ingestOrThrow(snapshot: InventorySnapshot): void {
    const { repo, bus } = this.deps;
    const deviceId = snapshot?.deviceId;
    if (!Number.isSafeInteger(deviceId) || deviceId <= 0 || typeof snapshot.source !== 'string' || !SOURCE.test(snapshot.source) || !Array.isArray(snapshot.items)) {
      this.stats.snapshots_dropped++;
      return;
    }
    const source = snapshot.source;
    const now = (this.deps.now ?? Date.now)();
    const at = Number.isFinite(snapshot.collectedAt) && snapshot.collectedAt > 0 ? Math.min(snapshot.collectedAt, now) : now;
    const items = this.clean(snapshot.items);
    const key = `${deviceId}\u0000${source}`;
    const digest = createHash('sha256').update(JSON.stringify(items)).digest('base64');
    const last = this.written.get(key);
    if (last && last.digest === digest && at >= last.at && at - last.at < INVENTORY_TOUCH_EVERY_MS) {
      // Nothing changed since the last write: only the read time moves.
      repo.touchSource(deviceId, source, at);
      this.stats.snapshots_unchanged++;
      return;
    }
    const device = this.deps.device(deviceId);
    if (!device) {
      this.stats.snapshots_dropped++;
      return;
    }
    const state = repo.sourceState(deviceId, source);
    const stored = repo.stored(deviceId, source);
    if (items.length === 0 && [...stored.values()].some((i) => i.removedAt === null)) {
      // Every component gone at once is an agent that answered an empty table, not a device without hardware.
      this.stats.empty_snapshots_ignored++;
      this.deps.log.warn({ deviceId, source }, 'empty inventory snapshot after a non-empty one: ignored');
      return;
    }
    this.stats.snapshots++;
    // The first snapshot with components is the baseline: no event per component.
    const baseline = !state || stored.size === 0;
    const diff = baseline ? { added: [], removed: [], changed: [] } : diffInventory(stored, items);
    const history: InventoryHistoryInput[] = [];
    const events: NormalizedEvent[] = [];
    const event = (severity: Severity, type: string, message: string, params: InventoryEventParams) =>
      events.push({ receivedAt: at, reportedAt: null, source: 'poll', sourceAddress: device.address, deviceId, severity, type, message, params: { ...params } });
    const paramsOf = (i: InventoryItem): InventoryEventParams => ({
      source, index: i.index, parentIndex: i.parentIndex, class: i.class, classLabel: CLASS_WORD[i.class] ?? i.class, name: i.name, label: short(labelOf(i)), model: i.model, serial: i.serial,
    });
    const what = (i: InventoryItem) => `${CLASS_WORD[i.class] ?? i.class} ${short(labelOf(i))}`;
    const hist = (change: InventoryHistoryInput['change'], i: InventoryItem, changes: InventoryHistoryInput['changes'] = []) =>
      history.push({ index: i.index, change, class: i.class, name: i.name, model: i.model, serial: i.serial, changes });

    for (const i of diff.added) {
      hist('added', i);
      const detail = [i.model && `model ${short(i.model, 60)}`, i.serial && `serial ${short(i.serial, 60)}`].filter(Boolean).join(', ');
      event('info', T.added, `${device.name}: ${what(i)} added${detail ? ` (${detail})` : ''}`, paramsOf(i));
    }
    for (const i of diff.removed) {
      hist('removed', i);
      event('warning', T.removed, `${device.name}: ${what(i)} removed${i.serial ? ` (serial ${short(i.serial, 60)})` : ''}`, paramsOf(i));
    }
    for (const c of diff.changed) {
      hist('changed', c.after, c.changes);
      const swapped = c.changes.some((x) => x.field === 'serial');
      const text = c.changes.map((x) => `${FIELD_WORD[x.field]} ${short(x.old ?? '(none)', 60)} → ${short(x.new ?? '(none)', 60)}`).join(', ');
      const old: InventoryEventParams['old'] = {};
      const nu: InventoryEventParams['new'] = {};
      for (const x of c.changes) {
        old[x.field] = x.old;
        nu[x.field] = x.new;
      }
      event(swapped ? 'warning' : 'info', T.changed, `${device.name}: ${what(c.after)} ${swapped ? 'swapped' : 'changed'}: ${text}`, {
        ...paramsOf(c.after), fields: c.changes.map((x) => x.field), old, new: nu,
      });
    }

    const upsert = items.filter((i) => !sameAsStored(stored.get(i.index), i));
    repo.apply({ deviceId, source, at, upsert, count: items.length, removed: diff.removed.map((i) => i.index), history });
    this.written.set(key, { digest, at });
    for (const e of events) bus.publish('event.received', e);
    this.stats.events += events.length;
    if (baseline || events.length) {
      bus.publish('inventory.changed', { deviceId, source, at, added: diff.added.length, removed: diff.removed.length, changed: diff.changed.length });
    }
  }

  /** Items as stored: index and class checked, texts bounded, one item per index (the first). */
  private clean(raw: unknown[]): InventoryItem[] {
    const out: InventoryItem[] = [];
    const seen = new Set<string>();
    for (const r of raw) {
      if (out.length >= INVENTORY_MAX_ITEMS) {
        this.stats.items_dropped += raw.length - INVENTORY_MAX_ITEMS;
        break;
      }
      const i = r as Partial<InventoryItem> | null;
      const index = typeof i?.index === 'string' ? i.index.trim() : '';
      if (!i || index === '' || index.length > INDEX_MAX || seen.has(index)) {
        this.stats.items_dropped++;
        continue;
      }
      seen.add(index);
      const parent = typeof i.parentIndex === 'string' && i.parentIndex.trim() !== '' && i.parentIndex.length <= INDEX_MAX && i.parentIndex.trim() !== index ? i.parentIndex.trim() : null;
      out.push({
        index,
        parentIndex: parent,
        class: typeof i.class === 'string' && INVENTORY_CLASSES.has(i.class) ? i.class : 'unknown',
        name: inventoryText(i.name),
        descr: inventoryText(i.descr),
        model: inventoryText(i.model),
        serial: inventoryText(i.serial),
        hardwareRev: inventoryText(i.hardwareRev),
        firmwareRev: inventoryText(i.firmwareRev),
        softwareRev: inventoryText(i.softwareRev),
        manufacturer: inventoryText(i.manufacturer),
        fru: typeof i.fru === 'boolean' ? i.fru : null,
        vendorType: inventoryText(i.vendorType),
        parentRelPos: Number.isSafeInteger(i.parentRelPos) ? i.parentRelPos! : null,
        alias: inventoryText(i.alias),
        assetId: inventoryText(i.assetId),
      });
    }
    return out;
  }

  /** Drops what is remembered of a deleted device (its rows go with it in the database). */
  forget(deviceId: number): void {
    const prefix = `${deviceId}\u0000`;
    for (const k of this.written.keys()) if (k.startsWith(prefix)) this.written.delete(k);
  }

  counters(): Record<string, number> {
    return { ...this.stats };
  }
}

/** name, else descr, else `#index`. */
export function labelOf(i: Pick<InventoryItem, 'name' | 'descr' | 'index'> | StoredInventoryItem): string {
  return i.name ?? i.descr ?? `#${i.index}`;
}
