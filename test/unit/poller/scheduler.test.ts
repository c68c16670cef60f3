import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../server/poller/clock.js';
import { PollScheduler, phaseOf, type JobKey } from '../../../server/poller/scheduler.js';

/** A job that "takes" `ms` of fake time. */
function harness(concurrency: number, durationMs: (key: JobKey) => number) {
  const clock = new ManualClock(1_000_000);
  const runs = new Map<JobKey, number[]>();
  const active = new Set<JobKey>();
  let concurrent = 0;
  let maxConcurrent = 0;
  let overlaps = 0;
  const sched = new PollScheduler<null>({
    clock,
    concurrency,
    run: (key) => {
      if (active.has(key)) overlaps++;
      active.add(key);
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      (runs.get(key) ?? runs.set(key, []).get(key)!).push(clock.now());
      return new Promise<void>((resolve) =>
        clock.setTimer(() => {
          active.delete(key);
          concurrent--;
          resolve();
        }, durationMs(key)),
      );
    },
  });
  return { clock, sched, runs, get maxConcurrent() { return maxConcurrent; }, get overlaps() { return overlaps; } };
}

describe('PollScheduler', () => {
  it('spreads first polls of a fleet across the interval', () => {
    const buckets = new Array(60).fill(0);
    for (let id = 1; id <= 3000; id++) buckets[Math.floor(phaseOf(id, 60_000) / 1000)]++;
    expect(Math.min(...buckets)).toBeGreaterThan(20); // average is 50 per second
    expect(Math.max(...buckets)).toBeLessThan(90);
  });

  it('runs every device once per interval when capacity allows', async () => {
    const h = harness(5, () => 2000);
    for (let id = 1; id <= 100; id++) h.sched.upsert(id, 60_000, null);
    h.sched.start();
    await h.clock.advance(600_000);
    for (let id = 1; id <= 100; id++) {
      const n = h.runs.get(id)?.length ?? 0;
      expect(n, `device ${id}`).toBeGreaterThanOrEqual(9);
      expect(n, `device ${id}`).toBeLessThanOrEqual(11);
      const times = h.runs.get(id)!;
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(55_000);
    }
    expect(h.maxConcurrent).toBeLessThanOrEqual(5);
    expect(h.overlaps).toBe(0);
  });

  it('shares an overloaded poller fairly (earliest deadline first) and never exceeds concurrency', async () => {
    // 100 devices, capacity 60 polls a minute.
    const h = harness(1, () => 1000);
    for (let id = 1; id <= 100; id++) h.sched.upsert(`dev-${id}`, 60_000, null);
    h.sched.start();
    await h.clock.advance(1_200_000);
    const counts = [...Array(100).keys()].map((i) => h.runs.get(`dev-${i + 1}`)?.length ?? 0);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(Math.max(...counts) - 2);
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(h.maxConcurrent).toBe(1);
    expect(h.sched.stats().skipped).toBeGreaterThan(0);
  });

  it('never overlaps two polls of one device when a poll outlasts the interval', async () => {
    const h = harness(4, (key) => (key === 'slow' ? 150_000 : 1000));
    h.sched.upsert('slow', 60_000, null);
    h.sched.upsert('fast', 60_000, null);
    h.sched.start();
    await h.clock.advance(600_000);
    expect(h.overlaps).toBe(0);
    const slow = h.runs.get('slow')!;
    for (let i = 1; i < slow.length; i++) expect(slow[i]! - slow[i - 1]!).toBeGreaterThanOrEqual(150_000);
    expect(h.runs.get('fast')!.length).toBeGreaterThanOrEqual(9);
    expect(h.sched.stats().skipped).toBeGreaterThanOrEqual(4);
  });

  it('keeps each device on its own phase across intervals', async () => {
    const h = harness(10, () => 500);
    h.sched.upsert(42, 30_000, null);
    h.sched.start();
    await h.clock.advance(300_000);
    const phases = new Set(h.runs.get(42)!.map((t) => t % 30_000));
    expect(phases.size).toBe(1);
    expect([...phases][0]).toBe(phaseOf(42, 30_000));
  });

  it('polls now on request, joins a running poll, and survives failing jobs', async () => {
    const clock = new ManualClock(0);
    const errors: JobKey[] = [];
    let calls = 0;
    const sched = new PollScheduler<string>({
      clock,
      concurrency: 1,
      run: async (key, data) => {
        calls++;
        await new Promise<void>((r) => clock.setTimer(r, 100));
        if (data === 'bad') throw new Error('agent exploded');
      },
      onError: (key) => errors.push(key),
    });
    sched.upsert('a', 60_000, 'ok');
    sched.upsert('b', 60_000, 'bad');
    sched.start();
    const p1 = sched.runNow('a');
    const p2 = sched.runNow('a');
    await clock.advance(200);
    await Promise.all([p1, p2]);
    expect(calls).toBe(1);
    await clock.advance(180_000);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.every((k) => k === 'b')).toBe(true);
    expect(sched.stats().failed).toBe(errors.length);
    sched.remove('b');
    const before = errors.length;
    await clock.advance(180_000);
    expect(errors.length).toBe(before);
    sched.stop();
  });
});
