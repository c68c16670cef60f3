import { describe, expect, it } from 'vitest';
import { parseFpingOutput, summariseRtts } from '../../../../server/collectors/icmp/fping.parser.js';
import { initialReach, stepReach, type ReachState } from '../../../../server/collectors/icmp/reachability.js';

describe('fping -C output', () => {
  it('parses per-host RTT lists with lost replies', () => {
    const text = ['127.0.0.1  : 0.03 0.05 0.04', '10.99.0.2  : - - -', '::1        : 0.12 - 0.10', 'nosuch.invalid: Name or service not known', ''].join('\n');
    const { rtts, other } = parseFpingOutput(text);
    expect(rtts.get('127.0.0.1')).toEqual([0.03, 0.05, 0.04]);
    expect(rtts.get('10.99.0.2')).toEqual([null, null, null]);
    expect(rtts.get('::1')).toEqual([0.12, null, 0.1]);
    expect(other).toEqual(['nosuch.invalid: Name or service not known']);
  });

  it('summarises min/avg/max, loss and jitter', () => {
    expect(summariseRtts('h', [1, 3, null, 2])).toEqual({
      address: 'h',
      sent: 4,
      received: 3,
      lossPct: 25,
      rttMinMs: 1,
      rttAvgMs: 2,
      rttMaxMs: 3,
      jitterMs: 1.5,
      rtts: [1, 3, null, 2],
    });
    expect(summariseRtts('h', [null, null])).toMatchObject({ lossPct: 100, rttAvgMs: null, jitterMs: null });
    expect(summariseRtts('h', [5])).toMatchObject({ lossPct: 0, rttAvgMs: 5, jitterMs: null });
  });
});

describe('reachability hysteresis', () => {
  const run = (seq: boolean[], n = 3) => {
    let s: ReachState = initialReach();
    const changes: string[] = [];
    for (const ok of seq) {
      const step = stepReach(s, ok, n);
      s = step.state;
      if (step.changed) changes.push(`${step.changed.from}->${step.changed.to}`);
    }
    return { s, changes };
  };

  it('goes down only after N consecutive failed cycles', () => {
    expect(run([true, false, false]).s.status).toBe('up');
    expect(run([true, false, false, false]).s.status).toBe('down');
    expect(run([true, false, false, true, false, false]).s.status).toBe('up');
  });

  it('comes back up on the first success and reports each transition once', () => {
    expect(run([true, false, false, false, false, true]).changes).toEqual(['unknown->up', 'up->down', 'down->up']);
  });

  it('an unknown device that never answers goes down after N cycles', () => {
    expect(run([false, false]).s.status).toBe('unknown');
    expect(run([false, false, false]).changes).toEqual(['unknown->down']);
    expect(run([false], 1).s.status).toBe('down');
  });
});
