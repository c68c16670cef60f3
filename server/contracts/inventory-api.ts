import type { InventoryClass, InventoryItem } from './inventory.js';

/** Event types the inventory service emits (source 'poll'). */
export const INVENTORY_EVENT_TYPES = {
  /** A component appeared (or came back). params: InventoryEventParams */
  added: 'inventory.added',
  /** A component is gone. params: InventoryEventParams */
  removed: 'inventory.removed',
  /** Serial, model, firmware/software/hardware revision of a component changed (a module swapped). params: InventoryEventParams with old/new */
  changed: 'inventory.changed',
} as const;

/** The fields whose change is an `inventory.changed` event (other fields are updated quietly). */
export const INVENTORY_TRACKED_FIELDS = ['serial', 'model', 'firmwareRev', 'softwareRev', 'hardwareRev'] as const;
export type InventoryTrackedField = (typeof INVENTORY_TRACKED_FIELDS)[number];

export interface InventoryChangeField {
  field: InventoryTrackedField;
  old: string | null;
  new: string | null;
}

/** `params` of inventory events. */
export interface InventoryEventParams {
  source: string;
  index: string;
  parentIndex: string | null;
  class: InventoryClass;
  /** The class in words ('power supply'), for titles. */
  classLabel: string;
  name: string | null;
  /** name, else descr, else `#index` (short, for titles). */
  label: string;
  model: string | null;
  serial: string | null;
  /** inventory.changed only: the fields that changed, and their values before and after. */
  fields?: InventoryTrackedField[];
  old?: Partial<Record<InventoryTrackedField, string | null>>;
  new?: Partial<Record<InventoryTrackedField, string | null>>;
}

/** One component in GET /devices/:id/inventory (a flat list; parentIndex builds the tree). */
export interface InventoryItemDto extends InventoryItem {
  source: string;
  firstSeen: number;
  lastSeen: number;
}

export interface DeviceInventoryDto {
  deviceId: number;
  /** When each source was last read (null before the first read). */
  sources: { source: string; collectedAt: number; baselineAt: number; items: number }[];
  items: InventoryItemDto[];
}

export interface InventoryHistoryDto {
  id: number;
  deviceId: number;
  source: string;
  index: string;
  at: number;
  change: 'added' | 'removed' | 'changed';
  class: InventoryClass;
  name: string | null;
  model: string | null;
  serial: string | null;
  changes: InventoryChangeField[];
}

/** GET /inventory?serial=…|model=… */
export interface InventorySearchHit extends InventoryItemDto {
  deviceId: number;
  deviceName: string;
  removedAt: number | null;
}

/** Bus topic and socket.io event after a snapshot changed a device's inventory. */
export interface InventoryChangedPayload {
  deviceId: number;
  source: string;
  at: number;
  added: number;
  removed: number;
  changed: number;
}
