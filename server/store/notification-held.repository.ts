import type { AlarmNotificationPayload } from '../contracts/alarms.js';
import type { Db } from './database.js';

/** Notifications held in quiet hours, per channel, oldest first. */
export class NotificationHeldRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      add: db.prepare<[number, string, number]>('INSERT INTO notification_held (channel_id, payload, held_at) VALUES (?, ?, ?)'),
      all: db.prepare<[], { channel_id: number; payload: string }>('SELECT channel_id, payload FROM notification_held ORDER BY id'),
      removeChannel: db.prepare<[number]>('DELETE FROM notification_held WHERE channel_id = ?'),
    };
  }

  add(channelId: number, payload: AlarmNotificationPayload, at: number): void {
    this.s.add.run(channelId, JSON.stringify(payload), at);
  }

  /** Everything held, by channel (a Map: ids from the database never become object keys). */
  all(): Map<number, AlarmNotificationPayload[]> {
    const out = new Map<number, AlarmNotificationPayload[]>();
    for (const r of this.s.all.all()) {
      let p: AlarmNotificationPayload;
      try {
        p = JSON.parse(r.payload) as AlarmNotificationPayload;
      } catch {
        continue;
      }
      let list = out.get(r.channel_id);
      if (!list) out.set(r.channel_id, (list = []));
      list.push(p);
    }
    return out;
  }

  removeChannel(channelId: number): void {
    this.s.removeChannel.run(channelId);
  }
}
