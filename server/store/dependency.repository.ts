import type { Db } from './database.js';
import { textFor } from './pg/pg-text.js';

/** What an admin set for root-cause analysis: pinned parents per device and per group, roots. */
export interface DependencyPins {
  /** deviceId -> { pinnedParentId, isRoot } (only devices with a row). */
  devices: Map<number, { pinnedParentId: number | null; isRoot: boolean }>;
  /** Group name -> parent device id. */
  groups: Map<string, number>;
}

export class DependencyRepository {
  private readonly s;
  private readonly text: (s: string) => string;

  constructor(private readonly db: Db) {
    this.text = textFor(db);
    this.s = {
      devices: db.prepare<[], { device_id: number; pinned_parent_id: number | null; is_root: number }>('SELECT device_id, pinned_parent_id, is_root FROM device_dependencies'),
      device: db.prepare<[number], { pinned_parent_id: number | null; is_root: number }>('SELECT pinned_parent_id, is_root FROM device_dependencies WHERE device_id = ?'),
      upsert: db.prepare<[number, number | null, number, number]>(
        'INSERT INTO device_dependencies (device_id, pinned_parent_id, is_root, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET pinned_parent_id = excluded.pinned_parent_id, is_root = excluded.is_root, updated_at = excluded.updated_at',
      ),
      remove: db.prepare<[number]>('DELETE FROM device_dependencies WHERE device_id = ?'),
      groups: db.prepare<[], { group_name: string; parent_id: number }>('SELECT group_name, parent_id FROM group_dependencies ORDER BY group_name'),
      group: db.prepare<[string], { parent_id: number }>('SELECT parent_id FROM group_dependencies WHERE group_name = ?'),
      upsertGroup: db.prepare<[string, number, number]>(
        'INSERT INTO group_dependencies (group_name, parent_id, updated_at) VALUES (?, ?, ?) ON CONFLICT (group_name) DO UPDATE SET parent_id = excluded.parent_id, updated_at = excluded.updated_at',
      ),
      removeGroup: db.prepare<[string]>('DELETE FROM group_dependencies WHERE group_name = ?'),
    };
  }

  pins(): DependencyPins {
    const devices = new Map<number, { pinnedParentId: number | null; isRoot: boolean }>();
    for (const r of this.s.devices.all()) devices.set(r.device_id, { pinnedParentId: r.pinned_parent_id, isRoot: r.is_root === 1 });
    const groups = new Map<string, number>();
    for (const r of this.s.groups.all()) groups.set(r.group_name, r.parent_id);
    return { devices, groups };
  }

  device(deviceId: number): { pinnedParentId: number | null; isRoot: boolean } {
    const r = this.s.device.get(deviceId);
    return { pinnedParentId: r?.pinned_parent_id ?? null, isRoot: r?.is_root === 1 };
  }

  /** Sets a device's pin and root mark (a row with neither is removed). */
  setDevice(deviceId: number, pinnedParentId: number | null, isRoot: boolean, now = Date.now()): void {
    if (pinnedParentId === null && !isRoot) this.s.remove.run(deviceId);
    else this.s.upsert.run(deviceId, pinnedParentId, isRoot ? 1 : 0, now);
  }

  group(name: string): { group: string; parentId: number | null } {
    return { group: name, parentId: this.s.group.get(this.text(name))?.parent_id ?? null };
  }

  groups(): { group: string; parentId: number }[] {
    return this.s.groups.all().map((r) => ({ group: r.group_name, parentId: r.parent_id }));
  }

  /** Pins a parent for a group (null removes the pin). */
  setGroup(name: string, parentId: number | null, now = Date.now()): void {
    if (parentId === null) this.s.removeGroup.run(this.text(name));
    else this.s.upsertGroup.run(this.text(name), parentId, now);
  }
}
