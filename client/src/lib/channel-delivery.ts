import type { ChannelDeliveryDto } from '@contracts/alarms';
import type { Severity } from '@contracts/events';

/** The channel form's quiet hours and digest fields (strings and flags as the inputs hold them). */
export interface DeliveryForm {
  quiet: boolean;
  timezone: string;
  days: number[];
  start: string;
  end: string;
  /** '' = nothing breaks through. */
  breakThrough: Severity | '';
  digest: boolean;
  threshold: number;
  windowSeconds: number;
}

const browserZone = (): string => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
};

export function deliveryForm(d: ChannelDeliveryDto | undefined): DeliveryForm {
  const q = d?.quietHours;
  const g = d?.digest;
  return {
    quiet: q?.enabled ?? false,
    timezone: q?.timezone ?? browserZone(),
    days: q?.days ?? [0, 1, 2, 3, 4, 5, 6],
    start: q?.start ?? '22:00',
    end: q?.end ?? '07:00',
    breakThrough: q ? (q.breakThrough ?? '') : 'critical',
    digest: g?.enabled ?? false,
    threshold: g?.threshold ?? 10,
    windowSeconds: g?.windowSeconds ?? 60,
  };
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Field errors (keys `quiet.start`, …); empty when the form can be sent. */
export function deliveryErrors(f: DeliveryForm): Map<string, string> {
  const e = new Map<string, string>();
  if (f.quiet) {
    if (!HHMM.test(f.start)) e.set('quiet.start', 'HH:MM');
    if (!HHMM.test(f.end)) e.set('quiet.end', 'HH:MM');
    if (f.days.length === 0) e.set('quiet.days', 'Pick at least one day');
    if (!f.timezone.trim()) e.set('quiet.timezone', 'A time zone, e.g. Europe/Berlin');
  }
  if (f.digest && (!Number.isInteger(f.threshold) || f.threshold < 1)) e.set('digest.threshold', 'At least 1');
  return e;
}

/** The `delivery` body: only the parts that are switched on (an off part is left out, i.e. removed). */
export function buildDelivery(f: DeliveryForm): ChannelDeliveryDto {
  const out: ChannelDeliveryDto = {};
  if (f.quiet) {
    out.quietHours = { enabled: true, timezone: f.timezone.trim(), days: [...f.days].sort((a, b) => a - b), start: f.start, end: f.end, breakThrough: f.breakThrough || null };
  }
  if (f.digest) out.digest = { enabled: true, threshold: f.threshold, windowSeconds: f.windowSeconds };
  return out;
}

/** One line for the channel list, e.g. `quiet 22:00–07:00 Europe/Berlin · digest > 10/min`. */
export function deliverySummary(d: ChannelDeliveryDto | undefined): string {
  const parts: string[] = [];
  if (d?.quietHours?.enabled) parts.push(`quiet ${d.quietHours.start}–${d.quietHours.end} ${d.quietHours.timezone}`);
  if (d?.digest?.enabled) parts.push(`digest > ${d.digest.threshold}/${d.digest.windowSeconds === 60 ? 'min' : `${d.digest.windowSeconds}s`}`);
  return parts.join(' · ');
}
