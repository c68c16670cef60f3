import { describe, expect, it } from 'vitest';
import { computeRates, counterRate, matchInterfaces, rebooted, type RateState } from '../../../server/poller/rate.js';
import type { InterfaceSample } from '../../../server/contracts/poll.js';

const c32 = (v: bigint | number) => ({ value: BigInt(v), bits: 32 as const });
const c64 = (v: bigint | number) => ({ value: BigInt(v), bits: 64 as const });

function iface(ifIndex: number, name: string, inOctets: bigint, opts: Partial<InterfaceSample> = {}, bits: 32 | 64 = 64): InterfaceSample {
  return {
    ifIndex,
    name,
    descr: name,
    alias: null,
    type: 6,
    mtu: 1500,
    speedBps: 1_000_000_000,
    mac: null,
    adminStatus: 1,
    operStatus: 1,
    lastChangeCs: 0,
    discontinuityCs: 0,
    hc: bits === 64,
    counters: { inOctets: { value: inOctets, bits }, outOctets: { value: inOctets / 2n, bits } },
    ...opts,
  };
}

describe('counterRate', () => {
  it('gives the per-second rate of an increasing counter', () => {
    expect(counterRate(c32(1000), c32(7000), 60)).toEqual({ rate: 100 });
  });

  it('undoes one 32-bit wrap', () => {
    const r = counterRate(c32(2n ** 32n - 1000n), c32(5000), 10);
    expect(r.rate).toBe(600);
  });

  it('computes 64-bit rates exactly beyond 2^53', () => {
    const base = 2n ** 60n;
    expect(counterRate(c64(base), c64(base + 125_000_000n * 60n), 60)).toEqual({ rate: 125_000_000 });
  });

  it('treats a 64-bit counter going backwards as a reset, not a wrap', () => {
    expect(counterRate(c64(10_000_000), c64(5), 60)).toEqual({ rate: null, reason: 'reset' });
  });

  it('rejects a 32-bit "wrap" that implies more than the link speed', () => {
    // 10 Mbit/s link = 1.25 MB/s; a counter reset from 4e9 to 100 looks like a wrap of ~295 MB in 60 s (4.9 MB/s).
    expect(counterRate(c32(4_000_000_000), c32(100), 60, 1_250_000 * 1.1)).toEqual({ rate: null, reason: 'reset' });
  });

  it('refuses rates without elapsed time or across a width change', () => {
    expect(counterRate(c32(1), c32(2), 0).rate).toBeNull();
    expect(counterRate(c32(1), c64(2), 60)).toEqual({ rate: null, reason: 'widthChanged' });
  });
});

describe('rebooted', () => {
  it('detects sysUpTime going backwards', () => {
    expect(rebooted(500_000, 1_000, 60)).toBe(true);
  });
  it('does not mistake the 497-day sysUpTime wrap for a reboot', () => {
    expect(rebooted(2 ** 32 - 3000, 3000, 60)).toBe(false);
  });
  it('detects a reboot during a long gap even when up-time is now larger', () => {
    // Last poll 10 min of up-time; 2 hours later the device shows 1 hour.
    expect(rebooted(60_000, 360_000, 7200)).toBe(true);
  });
  it('normal progress is not a reboot', () => {
    expect(rebooted(100_000, 106_000, 60)).toBe(false);
    expect(rebooted(null, 5, 60)).toBe(false);
  });
});

describe('computeRates', () => {
  const state = (atMs: number, up: number, ifs: InterfaceSample[]): RateState => ({ atMs, sysUpTimeCs: up, interfaces: ifs });

  it('gives bits per second and utilisation', () => {
    const r = computeRates(state(0, 1000, [iface(1, 'ge-0/0/1', 0n)]), state(60_000, 7000, [iface(1, 'ge-0/0/1', 75_000_000n * 60n)]));
    expect(r.rebooted).toBe(false);
    expect(r.interfaces[0]!.inBps).toBe(600_000_000);
    expect(r.interfaces[0]!.inUtilPct).toBeCloseTo(60);
    expect(r.interfaces[0]!.outBps).toBe(300_000_000);
  });

  it('has no rates on the first poll', () => {
    const r = computeRates(null, state(0, 1, [iface(1, 'a', 5n)]));
    expect(r.interfaces[0]).toMatchObject({ noRate: 'first', inBps: null });
  });

  it('gives no spike after a reboot (sysUpTime went backwards)', () => {
    const r = computeRates(state(0, 900_000, [iface(1, 'a', 10n ** 12n)]), state(60_000, 500, [iface(1, 'a', 1000n)]));
    expect(r.rebooted).toBe(true);
    expect(r.interfaces[0]).toMatchObject({ noRate: 'reboot', inBps: null, outBps: null });
  });

  it('gives no rate when ifCounterDiscontinuityTime changed', () => {
    const r = computeRates(
      state(0, 1000, [iface(1, 'a', 100n, { discontinuityCs: 0 })]),
      state(60_000, 7000, [iface(1, 'a', 5n, { discontinuityCs: 6500 })]),
    );
    expect(r.interfaces[0]!.noRate).toBe('discontinuity');
  });

  it('keeps the 32-bit wrap rate correct on a live interface', () => {
    const r = computeRates(
      state(0, 1000, [iface(3, 'eth0', 2n ** 32n - 6_000_000n, {}, 32)]),
      state(60_000, 7000, [iface(3, 'eth0', 54_000_000n, {}, 32)]),
    );
    expect(r.interfaces[0]!.perSec.inOctets).toBe(1_000_000);
  });

  it('follows an interface whose ifIndex was renumbered, matched by name', () => {
    const prev = [iface(1, 'eth0', 1000n), iface(2, 'eth1', 50_000n)];
    const cur = [iface(7, 'eth1', 50_000n + 6000n), iface(8, 'eth0', 1000n + 600n)];
    const r = computeRates(state(0, 1000, prev), state(60_000, 7000, cur));
    const eth0 = r.interfaces.find((i) => i.name === 'eth0')!;
    const eth1 = r.interfaces.find((i) => i.name === 'eth1')!;
    expect(eth0).toMatchObject({ ifIndex: 8, previousIfIndex: 1 });
    expect(eth0.perSec.inOctets).toBe(10);
    expect(eth1.perSec.inOctets).toBe(100);
  });
});

describe('matchInterfaces', () => {
  it('falls back to ifIndex when names are duplicated', () => {
    const prev = [iface(1, 'Vlan', 0n, { descr: 'x' }), iface(2, 'Vlan', 0n, { descr: 'x' })];
    const cur = [iface(1, 'Vlan', 0n, { descr: 'x' }), iface(2, 'Vlan', 0n, { descr: 'x' })];
    const m = matchInterfaces(prev, cur);
    expect(m.get(cur[0]!)).toBe(prev[0]);
    expect(m.get(cur[1]!)).toBe(prev[1]);
  });

  it('does not pair a new interface with the old one at the same index when the old name moved', () => {
    const prev = [iface(1, 'eth0', 0n)];
    const cur = [iface(1, 'eth9', 0n), iface(2, 'eth0', 0n)];
    const m = matchInterfaces(prev, cur);
    expect(m.get(cur[1]!)).toBe(prev[0]);
    expect(m.has(cur[0]!)).toBe(false);
  });
});
