import type { InventoryClass, InventoryItem } from '../contracts/inventory.js';
import type { InventoryChangeField, InventoryHistoryDto, InventoryItemDto, InventorySearchHit } from '../contracts/inventory-api.js';
import type { Db } from './database.js';
import { isPostgres } from './pg/pg-db.js';
import { keyForDb, textForDb } from './key-text.js';

interface ItemRow {
  device_id: number;
  source: string;
  idx: string;
  parent_idx: string | null;
  class: string;
  name: string | null;
  descr: string | null;
  model: string | null;
  serial: string | null;
  hardware_rev: string | null;
  firmware_rev: string | null;
  software_rev: string | null;
  manufacturer: string | null;
  fru: number | null;
  vendor_type: string | null;
  parent_rel_pos: number | null;
  alias: string | null;
  asset_id: string | null;
  first_seen: number;
  last_seen: number;
  removed_at: number | null;
}

interface HistoryRow {
  id: number;
  device_id: number;
  source: string;
  idx: string;
  at: number;
  change: 'added' | 'removed' | 'changed';
  class: string;
  name: string | null;
  model: string | null;
  serial: string | null;
  changes: string;
}

/** A stored component: the item as last seen, with its life span. */
export interface StoredInventoryItem extends InventoryItem {
  firstSeen: number;
  lastSeen: number;
  /** Set when it was missing from a later snapshot (it may come back). */
  removedAt: number | null;
}

export interface InventorySourceState {
  source: string;
  baselineAt: number;
  collectedAt: number;
  items: number;
}

/** One history line to write. */
export interface InventoryHistoryInput {
  index: string;
  change: 'added' | 'removed' | 'changed';
  class: InventoryClass;
  name: string | null;
  model: string | null;
  serial: string | null;
  changes: InventoryChangeField[];
}

/** What one snapshot does to the stored inventory of a (device, source). */
export interface InventoryApply {
  deviceId: number;
  source: string;
  at: number;
  /** Components of the snapshot that are new, back, or differ in any field from the stored row (inserted or updated). */
  upsert: InventoryItem[];
  /** Components in the snapshot (last_seen of every present row is set to `at`). */
  count: number;
  /** Indexes that disappeared (marked removed). */
  removed: string[];
  history: InventoryHistoryInput[];
}

const toItem = (r: ItemRow): StoredInventoryItem => ({
  index: r.idx,
  parentIndex: r.parent_idx,
  class: r.class as InventoryClass,
  name: r.name,
  descr: r.descr,
  model: r.model,
  serial: r.serial,
  hardwareRev: r.hardware_rev,
  firmwareRev: r.firmware_rev,
  softwareRev: r.software_rev,
  manufacturer: r.manufacturer,
  fru: r.fru === null ? null : r.fru === 1,
  vendorType: r.vendor_type,
  parentRelPos: r.parent_rel_pos,
  alias: r.alias,
  assetId: r.asset_id,
  firstSeen: r.first_seen,
  lastSeen: r.last_seen,
  removedAt: r.removed_at,
});

const toDto = (r: ItemRow): InventoryItemDto => {
  const { removedAt: _r, ...item } = toItem(r);
  return { ...item, source: r.source };
};

const parseChanges = (text: string): InventoryChangeField[] => {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? (v as InventoryChangeField[]) : [];
  } catch {
    return [];
  }
};

const toHistory = (r: HistoryRow): InventoryHistoryDto => ({
  id: r.id,
  deviceId: r.device_id,
  source: r.source,
  index: r.idx,
  at: r.at,
  change: r.change,
  class: r.class as InventoryClass,
  name: r.name,
  model: r.model,
  serial: r.serial,
  changes: parseChanges(r.changes),
});

/**
 * Components sort by their index as a number first (entPhysicalIndex 2 before 10), then as text.
 * SQLite's CAST(idx AS INTEGER) takes the longest integer prefix (0 when there is none);
 * PostgreSQL's CAST fails on such text, so there the same prefix is cut out with a regular
 * expression (numeric, so no length of digits overflows).
 */
const indexOrder = (db: Db, col: string) =>
  isPostgres(db) ? `COALESCE(CAST(substring(${col} FROM '^\\s*([-+]?[0-9]+)') AS numeric), 0), ${col}` : `CAST(${col} AS INTEGER), ${col}`;

/** LIKE pattern matching `text` anywhere, with its own wildcards taken literally. */
const contains = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Hardware inventory per device and source (ENTITY-MIB, templates), with its change history. */
export class InventoryRepository {
  private readonly stmts;
  private readonly applyTx: (a: InventoryApply) => void;
  private readonly text: ReturnType<typeof textForDb>;
  /** The primary key's text (source, index): see keyForDb. */
  private readonly sourceKey: ReturnType<typeof keyForDb>;

  constructor(private readonly db: Db) {
    const t = (this.text = textForDb(db));
    const sourceKey = (this.sourceKey = keyForDb(db, 600));
    const idxKey = keyForDb(db, 1500);
    this.stmts = {
      all: db.prepare<[number, string], ItemRow>('SELECT * FROM inventory_items WHERE device_id = ? AND source = ?'),
      current: db.prepare<[number], ItemRow>(`SELECT * FROM inventory_items WHERE device_id = ? AND removed_at IS NULL ORDER BY source, ${indexOrder(db, 'idx')}`),
      source: db.prepare<[number, string], { source: string; baseline_at: number; collected_at: number; items: number }>(
        'SELECT source, baseline_at, collected_at, items FROM inventory_sources WHERE device_id = ? AND source = ?',
      ),
      sources: db.prepare<[number], { source: string; baseline_at: number; collected_at: number; items: number }>(
        'SELECT source, baseline_at, collected_at, items FROM inventory_sources WHERE device_id = ? ORDER BY source',
      ),
      upsertSource: db.prepare<[{ deviceId: number; source: string; at: number; items: number }]>(
        `INSERT INTO inventory_sources (device_id, source, baseline_at, collected_at, items) VALUES (@deviceId, @source, @at, @at, @items)
         ON CONFLICT (device_id, source) DO UPDATE SET collected_at = excluded.collected_at, items = excluded.items`,
      ),
      touchSource: db.prepare<[number, number, string]>('UPDATE inventory_sources SET collected_at = ? WHERE device_id = ? AND source = ?'),
      upsertItem: db.prepare(
        `INSERT INTO inventory_items (device_id, source, idx, parent_idx, class, name, descr, model, serial, hardware_rev, firmware_rev, software_rev,
           manufacturer, fru, vendor_type, parent_rel_pos, alias, asset_id, first_seen, last_seen, removed_at)
         VALUES (@deviceId, @source, @idx, @parentIdx, @class, @name, @descr, @model, @serial, @hardwareRev, @firmwareRev, @softwareRev,
           @manufacturer, @fru, @vendorType, @parentRelPos, @alias, @assetId, @at, @at, NULL)
         ON CONFLICT (device_id, source, idx) DO UPDATE SET parent_idx = excluded.parent_idx, class = excluded.class, name = excluded.name,
           descr = excluded.descr, model = excluded.model, serial = excluded.serial, hardware_rev = excluded.hardware_rev,
           firmware_rev = excluded.firmware_rev, software_rev = excluded.software_rev, manufacturer = excluded.manufacturer, fru = excluded.fru,
           vendor_type = excluded.vendor_type, parent_rel_pos = excluded.parent_rel_pos, alias = excluded.alias, asset_id = excluded.asset_id,
           last_seen = excluded.last_seen,
           first_seen = CASE WHEN inventory_items.removed_at IS NULL THEN inventory_items.first_seen ELSE excluded.first_seen END,
           removed_at = NULL`,
      ),
      touch: db.prepare<[number, number, string]>('UPDATE inventory_items SET last_seen = ? WHERE device_id = ? AND source = ? AND removed_at IS NULL'),
      remove: db.prepare<[number, number, string, string]>('UPDATE inventory_items SET removed_at = ? WHERE device_id = ? AND source = ? AND idx = ? AND removed_at IS NULL'),
      addHistory: db.prepare<[number, string, string, number, string, string, string | null, string | null, string | null, string]>(
        'INSERT INTO inventory_history (device_id, source, idx, at, change, class, name, model, serial, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      history: db.prepare<[number, number, number], HistoryRow>('SELECT * FROM inventory_history WHERE device_id = ? AND id < ? ORDER BY id DESC LIMIT ?'),
    };
    this.applyTx = db.transaction((a: InventoryApply) => {
      const source = sourceKey(a.source);
      const prior = this.stmts.source.get(a.deviceId, source);
      this.stmts.upsertSource.run({ deviceId: a.deviceId, source, at: a.at, items: a.count });
      if (prior && prior.collected_at > a.at) this.stmts.touchSource.run(prior.collected_at, a.deviceId, source);
      // Gone first, so that the one statement for every present (and unchanged) row leaves them out.
      for (const idx of a.removed) this.stmts.remove.run(a.at, a.deviceId, source, idxKey(idx));
      this.stmts.touch.run(a.at, a.deviceId, source);
      for (const i of a.upsert) {
        this.stmts.upsertItem.run({
          deviceId: a.deviceId, source, idx: idxKey(i.index), parentIdx: idxKey(i.parentIndex), class: t(i.class), name: t(i.name), descr: t(i.descr),
          model: t(i.model), serial: t(i.serial), hardwareRev: t(i.hardwareRev), firmwareRev: t(i.firmwareRev), softwareRev: t(i.softwareRev),
          manufacturer: t(i.manufacturer), fru: i.fru === null ? null : i.fru ? 1 : 0, vendorType: t(i.vendorType ?? null),
          parentRelPos: i.parentRelPos ?? null, alias: t(i.alias ?? null), assetId: t(i.assetId ?? null), at: a.at,
        });
      }
      for (const h of a.history) {
        this.stmts.addHistory.run(a.deviceId, source, idxKey(h.index), a.at, h.change, t(h.class), t(h.name), t(h.model), t(h.serial), JSON.stringify(h.changes));
      }
    });
  }

  /** A snapshot equal to the stored one was read at `at`. */
  touchSource(deviceId: number, source: string, at: number): void {
    this.stmts.touchSource.run(at, deviceId, this.sourceKey(source));
  }

  /** Everything stored for a (device, source), removed components included, by index. */
  stored(deviceId: number, source: string): Map<string, StoredInventoryItem> {
    return new Map(this.stmts.all.all(deviceId, this.sourceKey(source)).map((r) => [r.idx, toItem(r)]));
  }

  /** The last snapshot's bookkeeping; undefined before the first (the next one is the baseline). */
  sourceState(deviceId: number, source: string): InventorySourceState | undefined {
    const r = this.stmts.source.get(deviceId, this.sourceKey(source));
    return r && { source: r.source, baselineAt: r.baseline_at, collectedAt: r.collected_at, items: r.items };
  }

  sources(deviceId: number): InventorySourceState[] {
    return this.stmts.sources.all(deviceId).map((r) => ({ source: r.source, baselineAt: r.baseline_at, collectedAt: r.collected_at, items: r.items }));
  }

  /** Writes one snapshot's outcome in one transaction. */
  apply(a: InventoryApply): void {
    this.applyTx(a);
  }

  /** Components present now (every source), by source then index. */
  current(deviceId: number): InventoryItemDto[] {
    return this.stmts.current.all(deviceId).map(toDto);
  }

  /** Newest first; `beforeId` pages back. */
  history(deviceId: number, opts: { limit: number; beforeId?: number }): InventoryHistoryDto[] {
    return this.stmts.history.all(deviceId, opts.beforeId ?? Number.MAX_SAFE_INTEGER, opts.limit).map(toHistory);
  }

  /** Components of every device whose serial and/or model contains the text (any case). */
  search(q: { serial?: string; model?: string; includeRemoved?: boolean; limit: number }): InventorySearchHit[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.serial !== undefined) {
      where.push("lower(i.serial) LIKE lower(?) ESCAPE '\\'");
      args.push(this.text(contains(q.serial)));
    }
    if (q.model !== undefined) {
      where.push("lower(i.model) LIKE lower(?) ESCAPE '\\'");
      args.push(this.text(contains(q.model)));
    }
    if (!q.includeRemoved) where.push('i.removed_at IS NULL');
    args.push(q.limit);
    const rows = this.db
      .prepare<(string | number)[], ItemRow & { device_name: string }>(
        `SELECT i.*, d.name AS device_name FROM inventory_items i JOIN devices d ON d.id = i.device_id
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.name, i.source, ${indexOrder(this.db, 'i.idx')} LIMIT ?`,
      )
      .all(...args);
    return rows.map((r) => ({ ...toDto(r), deviceId: r.device_id, deviceName: r.device_name, removedAt: r.removed_at }));
  }
}
