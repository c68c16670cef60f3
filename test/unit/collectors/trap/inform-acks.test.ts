import { describe, expect, it } from 'vitest';
import { InformAcks, informKey } from '../../../../server/collectors/trap/inform-acks.js';
import type { TrapPdu } from '../../../../server/collectors/trap/trap.convert.js';

const pdu = (over: Partial<TrapPdu> = {}): TrapPdu => ({
  type: 166,
  id: 4242,
  community: 'public',
  varbinds: [
    { oid: '1.3.6.1.2.1.1.3.0', type: 67, value: 1234 },
    { oid: '1.3.6.1.6.3.1.1.4.1.0', type: 6, value: '1.3.6.1.4.1.99.0.1' },
    { oid: '1.3.6.1.4.1.99.1', type: 4, value: Buffer.from('x') },
  ],
  ...over,
});
const from = { address: '127.0.0.1', port: 40000 };

function response() {
  const r = { sent: 0, transmit: () => void r.sent++ };
  return r;
}

describe('INFORM acknowledgements', () => {
  it('identifies a retransmission (same sender, port, request id and varbinds) and nothing else', () => {
    const k = informKey(pdu(), from);
    expect(informKey(pdu(), { ...from })).toBe(k);
    expect(informKey(pdu({ id: 4243 }), from)).not.toBe(k);
    expect(informKey(pdu(), { ...from, port: 40001 })).not.toBe(k);
    expect(informKey(pdu({ community: 'other' }), from)).not.toBe(k);
    // An agent that restarted and reuses the request id: its sysUpTime differs.
    const restarted = pdu();
    restarted.varbinds[0] = { oid: '1.3.6.1.2.1.1.3.0', type: 67, value: 5 };
    expect(informKey(restarted, from)).not.toBe(k);
  });

  it('sends held Responses only when committed; a failed INFORM is forgotten so its retransmission is new', () => {
    const acks = new InformAcks();
    const a = acks.begin('a', 0);
    const b = acks.begin('b', 0);
    const ra = response();
    const rb = response();
    a.held.push(ra);
    b.held.push(rb);
    expect(acks.waiting).toBe(2);
    acks.settle([a], 'committed');
    acks.settle([b], 'dropped');
    expect([ra.sent, rb.sent]).toEqual([1, 0]);
    expect(acks.lookup('a', 1)?.state).toBe('stored');
    expect(acks.lookup('b', 1)).toBeUndefined();
    expect(acks.counters).toEqual({ informs_acknowledged: 1, informs_unacknowledged: 1, inform_duplicates: 0 });
  });

  it('answers a retransmission of a stored INFORM at once, and holds one of a pending INFORM until its commit', () => {
    const acks = new InformAcks();
    const stored = acks.begin('s', 0);
    acks.settle([stored], 'committed');
    const again = response();
    acks.duplicate(acks.lookup('s', 10)!, [again]);
    expect(again.sent).toBe(1);

    const pending = acks.begin('p', 0);
    const first = response();
    const retry = response();
    pending.held.push(first);
    acks.duplicate(acks.lookup('p', 10)!, [retry]);
    expect(retry.sent).toBe(0);
    acks.settle([pending], 'committed');
    expect([first.sent, retry.sent]).toEqual([1, 1]);
    expect(acks.counters.inform_duplicates).toBe(2);
  });

  it('forgets a stored INFORM after rememberMs, and the oldest beyond maxRemembered', () => {
    const timed = new InformAcks({ rememberMs: 1000 });
    timed.settle([timed.begin('a', 0)], 'committed');
    expect(timed.lookup('a', 1000)).toBeDefined();
    expect(timed.lookup('a', 1001)).toBeUndefined();

    const bounded = new InformAcks({ rememberMs: 60_000, maxRemembered: 3 });
    for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) bounded.settle([bounded.begin(k, i)], 'committed');
    expect(['a', 'b', 'c', 'd'].map((k) => bounded.lookup(k, 10) !== undefined)).toEqual([false, true, true, true]);
    bounded.begin('e', 70_000); // the stale ones go as new ones arrive
    expect(['b', 'c', 'd', 'e'].map((k) => bounded.lookup(k, 70_000) !== undefined)).toEqual([false, false, false, true]);
  });

  it('idle() resolves when the last pending INFORM settles, or false after its timeout', async () => {
    const acks = new InformAcks();
    expect(await acks.idle(10)).toBe(true);
    const e = acks.begin('x', 0);
    const idle = acks.idle(60_000);
    acks.settle([e], 'failed');
    expect(await idle).toBe(true);
    acks.begin('y', 0);
    expect(await acks.idle(1)).toBe(false);
  });
});
