import type { Db } from './database.js';
import type { MaintenanceWindowDto } from '../contracts/alarms.js';

export type MaintenanceWindow = Omit<MaintenanceWindowDto, 'activeNow'>;
export type MaintenanceWrite = Omit<MaintenanceWindow, 'id' | 'createdAt'>;

interface Row {
  id: number;
  name: string;
  device_id: number | null;
  device_group: string | null;
  kind: MaintenanceWindow['kind'];
  starts_at: number | null;
  ends_at: number | null;
  days: string;
  start_time: string | null;
  duration_min: number | null;
  timezone: string;
  created_by: string;
  created_at: number;
}

const toWindow = (r: Row): MaintenanceWindow => ({
  id: r.id,
  name: r.name,
  deviceId: r.device_id,
  group: r.device_group,
  kind: r.kind,
  startsAt: r.starts_at,
  endsAt: r.ends_at,
  days: JSON.parse(r.days) as number[],
  startTime: r.start_time,
  durationMin: r.duration_min,
  timezone: r.timezone,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

export class MaintenanceRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      list: db.prepare<[], Row>('SELECT * FROM maintenance_windows ORDER BY id'),
      get: db.prepare<[number], Row>('SELECT * FROM maintenance_windows WHERE id = ?'),
      insert: db.prepare<unknown[], { id: number }>(
        `INSERT INTO maintenance_windows (name, device_id, device_group, kind, starts_at, ends_at, days, start_time, duration_min, timezone, created_by, created_at)
         VALUES (@name, @deviceId, @group, @kind, @startsAt, @endsAt, @days, @startTime, @durationMin, @timezone, @createdBy, @now)
         RETURNING id`,
      ),
      delete: db.prepare<[number]>('DELETE FROM maintenance_windows WHERE id = ?'),
      deleteEndedBefore: db.prepare<[number]>("DELETE FROM maintenance_windows WHERE kind = 'once' AND ends_at < ?"),
    };
  }

  list(): MaintenanceWindow[] {
    return this.s.list.all().map(toWindow);
  }

  get(id: number): MaintenanceWindow | undefined {
    const r = this.s.get.get(id);
    return r && toWindow(r);
  }

  create(w: MaintenanceWrite, now = Date.now()): MaintenanceWindow {
    const id = this.s.insert.get({ ...w, days: JSON.stringify(w.days), now })!.id;
    return this.get(id)!;
  }

  delete(id: number): boolean {
    return this.s.delete.run(id).changes > 0;
  }

  /** One-off windows that ended before `cutoff` (housekeeping). */
  deleteEndedBefore(cutoff: number): number {
    return this.s.deleteEndedBefore.run(cutoff).changes;
  }
}
