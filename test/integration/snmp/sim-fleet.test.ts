import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type SimAgent, type SimDeviceSpec } from './sim-fleet.js';
import { SnmpClient } from '../../../server/collectors/snmp/snmp.client.js';
import { collectDevice } from '../../../server/collectors/snmp/snmp.collect.js';
import { computeRates, type RateState, type RatesResult } from '../../../server/poller/rate.js';

type Kind = 'plain32' | 'wrap32' | 'big64' | 'reboot64' | 'renumber32';
const KINDS: [Kind, number][] = [
  ['plain32', 20],
  ['wrap32', 10],
  ['big64', 10],
  ['reboot64', 5],
  ['renumber32', 5],
];
const PORTS = 4;
const RATE = 1_000_000; // octets/s on port 1; port p carries RATE*(p+1) in, twice that out

describe('a fleet of 50 simulated agents with wrapping counters and reboots', () => {
  let fleet: Awaited<ReturnType<typeof startFleet>>;
  let client: SnmpClient;
  const kinds: Kind[] = [];
  const prev = new Map<number, RateState>();

  beforeAll(async () => {
    const specs: Omit<SimDeviceSpec, 'address'>[] = [];
    for (const [kind, n] of KINDS) {
      for (let i = 0; i < n; i++) {
        kinds.push(kind);
        specs.push({
          sysName: `${kind}-${i}`,
          ports: PORTS,
          bytesPerSec: RATE,
          hc: kind === 'big64' || kind === 'reboot64',
          // Wraps between the first two polls (60 s apart) on every port.
          start32: kind === 'wrap32' || kind === 'renumber32' ? 2n ** 32n - BigInt(RATE * 30) : 0n,
          start64: kind === 'big64' ? 2n ** 63n + 12345n : 0n,
        });
      }
    }
    fleet = await startFleet(specs);
    client = new SnmpClient({ socketsPerFamily: 2 });
  });
  afterAll(async () => {
    client?.close();
    await fleet?.close();
  });

  /** Sets every agent's clock to t, polls all concurrently, returns rates per device. */
  async function round(t: number): Promise<RatesResult[]> {
    for (const a of fleet.agents) a.setTime(t);
    const results = await Promise.all(
      fleet.agents.map((a: SimAgent) =>
        collectDevice(client, { address: a.spec.address, snmp: { version: '2c', port: fleet.port, community: 'public', timeoutMs: 3000, retries: 2 } }, { now: () => t * 1000, skip: ['host', 'lldp', 'cdp', 'ucd'] }),
      ),
    );
    return results.map((r, i) => {
      expect(r.ok, `${fleet.agents[i]!.spec.sysName}: ${JSON.stringify(r.error)}`).toBe(true);
      expect(r.errors).toEqual({});
      const state: RateState = { atMs: r.startedAt, sysUpTimeCs: r.system!.sysUpTimeCs, interfaces: r.interfaces! };
      const rates = computeRates(prev.get(i) ?? null, state);
      prev.set(i, state);
      return rates;
    });
  }

  const expectExactRates = (rates: RatesResult, label: string) => {
    expect(rates.rebooted, label).toBe(false);
    expect(rates.interfaces).toHaveLength(PORTS);
    rates.interfaces.forEach((ifr, p) => {
      expect(ifr.noRate, `${label} port${p + 1}`).toBeNull();
      expect(ifr.perSec.inOctets, `${label} port${p + 1} in`).toBe(RATE * (p + 1));
      expect(ifr.perSec.outOctets, `${label} port${p + 1} out`).toBe(2 * RATE * (p + 1));
      expect(ifr.inBps).toBe(8 * RATE * (p + 1));
    });
  };

  it('polls every agent, rates exact through 32-bit wraps and beyond 2^53, no spike after reboots, identity kept across renumbering', async () => {
    const r0 = await round(0);
    for (const r of r0) expect(r.interfaces.every((i) => i.noRate === 'first')).toBe(true);
    expect(fleet.agents[25]!.octets(0, 0, 'in')).toBe(0n);

    // 60 s later: the wrap32 and renumber32 agents' counters wrapped in between.
    const r1 = await round(60);
    r1.forEach((r, i) => expectExactRates(r, `${kinds[i]} #${i} @60`));

    // Reboot (and renumber ifIndex) at t=90 for the reboot groups.
    fleet.agents.forEach((a, i) => {
      if (kinds[i] === 'reboot64') a.reboot(90);
      if (kinds[i] === 'renumber32') a.reboot(90, true);
    });
    const r2 = await round(120);
    r2.forEach((r, i) => {
      if (kinds[i] === 'reboot64' || kinds[i] === 'renumber32') {
        expect(r.rebooted, `#${i}`).toBe(true);
        for (const ifr of r.interfaces) {
          expect(ifr.noRate).toBe('reboot');
          expect(ifr.inBps).toBeNull();
          expect(ifr.outBps).toBeNull();
        }
      } else {
        expectExactRates(r, `${kinds[i]} #${i} @120`);
      }
    });

    const r3 = await round(180);
    r3.forEach((r, i) => {
      expectExactRates(r, `${kinds[i]} #${i} @180`);
      if (kinds[i] === 'renumber32') {
        expect(r.interfaces[0]!.ifIndex).toBe(101);
        expect(r.interfaces.every((x) => x.previousIfIndex === undefined)).toBe(true);
      }
    });

    // 50 devices, 4 rounds: still only the shared sockets.
    expect(client.transport.stats.sockets).toBeLessThanOrEqual(2);
    expect(client.transport.stats.stray).toBe(0);
  });

  it('follows interfaces whose ifIndex changed between two polls', async () => {
    const i = kinds.indexOf('renumber32');
    const agent = fleet.agents[i]!;
    agent.setTime(240);
    const before = prev.get(i)!;
    // Renumber without a reboot: counters continue, indexes move.
    agent.reboot(180, true);
    agent.setTime(240);
    const r = await collectDevice(client, { address: agent.spec.address, snmp: { version: '2c', port: fleet.port, community: 'public', timeoutMs: 3000, retries: 2 } }, { now: () => 240_000, skip: ['host', 'lldp', 'cdp', 'ucd'] });
    const rates = computeRates({ ...before, sysUpTimeCs: 0 }, { atMs: r.startedAt, sysUpTimeCs: r.system!.sysUpTimeCs, interfaces: r.interfaces! });
    expect(rates.interfaces.map((x) => [x.name, x.ifIndex, x.previousIfIndex])).toEqual([
      ['port1', 201, 101],
      ['port2', 202, 102],
      ['port3', 203, 103],
      ['port4', 204, 104],
    ]);
  });
});
