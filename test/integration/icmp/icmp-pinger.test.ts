import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fpingInterval, IcmpPinger } from '../../../server/collectors/icmp/icmp.pinger.js';
import { icmpSuccess, initialReach, stepReach, type ReachState } from '../../../server/collectors/icmp/reachability.js';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const log = { lines: [] as string[], info: (o: object, m: string) => log.lines.push(`${m} ${JSON.stringify(o)}`), warn: (o: object, m: string) => log.lines.push(`${m} ${JSON.stringify(o)}`) };

describe('ICMP over loopback', () => {
  it('fping batch: 127.0.0.1 and other 127.x addresses answer with RTTs and no loss', async () => {
    const p = new IcmpPinger({ log });
    expect(p.backend).toBe('fping');
    expect(log.lines.some((l) => l.includes('ICMP backend chosen') && l.includes('fping'))).toBe(true);
    const addrs = ['127.0.0.1', '127.0.0.2', '127.0.1.7', '127.1.2.3', '127.0.0.2'];
    const res = await p.pingMany(addrs, { count: 3, periodMs: 20, timeoutMs: 2000 });
    expect(res.map((r) => r.address)).toEqual(['127.0.0.1', '127.0.0.2', '127.0.1.7', '127.1.2.3']);
    for (const r of res) {
      expect(r).toMatchObject({ sent: 3, received: 3, lossPct: 0 });
      expect(r.rttMinMs!).toBeGreaterThan(0);
      expect(r.rttMaxMs!).toBeGreaterThanOrEqual(r.rttAvgMs!);
      expect(r.jitterMs).not.toBeNull();
    }
  });

  it('ping package fallback gives the same shape', async () => {
    const p = new IcmpPinger({ backend: 'ping', log });
    expect(p.backend).toBe('ping');
    const res = await p.pingMany(['127.0.0.1', '127.0.0.3'], { count: 2, periodMs: 200, timeoutMs: 1000 });
    for (const r of res) expect(r).toMatchObject({ sent: 2, received: 2, lossPct: 0 });
  });

  it('an unresolvable name is a failed result, not a crash', async () => {
    const p = new IcmpPinger();
    const res = await p.pingMany(['127.0.0.1', 'nosuch-host.invalid'], { count: 1, timeoutMs: 1500 });
    expect(res[0]!.received).toBe(1);
    expect(res[1]).toMatchObject({ address: 'nosuch-host.invalid', received: 0, lossPct: 100 });
  });
});

describe('ICMP unreachable host inside a test network namespace', () => {
  // Two namespaces joined by a veth pair: the pinger lives in `ns`, the
  // target host in `host`, which has no address at first (so nothing answers).
  const tag = `${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const ns = `nwtest-icmp-${tag}`;
  const host = `nwtest-host-${tag}`;
  beforeAll(() => {
    ip('netns', 'add', ns);
    ip('netns', 'add', host);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'add', 'vA', 'type', 'veth', 'peer', 'name', 'vB', 'netns', host);
    ip('-n', ns, 'addr', 'add', '10.199.0.1/24', 'dev', 'vA');
    ip('-n', ns, 'link', 'set', 'vA', 'up');
    ip('-n', host, 'link', 'set', 'vB', 'up');
  });
  afterAll(() => {
    for (const n of [ns, host]) {
      try {
        ip('netns', 'del', n);
      } catch {
        /* already gone */
      }
    }
  });

  it('goes down after 3 failed cycles and comes back on the first success', async () => {
    const p = new IcmpPinger({ wrapper: ['ip', 'netns', 'exec', ns] });
    let state: ReachState = initialReach();
    const history: string[] = [];
    const cycle = async () => {
      const [self, target] = await p.pingMany(['10.199.0.1', '10.199.0.2'], { count: 1, timeoutMs: 800 });
      expect(self!.received).toBe(1);
      const step = stepReach(state, icmpSuccess(target!), 3);
      state = step.state;
      history.push(state.status);
      return target!;
    };
    const first = await cycle();
    expect(first).toMatchObject({ received: 0, lossPct: 100, rttAvgMs: null });
    await cycle();
    expect(state.status).toBe('unknown');
    await cycle();
    expect(state.status).toBe('down');
    await cycle();
    expect(state.status).toBe('down');
    // The host appears.
    ip('-n', host, 'addr', 'add', '10.199.0.2/24', 'dev', 'vB');
    // Forget the failed ARP entry so the next cycle resolves the new host at once.
    ip('-n', ns, 'neigh', 'flush', 'dev', 'vA');
    let back = await cycle();
    for (let i = 0; i < 10 && back.received === 0; i++) back = await cycle();
    expect(back.received).toBe(1);
    // Down until the first reply, up on that very cycle.
    expect(history.slice(0, 4)).toEqual(['unknown', 'unknown', 'down', 'down']);
    expect(history.at(-1)).toBe('up');
    expect(history.slice(2, -1).every((h) => h === 'down')).toBe(true);
  });
});

describe('ICMP batches of several probes per host', () => {
  it('paces one fping over 450 hosts within the per-host period and gives every host each of its probes, in input order', async () => {
    const p = new IcmpPinger();
    // 20 ms period over 450 hosts: packets 0.05 ms apart (the floor) instead of 1 ms.
    expect(fpingInterval(450, { count: 4, periodMs: 20, intervalMs: 1 })).toBe(0.05);
    const addrs = Array.from({ length: 450 }, (_, i) => `127.9.${Math.floor(i / 200)}.${(i % 200) + 1}`);
    const res = await p.pingMany([...addrs, addrs[3]!], { count: 4, periodMs: 20, timeoutMs: 1000, intervalMs: 1 });
    expect(res.map((r) => r.address)).toEqual(addrs);
    for (const r of res) {
      expect(r.rtts).toHaveLength(4);
      expect(r).toMatchObject({ sent: 4, received: 4, lossPct: 0 });
    }
  });
});
