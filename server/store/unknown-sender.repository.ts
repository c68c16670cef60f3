import type { Statement } from 'better-sqlite3';
import type { UnknownSenderDto } from '../contracts/events.js';
import type { Db } from './database.js';
import { normalizeAddress } from '../net/normalize-address.js';
import { textForDb } from './key-text.js';

export type UnknownSender = UnknownSenderDto;

interface Row {
  address: string;
  count: number;
  first_seen: number;
  last_seen: number;
  last_message: string;
}

/** Cursor: `<lastSeen>:<address>` of the last item of the previous page. */
const CURSOR = /^(\d{1,16}):(.{1,100})$/s;

/**
 * Senders whose events match no device, from the summary the event store
 * thread keeps (unknown_senders). An address that is a device's address is
 * not listed (its old events stay stored without a device; if the device is
 * deleted, the address shows again with them).
 */
export class UnknownSenderRepository {
  private readonly first: Statement<[number], Row>;
  private readonly after: Statement<[number, number, string, number], Row>;
  private readonly dismiss: Statement<[string]>;
  private readonly text: ReturnType<typeof textForDb>;

  constructor(db: Db) {
    this.text = textForDb(db);
    const cols = 'u.address, u.count, u.first_seen, u.last_seen, u.last_message';
    const notDevice = 'NOT EXISTS (SELECT 1 FROM devices d WHERE d.address = u.address)';
    this.first = db.prepare(`SELECT ${cols} FROM unknown_senders u WHERE ${notDevice} ORDER BY u.last_seen DESC, u.address DESC LIMIT ?`);
    this.after = db.prepare(
      `SELECT ${cols} FROM unknown_senders u WHERE (u.last_seen < ? OR (u.last_seen = ? AND u.address < ?)) AND ${notDevice}
        ORDER BY u.last_seen DESC, u.address DESC LIMIT ?`,
    );
    this.dismiss = db.prepare('DELETE FROM unknown_senders WHERE address = ?');
  }

  /** Most recently seen first. Throws RangeError on a cursor this did not make. */
  list(q: { limit: number; cursor?: string }): { items: UnknownSender[]; nextCursor: string | null } {
    let rows: Row[];
    if (q.cursor) {
      const m = CURSOR.exec(q.cursor);
      if (!m) throw new RangeError('bad cursor');
      const seen = Number(m[1]);
      rows = this.after.all(seen, seen, this.text(m[2]!), q.limit + 1);
    } else rows = this.first.all(q.limit + 1);
    const items = rows.slice(0, q.limit).map((r) => ({ address: r.address, count: r.count, firstSeen: r.first_seen, lastSeen: r.last_seen, lastMessage: r.last_message }));
    const last = items.at(-1);
    return { items, nextCursor: rows.length > q.limit && last ? `${last.lastSeen}:${last.address}` : null };
  }

  /** Forgets an address (it comes back with its next event). Returns whether it was listed. */
  remove(address: string): boolean {
    return this.dismiss.run(this.text(normalizeAddress(address))).changes > 0;
  }
}
