import { describe, expect, it } from 'vitest';
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
