import { describe, expect, it } from 'vitest';
import { formatAgo, formatBytes, formatDuration, groupCounters } from '../../../client/src/lib/format.js';

describe('console formatting', () => {
  it('shows sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
  });

  it('shows uptime in the two largest units', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(125)).toBe('2m 5s');
    expect(formatDuration(3 * 3600 + 120)).toBe('3h 2m');
    expect(formatDuration(2 * 86_400 + 3600)).toBe('2d 1h 0m');
  });

  it('groups counters by the prefix before the first dot, sorted', () => {
    expect(groupCounters({ 'syslog.received': 5, 'trap.dropped': 1, 'syslog.dropped': 0, uptime: 9 })).toEqual([
      { name: 'general', counters: [{ name: 'uptime', label: 'uptime', value: 9 }] },
      {
        name: 'syslog',
        counters: [
          { name: 'syslog.dropped', label: 'dropped', value: 0 },
          { name: 'syslog.received', label: 'received', value: 5 },
        ],
      },
      { name: 'trap', counters: [{ name: 'trap.dropped', label: 'dropped', value: 1 }] },
    ]);
  });

  it('says how long ago a heartbeat was: just now, seconds, minutes, hours, days', () => {
    const now = 1_000_000_000;
    expect(formatAgo(now + 5000, now)).toBe('just now');
    expect(formatAgo(now - 1500, now)).toBe('just now');
    expect(formatAgo(now - 12_000, now)).toBe('12 s ago');
    expect(formatAgo(now - 180_000, now)).toBe('3 min ago');
    expect(formatAgo(now - 2 * 3_600_000, now)).toBe('2 h ago');
    expect(formatAgo(now - 4 * 86_400_000, now)).toBe('4 d ago');
    expect(formatAgo(null, now)).toBe('—');
  });
});
