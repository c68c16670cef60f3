import type { AlarmNotificationPayload, ChannelDeliveryDto, ChannelType, DigestItem } from '../contracts/alarms.js';
import { SEVERITIES, type Severity } from '../contracts/events.js';
import { STATEFUL_TYPES } from './escalation.js';

type QuietHours = NonNullable<ChannelDeliveryDto['quietHours']>;

/** At most this many notifications are listed in one digest or summary (all are counted). */
export const MAX_LISTED = 200;
/** At most this many are held per channel during quiet hours (more are counted, not kept). */
export const MAX_HELD = 5000;

const sev = (s: Severity) => SEVERITIES.indexOf(s);
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const WEEKDAY = new Map([['Sun', 0], ['Mon', 1], ['Tue', 2], ['Wed', 3], ['Thu', 4], ['Fri', 5], ['Sat', 6]]);
const formats = new Map<string, Intl.DateTimeFormat>();

/** Local weekday (0 = Sunday) and minute of the day at `at` in `timezone`. */
export function localTime(at: number, timezone: string): { day: number; minute: number } {
  let f = formats.get(timezone);
  if (!f) formats.set(timezone, (f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })));
  let day = 0;
  let h = 0;
  let m = 0;
  for (const p of f.formatToParts(at)) {
    if (p.type === 'weekday') day = WEEKDAY.get(p.value) ?? 0;
    else if (p.type === 'hour') h = Number(p.value) % 24;
    else if (p.type === 'minute') m = Number(p.value);
  }
  return { day, minute: h * 60 + m };
}

/**
 * Inside the quiet hours at `at`? `days` are the days a window starts on; a window whose end is
 * before its start runs past midnight into the next day; start = end is the whole day.
 */
export function inQuietHours(q: QuietHours, at: number): boolean {
  if (!q.enabled || q.days.length === 0) return false;
  const { day, minute } = localTime(at, q.timezone);
  const start = minutes(q.start);
  const end = minutes(q.end);
  const on = (d: number) => q.days.includes(d);
  if (start === end) return on(day);
  if (start < end) return on(day) && minute >= start && minute < end;
  return (on(day) && minute >= start) || (on((day + 6) % 7) && minute < end);
}

/** One message listing several notifications. */
export function digestPayload(reason: 'rate' | 'quiet-hours', items: AlarmNotificationPayload[], count: number, now: number): AlarmNotificationPayload {
  const worst = items.reduce<Severity>((w, p) => (sev(p.alarm.severity) < sev(w) ? p.alarm.severity : w), 'debug');
  const listed: DigestItem[] = items.slice(0, MAX_LISTED).map((p) => ({ kind: p.kind, alarmId: p.alarm.id, severity: p.alarm.severity, title: p.alarm.title, deviceName: p.alarm.deviceName, at: p.sentAt }));
  const lines = listed.map((i) => `${i.severity.toUpperCase()} ${i.kind}: ${i.title}${i.deviceName ? ` (${i.deviceName})` : ''} #${i.alarmId}`);
  if (count > listed.length) lines.push(`… and ${count - listed.length} more`);
  const title = reason === 'rate' ? `${count} notifications within a short time` : `${count} notifications held during quiet hours`;
  return {
    kind: 'digest',
    alarm: {
      id: 0, reductionKey: `netwatch-digest-${reason}`, state: 'active', severity: worst, title, message: lines.join('\n'), deviceId: null, sourceAddress: null,
      count, firstSeen: items[0]?.sentAt ?? now, lastSeen: items.at(-1)?.sentAt ?? now, deviceName: null,
    },
    sentAt: now,
    digest: { reason, count, items: listed },
  };
}

export interface DeliveryGateDeps {
  /** The channel's type and delivery settings, or undefined when it is gone. */
  channel: (id: number) => { type: ChannelType; delivery: ChannelDeliveryDto } | undefined;
  enqueue: (channelId: number, payload: AlarmNotificationPayload) => void;
  clock: () => number;
  /** Where quiet-hour holds are kept across a restart (NotificationHeldRepository); memory only without it. */
  store?: {
    add(channelId: number, payload: AlarmNotificationPayload, at: number): void;
    all(): Map<number, AlarmNotificationPayload[]>;
    removeChannel(channelId: number): void;
  };
}

interface Window {
  start: number;
  count: number;
  buffer: AlarmNotificationPayload[];
  extra: number;
}

/**
 * Between the alarm engine and the queue: holds notifications during a channel's quiet hours (sent as
 * one summary when they end; severities at or above `breakThrough` go at once) and folds bursts into
 * a digest (more than `threshold` within `windowSeconds`: the rest as one message at the window's end).
 * Channels that keep incident state (PagerDuty, Opsgenie, Alertmanager) get held ones one by one instead
 * of a summary, so their acknowledge/resolve keys still match.
 */
export class DeliveryGate {
  private readonly held = new Map<number, { items: AlarmNotificationPayload[]; count: number }>();
  private readonly windows = new Map<number, Window>();
  readonly stats = { passed: 0, held: 0, broke_through: 0, summaries: 0, digests: 0, digested: 0, dropped_gone: 0 };

  constructor(private readonly deps: DeliveryGateDeps) {
    for (const [id, items] of deps.store?.all() ?? []) this.held.set(id, { items, count: items.length });
  }

  submit(channelId: number, payload: AlarmNotificationPayload): void {
    const ch = this.deps.channel(channelId);
    if (!ch) {
      this.stats.dropped_gone++;
      return;
    }
    const now = this.deps.clock();
    const q = ch.delivery.quietHours;
    if (q && inQuietHours(q, now)) {
      if (q.breakThrough && sev(payload.alarm.severity) <= sev(q.breakThrough)) this.stats.broke_through++;
      else {
        let h = this.held.get(channelId);
        if (!h) this.held.set(channelId, (h = { items: [], count: 0 }));
        h.count++;
        if (h.items.length < MAX_HELD) {
          h.items.push(payload);
          this.deps.store?.add(channelId, payload, now);
        }
        this.stats.held++;
        return;
      }
    }
    const d = ch.delivery.digest;
    if (d?.enabled) {
      let w = this.windows.get(channelId);
      if (w && now >= w.start + d.windowSeconds * 1000) {
        this.flushWindow(channelId, ch.type, w, now);
        w = undefined;
      }
      if (!w) this.windows.set(channelId, (w = { start: now, count: 0, buffer: [], extra: 0 }));
      w.count++;
      if (w.count > d.threshold) {
        if (w.buffer.length < MAX_HELD) w.buffer.push(payload);
        else w.extra++;
        this.stats.digested++;
        return;
      }
    }
    this.stats.passed++;
    this.deps.enqueue(channelId, payload);
  }

  /** Ends quiet hours that are over and digest windows that have closed. */
  tick(): void {
    const now = this.deps.clock();
    for (const [id, h] of [...this.held]) {
      const ch = this.deps.channel(id);
      if (!ch) {
        this.held.delete(id);
        this.deps.store?.removeChannel(id);
        continue;
      }
      const q = ch.delivery.quietHours;
      if (q && inQuietHours(q, now)) continue;
      this.held.delete(id);
      this.deps.store?.removeChannel(id);
      this.stats.summaries++;
      this.release(id, ch.type, 'quiet-hours', h.items, h.count, now);
    }
    for (const [id, w] of [...this.windows]) {
      const ch = this.deps.channel(id);
      const windowMs = (ch?.delivery.digest?.windowSeconds ?? 0) * 1000;
      if (ch && now < w.start + windowMs) continue;
      this.windows.delete(id);
      if (ch) this.flushWindow(id, ch.type, w, now);
    }
  }

  private flushWindow(id: number, type: ChannelType, w: Window, now: number): void {
    this.windows.delete(id);
    if (w.buffer.length === 0) return;
    this.stats.digests++;
    this.release(id, type, 'rate', w.buffer, w.buffer.length + w.extra, now);
  }

  private release(id: number, type: ChannelType, reason: 'rate' | 'quiet-hours', items: AlarmNotificationPayload[], count: number, now: number): void {
    if (items.length === 0) return;
    if (STATEFUL_TYPES.has(type)) for (const p of items) this.deps.enqueue(id, p);
    else this.deps.enqueue(id, digestPayload(reason, items, count, now));
  }

  /** Notifications waiting (held in quiet hours or in a digest). */
  get waiting(): number {
    let n = 0;
    for (const h of this.held.values()) n += h.items.length;
    for (const w of this.windows.values()) n += w.buffer.length;
    return n;
  }
}
