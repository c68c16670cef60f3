import { describe, expect, it } from 'vitest';
import { LocalSingletons, jobLockKey } from '../../../server/cluster/singleton.js';

describe('LocalSingletons (one process, SQLite)', () => {
  it('starts a job when it registers and stops it when it unregisters or closes', async () => {
    const s = new LocalSingletons();
    const log: string[] = [];
    const off = s.register('alarm-sweep', { start: () => void log.push('sweep start'), stop: () => void log.push('sweep stop') });
    s.register('poll-schedule.site-1', { start: () => void log.push('poll start'), stop: () => void log.push('poll stop') });
    expect(log).toEqual(['sweep start', 'poll start']);
    expect(s.held()).toEqual(['alarm-sweep', 'poll-schedule.site-1']);
    expect(s.counters()).toEqual({ held: 2, holds_alarm_sweep: 1, holds_poll_schedule_site_1: 1 });
    await off();
    await off();
    expect(log).toEqual(['sweep start', 'poll start', 'sweep stop']);
    await s.close();
    expect(log.at(-1)).toBe('poll stop');
    expect(s.held()).toEqual([]);
  });

  it('refuses a job name twice and names that are not job names', () => {
    const s = new LocalSingletons();
    const job = { start: () => undefined, stop: () => undefined };
    s.register('housekeeping', job);
    expect(() => s.register('housekeeping', job)).toThrow(/twice/);
    for (const bad of ['', '__proto__ x', 'a'.repeat(101), 'x;DROP']) expect(() => s.register(bad, job)).toThrow(/singleton job name/);
  });

  it('keeps running the other jobs when one fails to start', () => {
    const s = new LocalSingletons();
    const log: string[] = [];
    s.register('broken', { start: () => { throw new Error('no'); }, stop: () => undefined });
    s.register('fine', { start: () => void log.push('fine'), stop: () => undefined });
    expect(log).toEqual(['fine']);
  });

  it('gives each job name its own, stable lock key', () => {
    expect(jobLockKey('alarm-sweep')).toBe(jobLockKey('alarm-sweep'));
    expect(jobLockKey('alarm-sweep')).not.toBe(jobLockKey('alarm-escalation'));
    // FNV-1a 32-bit of "a" is 0xe40c292c, as a signed int4.
    expect(jobLockKey('a')).toBe(0xe40c292c | 0);
    for (const n of ['housekeeping', 'poll-schedule.central', 'x'.repeat(100)]) expect(Number.isInteger(jobLockKey(n)) && Math.abs(jobLockKey(n)) <= 2 ** 31).toBe(true);
  });
});
