import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCentralAndCollector, type CentralAndCollector } from '../../helpers/central-collector.js';
import type { apiClient } from '../../helpers/server.js';
import type { ServerProcess } from '../../helpers/server-process.js';
import { snmprec, startSnmpsim, systemGroup, type SnmpsimHandle } from '../../helpers/snmpsim.js';

/**
 * Hardware inventory of a device polled at its site's collector (issue 16 over issue 15): a central and a
 * collector (each its own process, the build), a real nats-server and snmpsimd serving an ENTITY-MIB chassis.
 * The collector walks entPhysicalTable at the first poll and publishes the snapshot; the central stores it
 * and turns a later change into events. The collector runs as `npm start` does (--disable-proto=throw).
 */
const PASSWORD = 'admin-password-collector-inventory';
const until = <T>(check: () => T | Promise<T>, timeout = 60_000) => vi.waitFor(check, { timeout, interval: 250 });
const ENT = '1.3.6.1.2.1.47.1.1.1.1';
const chassis = (psuSerial: string, upTicks: number) => [
  ...systemGroup({ descr: 'Juniper Networks, Inc. ex4300-48t', objectId: '1.3.6.1.4.1.2636.1.1.1.2.132', name: 'branch-ex', upTicks }),
  snmprec(`${ENT}.2.1`, 'str', 'EX4300-48T'), snmprec(`${ENT}.4.1`, 'int', 0), snmprec(`${ENT}.5.1`, 'int', 3), snmprec(`${ENT}.7.1`, 'str', 'Chassis'),
  snmprec(`${ENT}.11.1`, 'str', 'PE3714AF0123'), snmprec(`${ENT}.13.1`, 'str', 'EX4300-48T'),
  snmprec(`${ENT}.2.2`, 'str', 'Power Supply 0'), snmprec(`${ENT}.4.2`, 'int', 1), snmprec(`${ENT}.5.2`, 'int', 6), snmprec(`${ENT}.7.2`, 'str', '__proto__'),
  snmprec(`${ENT}.11.2`, 'str', psuSerial), snmprec(`${ENT}.13.2`, 'str', 'JPSU-350-AC-AFO'),
];

let site: CentralAndCollector;
let sim: SnmpsimHandle;
let collector: ServerProcess;
let call: ReturnType<typeof apiClient>;
let deviceId: number;

beforeAll(async () => {
  sim = await startSnmpsim({ branchex: chassis('1EDB2420123', 900_000) });
  site = await startCentralAndCollector({ site: 'branch-2', password: PASSWORD });
  ({ collector, call } = site);
  const d = await call('POST', '/devices', {
    name: 'branch-ex', address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 5, site: 'branch-2', snmp: { port: sim.port, version: '2c', community: 'branchex', timeoutMs: 1000, retries: 1 },
  });
  expect(d.status, d.text).toBe(201);
  deviceId = d.body.id;
}, 120_000);

afterAll(async () => {
  await site?.stop();
  await sim?.stop();
});

describe('inventory of devices polled at a collector', () => {
  it('reaches the central from the collector, and a swap after a reboot becomes an event there', async () => {
    const items = await until(async () => {
      const r = await call('GET', `/devices/${deviceId}/inventory`);
      expect(r.body.items, collector.output().slice(-2000)).toHaveLength(2);
      return r.body.items as { index: string; name: string; serial: string; class: string }[];
    }, 60_000);
    expect(items.map((i) => [i.index, i.class, i.name, i.serial])).toEqual([
      ['1', 'chassis', 'Chassis', 'PE3714AF0123'],
      ['2', 'powerSupply', '__proto__', '1EDB2420123'],
    ]);
    // The central polls nothing itself: a refresh is the collector's business.
    expect((await call('POST', `/devices/${deviceId}/inventory/refresh`)).status).toBe(409);

    // The power supply is replaced while the switch restarts: the collector's next poll sees sysUpTime go back.
    await new Promise((r) => setTimeout(r, 1100));
    sim.write('branchex', chassis('1EDB2429999', 500));
    const swap = await until(async () => {
      const r = await call('GET', `/events?device=${deviceId}&type=inventory.changed`);
      expect(r.body.items).toHaveLength(1);
      return r.body.items[0] as { message: string; params: { old: { serial: string }; new: { serial: string } } };
    }, 60_000);
    expect(swap.message).toBe('branch-ex: power supply __proto__ swapped: serial 1EDB2420123 → 1EDB2429999');
    expect(swap.params).toMatchObject({ old: { serial: '1EDB2420123' }, new: { serial: '1EDB2429999' } });
    expect((await call('GET', `/inventory?serial=1EDB242`)).body.items.map((h: { deviceName: string; serial: string }) => `${h.deviceName} ${h.serial}`)).toEqual(['branch-ex 1EDB2429999']);
  }, 150_000);
});
