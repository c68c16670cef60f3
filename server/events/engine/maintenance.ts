import type { MaintenanceWindowDto } from '../../contracts/alarms.js';
import type { DeviceInfo } from './event-context.js';

type Window = Omit<MaintenanceWindowDto, 'activeNow'>;

const formats = new Map<string, Intl.DateTimeFormat>();
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Throws RangeError for an unknown IANA time zone. */
export function timeZoneFormat(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formats.set(tz, f);
  }
  return f;
}

/** Weekday (0 = Sunday) and minute of the day of `now` on the wall clock of `tz`. */
export function wallClock(now: number, tz: string): { day: number; minute: number } {
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const p of timeZoneFormat(tz).formatToParts(now)) {
    if (p.type === 'weekday') day = DAYS.indexOf(p.value);
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { day, minute: hour * 60 + minute };
}

export function parseHhMm(s: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/**
 * Is the window in effect at `now`? Recurring windows are evaluated on the wall
 * clock of their time zone: a start on an allowed day at `startTime`, lasting
 * `durationMin` (may run past midnight into the next days).
 */
export function isWindowActive(w: Window, now: number): boolean {
  if (w.kind === 'once') return w.startsAt !== null && w.endsAt !== null && now >= w.startsAt && now < w.endsAt;
  const start = w.startTime ? parseHhMm(w.startTime) : undefined;
  if (start === undefined || !w.durationMin) return false;
  const { day, minute } = wallClock(now, w.timezone);
  const daysBack = Math.ceil(w.durationMin / 1440) + 1;
  for (let k = 0; k <= daysBack; k++) {
    const startDay = (((day - k) % 7) + 7) % 7;
    if (w.kind === 'weekly' && !w.days.includes(startDay)) continue;
    const since = k * 1440 + minute - start;
    if (since >= 0 && since < w.durationMin) return true;
  }
  return false;
}

/** The windows, and which device is in maintenance now. */
export class MaintenanceIndex {
  private windows: Window[] = [];

  constructor(private readonly load: () => Window[]) {
    this.reload();
  }

  reload(): void {
    this.windows = this.load();
  }

  get count(): number {
    return this.windows.length;
  }

  covers(deviceId: number | null, device: DeviceInfo | undefined, now: number): boolean {
    if (this.windows.length === 0 || deviceId === null) return false;
    for (const w of this.windows) {
      const applies = (w.deviceId !== null && w.deviceId === deviceId) || (w.group !== null && device?.group === w.group);
      if (applies && isWindowActive(w, now)) return true;
    }
    return false;
  }
}
