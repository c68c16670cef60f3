import { describe, expect, it } from 'vitest';
import type { AlarmNotificationPayload, ChannelDeliveryDto, ChannelType } from '../../../server/contracts/alarms.js';
import type { Severity } from '../../../server/contracts/events.js';
import { DeliveryGate, inQuietHours, localTime } from '../../../server/notify/delivery-gate.js';
import { subjectLine, textBody } from '../../../server/notify/message.js';
import { slackBody } from '../../../server/notify/message.js';
import { NotificationHeldRepository } from '../../../server/store/notification-held.repository.js';
import { NotificationRepository } from '../../../server/store/notification.repository.js';
import { testSecretBox } from '../../helpers/secrets.js';
import { tempDb } from '../events/engine/helpers.js';

type Q = NonNullable<ChannelDeliveryDto['quietHours']>;
const q = (over: Partial<Q> = {}): Q => ({ enabled: true, timezone: 'UTC', days: [0, 1, 2, 3, 4, 5, 6], start: '22:00', end: '06:00', breakThrough: 'critical', ...over });
const utc = (s: string) => Date.parse(`${s}Z`);

describe('quiet hours', () => {
  it('a window past midnight covers the late evening and the next early morning', () => {
    const w = q({ days: [1] }); // starts Monday 22:00, ends Tuesday 06:00
    expect(inQuietHours(w, utc('2026-12-07T21:59:00'))).toBe(false); // Monday
    expect(inQuietHours(w, utc('2026-12-07T22:00:00'))).toBe(true);
    expect(inQuietHours(w, utc('2026-12-08T03:00:00'))).toBe(true); // Tuesday, from Monday's window
    expect(inQuietHours(w, utc('2026-12-08T05:59:00'))).toBe(true);
    expect(inQuietHours(w, utc('2026-12-08T06:00:00'))).toBe(false);
    expect(inQuietHours(w, utc('2026-12-08T22:30:00'))).toBe(false); // Tuesday's window is not configured
    expect(inQuietHours(w, utc('2026-12-07T03:00:00'))).toBe(false); // Monday morning: Sunday not configured
  });

  it('is judged in the channel\'s time zone', () => {
    const tokyo = q({ timezone: 'Asia/Tokyo', start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5] });
    // 2026-12-07 (Monday) 00:30 UTC = 09:30 in Tokyo.
    expect(localTime(utc('2026-12-07T00:30:00'), 'Asia/Tokyo')).toEqual({ day: 1, minute: 9 * 60 + 30 });
    expect(inQuietHours(tokyo, utc('2026-12-07T00:30:00'))).toBe(true);
    expect(inQuietHours(tokyo, utc('2026-12-06T23:30:00'))).toBe(false); // 08:30 Tokyo
    // Sunday 23:00 UTC = Monday 08:00 in Tokyo but Sunday in UTC: the local day counts.
    expect(inQuietHours(q({ timezone: 'Asia/Tokyo', start: '08:00', end: '08:30', days: [1] }), utc('2026-12-06T23:10:00'))).toBe(true);
    // New York, across midnight and a DST-free December: 23:00 local = 04:00 UTC the next day.
    const ny = q({ timezone: 'America/New_York', start: '23:00', end: '07:00', days: [5] }); // Friday night
    expect(inQuietHours(ny, utc('2026-12-12T04:30:00'))).toBe(true); // Friday 23:30 NY
    expect(inQuietHours(ny, utc('2026-12-12T11:30:00'))).toBe(true); // Saturday 06:30 NY
    expect(inQuietHours(ny, utc('2026-12-12T12:30:00'))).toBe(false); // Saturday 07:30 NY
  });

  it('start = end is the whole day; disabled or no days is never', () => {
    expect(inQuietHours(q({ start: '00:00', end: '00:00', days: [0] }), utc('2026-12-06T13:00:00'))).toBe(true);
    expect(inQuietHours(q({ start: '00:00', end: '00:00', days: [0] }), utc('2026-12-07T13:00:00'))).toBe(false);
    expect(inQuietHours(q({ enabled: false }), utc('2026-12-07T23:00:00'))).toBe(false);
    expect(inQuietHours(q({ days: [] }), utc('2026-12-07T23:00:00'))).toBe(false);
  });
});

function payload(id: number, severity: Severity = 'major', at = 0): AlarmNotificationPayload {
  return {
    kind: 'raise',
    alarm: { id, reductionKey: `k${id}`, state: 'active', severity, title: `problem ${id}`, message: 'm', deviceId: null, sourceAddress: null, count: 1, firstSeen: at, lastSeen: at, deviceName: `dev${id}` },
    sentAt: at,
  };
}

function gate(delivery: ChannelDeliveryDto, type: ChannelType = 'slack') {
  let now = utc('2026-12-07T12:00:00');
  const out: { channelId: number; p: AlarmNotificationPayload }[] = [];
  const g = new DeliveryGate({ channel: () => ({ type, delivery }), enqueue: (channelId, p) => out.push({ channelId, p }), clock: () => now });
  return { g, out, set: (t: number) => (now = t), get now() { return now; } };
}

describe('delivery gate', () => {
  it('holds notifications during quiet hours and sends one summary when they end; critical breaks through', () => {
    const h = gate({ quietHours: q({ breakThrough: 'critical' }) });
    h.set(utc('2026-12-07T23:00:00'));
    h.g.submit(1, payload(1, 'major'));
    h.g.submit(1, payload(2, 'minor'));
    h.g.submit(1, payload(3, 'critical'));
    expect(h.out.map((o) => o.p.alarm.id)).toEqual([3]);
    h.set(utc('2026-12-08T05:59:00'));
    h.g.tick();
    expect(h.out).toHaveLength(1);
    h.set(utc('2026-12-08T06:00:00'));
    h.g.tick();
    expect(h.out).toHaveLength(2);
    const summary = h.out[1]!.p;
    expect(summary.kind).toBe('digest');
    expect(summary.digest).toMatchObject({ reason: 'quiet-hours', count: 2, items: [{ alarmId: 1 }, { alarmId: 2 }] });
    expect(summary.alarm.severity).toBe('major');
    expect(subjectLine(summary)).toBe('[Netwatch] MAJOR DIGEST: 2 notifications held during quiet hours');
    expect(textBody(summary)).toContain('MINOR raise: problem 2 (dev2) #2');
    expect(JSON.stringify(slackBody(summary))).toContain('problem 1');
    h.g.tick();
    expect(h.out).toHaveLength(2);
  });

  it('a PagerDuty channel gets held notifications one by one (its dedup keys must match later acks/resolves)', () => {
    const h = gate({ quietHours: q({ breakThrough: null }) }, 'pagerduty');
    h.set(utc('2026-12-07T23:00:00'));
    h.g.submit(1, payload(1, 'critical'));
    h.g.submit(1, payload(2));
    expect(h.out).toHaveLength(0);
    h.set(utc('2026-12-08T07:00:00'));
    h.g.tick();
    expect(h.out.map((o) => [o.p.kind, o.p.alarm.id])).toEqual([['raise', 1], ['raise', 2]]);
  });

  it('digest: the first N within the window go out, the rest as one message listing them at the window end (counted)', () => {
    const h = gate({ digest: { enabled: true, threshold: 10, windowSeconds: 60 } });
    const t0 = h.now;
    for (let i = 1; i <= 25; i++) {
      h.set(t0 + i * 1000);
      h.g.submit(5, payload(i));
    }
    expect(h.out).toHaveLength(10);
    expect(h.g.stats).toMatchObject({ passed: 10, digested: 15 });
    h.set(t0 + 60_000);
    h.g.tick();
    expect(h.out).toHaveLength(10); // the window opened at t0+1s
    h.set(t0 + 61_000);
    h.g.tick();
    expect(h.out).toHaveLength(11);
    expect(h.out[10]!.p.digest).toMatchObject({ reason: 'rate', count: 15 });
    expect(h.out[10]!.p.digest!.items.map((i) => i.alarmId)).toEqual(Array.from({ length: 15 }, (_, i) => i + 11));
    expect(h.g.stats.digests).toBe(1);
    // A new window: the next ones pass again.
    h.set(t0 + 62_000);
    h.g.submit(5, payload(99));
    expect(h.out.at(-1)!.p.alarm.id).toBe(99);
  });

  it('exactly N within the window is no digest', () => {
    const h = gate({ digest: { enabled: true, threshold: 3, windowSeconds: 60 } });
    for (let i = 1; i <= 3; i++) h.g.submit(1, payload(i));
    h.set(h.now + 120_000);
    h.g.tick();
    expect(h.out.map((o) => o.p.kind)).toEqual(['raise', 'raise', 'raise']);
    expect(h.g.stats.digests).toBe(0);
  });

  it('counts per channel', () => {
    const h = gate({ digest: { enabled: true, threshold: 2, windowSeconds: 60 } });
    for (const ch of [1, 2, 1, 2, 1]) h.g.submit(ch, payload(ch));
    expect(h.out.map((o) => o.channelId)).toEqual([1, 2, 1, 2]);
  });

  it('notifications held in quiet hours survive a restart and are summarised when the hours end', () => {
    const t = tempDb();
    try {
      const ch = new NotificationRepository(t.db, testSecretBox()).create({ name: 'q', type: 'slack', enabled: true, config: { url: 'http://x/' } });
      const store = new NotificationHeldRepository(t.db);
      const delivery: ChannelDeliveryDto = { quietHours: q({ breakThrough: null }) };
      let now = utc('2026-12-07T23:00:00');
      const out: AlarmNotificationPayload[] = [];
      const make = () => new DeliveryGate({ channel: () => ({ type: 'slack', delivery }), enqueue: (_id, p) => out.push(p), clock: () => now, store });
      const first = make();
      first.submit(ch.id, payload(1));
      first.submit(ch.id, payload(2, 'critical'));
      expect(out).toEqual([]);
      // "Restart": a new gate over the same database.
      const second = make();
      expect(second.waiting).toBe(2);
      now = utc('2026-12-08T06:30:00');
      second.tick();
      expect(out).toHaveLength(1);
      expect(out[0]!.digest).toMatchObject({ reason: 'quiet-hours', count: 2 });
      expect(store.all().size).toBe(0);
      expect(make().waiting).toBe(0);
    } finally {
      t.cleanup();
    }
  });
});
