import type { CustomOid } from '../contracts/poll.js';
import type { Db } from './database.js';

export type { CustomOid };

interface Row {
  id: number;
  device_id: number | null;
  device_group: string | null;
  oid: string;
  name: string;
  input: string;
  unit: string | null;
  created_at: number;
}

const toDto = (r: Row): CustomOid => ({
  id: r.id,
  deviceId: r.device_id,
  group: r.device_group,
  oid: r.oid,
  name: r.name,
  input: r.input,
  unit: r.unit,
  createdAt: r.created_at,
});

/** User-defined OIDs per device or per group. */
export class CustomOidRepository {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      list: db.prepare<[], Row>('SELECT * FROM custom_oids ORDER BY id'),
      forDevice: db.prepare<[number, string | null], Row>('SELECT * FROM custom_oids WHERE device_id = ? OR (device_group IS NOT NULL AND device_group = ?) ORDER BY id'),
      insert: db.prepare<[number | null, string | null, string, string, string, string | null, number], Row>(
        'INSERT INTO custom_oids (device_id, device_group, oid, name, input, unit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *',
      ),
      get: db.prepare<[number], Row>('SELECT * FROM custom_oids WHERE id = ?'),
      delete: db.prepare<[number]>('DELETE FROM custom_oids WHERE id = ?'),
    };
  }

  list(): CustomOid[] {
    return this.stmts.list.all().map(toDto);
  }

  /** The device's own OIDs and those of its group. */
  forDevice(deviceId: number, group: string | null): CustomOid[] {
    return this.stmts.forDevice.all(deviceId, group).map(toDto);
  }

  create(c: Omit<CustomOid, 'id' | 'createdAt'>, now = Date.now()): CustomOid {
    return toDto(this.stmts.insert.get(c.deviceId, c.group, c.oid, c.name, c.input, c.unit, now)!);
  }

  get(id: number): CustomOid | undefined {
    const r = this.stmts.get.get(id);
    return r && toDto(r);
  }

  delete(id: number): boolean {
    return this.stmts.delete.run(id).changes > 0;
  }
}
