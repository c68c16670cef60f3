import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import type { IntakeOutcome } from '../../../server/events/event-intake.js';
import { PublishedIntake } from '../../../server/bus/published-intake.js';
import type { PublishOutcome } from '../../../server/bus/spooled-publisher.js';

const ev = (message: string): NormalizedEvent => ({ receivedAt: 1, reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.1', deviceId: null, severity: 'info', type: 't', message, params: {} });

/** A publisher that records each batch and answers with the outcomes it is given, in order. */
function recorder(outcomes: (PublishOutcome | Error)[] = []) {
  const batches: NormalizedEvent[][] = [];
  return {
    batches,
    async publish(_kind: 'events', batch: unknown[]): Promise<PublishOutcome> {
      batches.push(batch as NormalizedEvent[]);
      const o = outcomes.shift() ?? 'direct';
      if (o instanceof Error) throw o;
      return o;
    },
  };
}

const settled = () => {
  const got: IntakeOutcome[] = [];
  return { got, cb: (o: IntakeOutcome) => got.push(o) };
};

describe("a collector's intake over the spooled publisher", () => {
  it('publishes what is submitted in one turn as one batch and settles each call committed', async () => {
    const pub = recorder();
    const intake = new PublishedIntake(pub, { maxBatchBytes: () => 1 << 20 });
    const a = settled();
    const b = settled();
    intake.submit([ev('1'), ev('2')], a.cb);
    intake.submit([ev('3')], b.cb);
    intake.submit([ev('4')]);
    await intake.flush();
    expect(pub.batches.map((x) => x.map((e) => e.message))).toEqual([['1', '2', '3', '4']]);
    expect(a.got).toEqual(['committed']);
    expect(b.got).toEqual(['committed']);
    expect(intake.counters()).toMatchObject({ submitted: 4, published: 4, pending: 0 });
  });

  it('splits a turn into batches under the byte limit, and a call spanning two settles by the worse outcome', async () => {
    const pub = recorder(['spooled', 'overflow']);
    const size = JSON.stringify(ev('x'.repeat(100))).length;
    const intake = new PublishedIntake(pub, { maxBatchBytes: () => Math.max(1024, size * 3) });
    const calls = [settled(), settled()];
    const big = Math.ceil(1024 / size) + 2;
    intake.submit(Array.from({ length: big }, (_, i) => ev(`${'x'.repeat(100)}${i}`)), calls[0]!.cb);
    intake.submit([ev('last')], calls[1]!.cb);
    await intake.flush();
    expect(pub.batches.length).toBe(2);
    expect(pub.batches.flat()).toHaveLength(big + 1);
    for (const b of pub.batches) expect(JSON.stringify(b).length).toBeLessThanOrEqual(Math.max(1024, size * 3));
    expect(calls[0]!.got).toEqual(['dropped']);
    expect(calls[1]!.got).toEqual(['dropped']);
    expect(intake.counters()).toMatchObject({ dropped: pub.batches[1]!.length });
  });

  it('reports a failed spool write as failed, and refuses beyond maxPending as dropped', async () => {
    const pub = recorder([new Error('disk full')]);
    const intake = new PublishedIntake(pub, { maxBatchBytes: () => 1 << 20, maxPending: 2 });
    const a = settled();
    const b = settled();
    intake.submit([ev('1'), ev('2')], a.cb);
    intake.submit([ev('3')], b.cb);
    await intake.flush();
    expect(a.got).toEqual(['failed']);
    expect(b.got).toEqual(['dropped']);
    expect(intake.counters()).toMatchObject({ failed: 2, dropped: 1, pending: 0 });
  });
});

describe('batch merging at the collector', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('merges submits made in separate turns within the linger into one batch, in submit order', async () => {
    vi.useFakeTimers();
    const pub = recorder();
    const intake = new PublishedIntake(pub, { maxBatchBytes: () => 1 << 20, lingerMs: 50 });
    const calls = Array.from({ length: 20 }, () => settled());
    for (let i = 0; i < 20; i++) {
      intake.submit([ev(`line ${i}`)], calls[i]!.cb);
      await vi.advanceTimersByTimeAsync(2); // one datagram every 2 ms: 38 ms in all, inside one linger
    }
    expect(pub.batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(50);
    await intake.flush();
    expect(pub.batches.map((b) => b.map((e) => e.message))).toEqual([Array.from({ length: 20 }, (_, i) => `line ${i}`)]);
    expect(calls.every((c) => c.got.length === 1 && c.got[0] === 'committed')).toBe(true);
    expect(intake.counters()).toMatchObject({ submits: 20, batches: 1, flushes_linger: 1, flushes_full: 0, published: 20, pending: 0 });
  });

  it('publishes at once when maxEvents are waiting, and never puts more than maxEvents in one batch', async () => {
    vi.useFakeTimers();
    const pub = recorder();
    const intake = new PublishedIntake(pub, { maxBatchBytes: () => 1 << 20, lingerMs: 10_000, maxEvents: 4 });
    intake.submit([ev('a'), ev('b'), ev('c')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(pub.batches).toHaveLength(0);
    // Reaching the count publishes without waiting for the linger; a call of 10 is split into batches of at most 4.
    intake.submit([ev('d')]);
    intake.submit(Array.from({ length: 10 }, (_, i) => ev(`n${i}`)));
    await vi.advanceTimersByTimeAsync(0);
    // Three full batches went without the linger; the last two events wait for it (or a flush).
    expect(pub.batches.map((b) => b.length)).toEqual([4, 4, 4]);
    await intake.flush();
    expect(pub.batches.map((b) => b.length)).toEqual([4, 4, 4, 2]);
    expect(pub.batches.flat().map((e) => e.message)).toEqual(['a', 'b', 'c', 'd', ...Array.from({ length: 10 }, (_, i) => `n${i}`)]);
    expect(intake.counters()).toMatchObject({ submits: 3, flushes_full: 3, flushes_linger: 1, submitted: 14, published: 14 });
  });

  it('keeps a batch under maxBytes even when NATS would take more', async () => {
    const pub = recorder();
    const intake = new PublishedIntake(pub, { maxBatchBytes: () => 1 << 20, lingerMs: 0, maxBytes: 4096 });
    const events = Array.from({ length: 100 }, (_, i) => ev(`${i} ${'y'.repeat(200)}`));
    intake.submit(events);
    await intake.flush();
    expect(pub.batches.length).toBeGreaterThan(1);
    for (const b of pub.batches) expect(Buffer.byteLength(JSON.stringify(b))).toBeLessThanOrEqual(4096);
    expect(pub.batches.flat().map((e) => e.message)).toEqual(events.map((e) => e.message));
  });

  it('merges what arrives while a batch is in flight into the next batch, keeping order', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const batches: string[][] = [];
    const pub = {
      async publish(_kind: 'events', batch: unknown[]): Promise<PublishOutcome> {
        batches.push((batch as NormalizedEvent[]).map((e) => e.message));
        if (batches.length === 1) await gate;
        return 'direct';
      },
    };
    const intake = new PublishedIntake(pub, { maxBatchBytes: () => 1 << 20, lingerMs: 0, maxEvents: 2 });
    intake.submit([ev('1'), ev('2'), ev('3')]);
    void intake.flush();
    intake.submit([ev('4')]);
    const done = intake.flush();
    release();
    await done;
    expect(batches).toEqual([['1', '2'], ['3', '4']]);
  });

  it('publishes an event that is not JSON alone (refused as invalid, counted) and goes on merging the rest', async () => {
    const pub = recorder(['direct', 'invalid', 'direct']);
    const intake = new PublishedIntake(pub, { maxBatchBytes: () => 1 << 20, lingerMs: 0, maxEvents: 10 });
    const bad = { ...ev('bad'), params: { n: 1n } } as unknown as NormalizedEvent;
    const calls = [settled(), settled(), settled()];
    intake.submit([ev('1'), ev('2')], calls[0]!.cb);
    intake.submit([bad], calls[1]!.cb);
    intake.submit([ev('3'), ev('4')], calls[2]!.cb);
    await intake.flush();
    expect(pub.batches.map((b) => b.map((e) => e.message))).toEqual([['1', '2'], ['bad'], ['3', '4']]);
    expect(calls.map((c) => c.got)).toEqual([['committed'], ['dropped'], ['committed']]);
    // Still merging by size after it: nothing left counted as infinitely big.
    intake.submit([ev('5')]);
    intake.submit([ev('6')]);
    await intake.flush();
    expect(pub.batches.at(-1)!.map((e) => e.message)).toEqual(['5', '6']);
    expect(intake.counters()).toMatchObject({ dropped: 1, pending: 0 });
  });
});
