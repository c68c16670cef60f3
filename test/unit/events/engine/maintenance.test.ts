import { describe, expect, it } from 'vitest';
import { isWindowActive } from '../../../../server/events/engine/maintenance.js';

const base = { id: 1, name: 'w', deviceId: 1, group: null, startsAt: null, endsAt: null, days: [] as number[], startTime: null, durationMin: null, timezone: 'UTC', createdBy: 'x', createdAt: 0 };
const at = (iso: string) => Date.parse(iso);

describe('maintenance windows', () => {
  it('one-off: active from start (inclusive) to end (exclusive)', () => {
    const w = { ...base, kind: 'once' as const, startsAt: at('2026-01-01T10:00:00Z'), endsAt: at('2026-01-01T12:00:00Z') };
    expect(isWindowActive(w, at('2026-01-01T09:59:59Z'))).toBe(false);
    expect(isWindowActive(w, at('2026-01-01T10:00:00Z'))).toBe(true);
    expect(isWindowActive(w, at('2026-01-01T12:00:00Z'))).toBe(false);
  });

  it('weekly: on the chosen days, running past midnight into the next day', () => {
    // Sundays 23:00 for 2 h. 2026-01-04 is a Sunday.
    const w = { ...base, kind: 'weekly' as const, days: [0], startTime: '23:00', durationMin: 120 };
    expect(isWindowActive(w, at('2026-01-04T23:30:00Z'))).toBe(true);
    expect(isWindowActive(w, at('2026-01-05T00:30:00Z'))).toBe(true);
    expect(isWindowActive(w, at('2026-01-05T01:00:00Z'))).toBe(false);
    expect(isWindowActive(w, at('2026-01-05T23:30:00Z'))).toBe(false);
  });

  it('daily, on the wall clock of its time zone', () => {
    const w = { ...base, kind: 'daily' as const, startTime: '02:00', durationMin: 60, timezone: 'Europe/Berlin' };
    // 02:30 in Berlin (winter, UTC+1) is 01:30 UTC.
    expect(isWindowActive(w, at('2026-01-10T01:30:00Z'))).toBe(true);
    expect(isWindowActive(w, at('2026-01-10T02:30:00Z'))).toBe(false);
  });
});
