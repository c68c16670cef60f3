/**
 * Hardware inventory of one device (ENTITY-MIB entPhysicalTable, or the
 * inventory columns of a collection template). Producers (poll workers,
 * template engine) hand a whole snapshot per device and source; the
 * inventory service stores it and turns differences into events.
 */
export type InventoryClass =
  | 'other'
  | 'unknown'
  | 'chassis'
  | 'backplane'
  | 'container'
  | 'powerSupply'
  | 'fan'
  | 'sensor'
  | 'module'
  | 'port'
  | 'stack'
  | 'cpu'
  | 'energyObject'
  | 'battery'
  | 'storageDrive';

/** One physical component, keyed within its device by `index` (entPhysicalIndex or the template instance). */
export interface InventoryItem {
  index: string;
  /** Index of the containing component, or null at the top. */
  parentIndex: string | null;
  class: InventoryClass;
  name: string | null;
  descr: string | null;
  model: string | null;
  serial: string | null;
  hardwareRev: string | null;
  firmwareRev: string | null;
  softwareRev: string | null;
  manufacturer: string | null;
  /** Field-replaceable unit (entPhysicalIsFRU). */
  fru: boolean | null;
  /** entPhysicalVendorType (numeric OID; '0.0' when unknown). Optional: templates may not have it. */
  vendorType?: string | null;
  /** entPhysicalParentRelPos: position among the siblings (slot number), -1 when unknown. */
  parentRelPos?: number | null;
  /** entPhysicalAlias (set by the operator on the device). */
  alias?: string | null;
  /** entPhysicalAssetID. */
  assetId?: string | null;
}

export interface InventorySnapshot {
  deviceId: number;
  /** What produced it: 'entity-mib' or a template id. */
  source: string;
  /** Milliseconds since the epoch. */
  collectedAt: number;
  items: InventoryItem[];
}

/** Where inventory snapshots go (implemented by the inventory service on the central side). */
export interface InventorySink {
  ingest(snapshot: InventorySnapshot): void;
}
