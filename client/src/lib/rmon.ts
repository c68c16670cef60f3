import type { AlarmDto } from '@contracts/alarms';
import type { RmonHistorySample } from '@contracts/rmon';

/** Pure helpers of the device page's RMON card. */

/** Reduction key prefix of the RMON alarms the default rule pack raises (`rmonAlarm:<device>:<alarmIndex>`). */
export const rmonKeyPrefix = (deviceId: number) => `rmonAlarm:${deviceId}:`;

/** alarmIndex of an RMON alarm of this device, or null for any other alarm. */
export function rmonAlarmIndex(a: Pick<AlarmDto, 'reductionKey'>, deviceId: number): number | null {
  const p = rmonKeyPrefix(deviceId);
  if (!a.reductionKey.startsWith(p)) return null;
  const n = Number(a.reductionKey.slice(p.length));
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** The device's open RMON alarms, newest first. */
export function openRmonAlarms(alarms: AlarmDto[], deviceId: number): AlarmDto[] {
  return alarms.filter((a) => a.state !== 'cleared' && !a.archived && rmonAlarmIndex(a, deviceId) !== null).sort((x, y) => y.lastSeen - x.lastSeen);
}

type Series = { label: string; points: { ts: number; value: number }[] };

/**
 * Chart series of etherHistory samples placed on the wall clock (samples without a known start are
 * left out): utilisation in percent, and per-interval error counts (CRC/alignment, undersize,
 * oversize, fragments, jabbers) beside collisions.
 */
export function historySeries(samples: RmonHistorySample[]): { utilisation: Series[]; errors: Series[] } {
  const placed = samples.filter((s) => s.intervalStartAt !== null).sort((a, b) => a.intervalStartAt! - b.intervalStartAt!);
  const line = (label: string, pick: (s: RmonHistorySample) => number | null): Series => ({
    label,
    points: placed.flatMap((s) => {
      const v = pick(s);
      return v === null ? [] : [{ ts: s.intervalStartAt!, value: v }];
    }),
  });
  const errors = (s: RmonHistorySample): number | null => {
    const parts = [s.crcAlignErrors, s.undersizePkts, s.oversizePkts, s.fragments, s.jabbers];
    return parts.every((p) => p === null) ? null : parts.reduce<number>((n, p) => n + (p ?? 0), 0);
  };
  return {
    utilisation: [line('utilisation', (s) => s.utilisation)],
    errors: [line('errors', errors), line('collisions', (s) => s.collisions)],
  };
}

/** `etherStatsPkts.1` with the numeric OID as a fallback. */
export const variableLabel = (name: string | null, oid: string | null) => name ?? oid ?? '—';
