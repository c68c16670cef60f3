import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AlarmDto } from '../../../server/contracts/alarms.js';
import { startCentralAndCollector, type CentralAndCollector } from '../../helpers/central-collector.js';
import type { apiClient } from '../../helpers/server.js';
import type { ServerProcess } from '../../helpers/server-process.js';
import { snmprec, startSnmpsim, systemGroup, type SnmprecLine, type SnmpsimHandle } from '../../helpers/snmpsim.js';

/**
 * Template thresholds of a device polled at its site's collector (issue 16 over issue 15): a central and a
 * collector (each its own process, the build), a real nats-server and snmpsimd serving ENTITY-SENSOR-MIB.
 * The collector tells the central which templates apply with each poll's status: the shipped
 * entity-sensor template's `sensor.temperature > 75 for 2 polls` raises its alarm at the central, and
 * the alarm clears when that sensor vanishes from the device (its instance is marked gone). A custom
 * template made at the central (database) reaches the collector with the site's assignment.
 */
const PASSWORD = 'admin-password-collector-template-thresholds';
const until = <T>(check: () => T | Promise<T>, timeout = 60_000) => vi.waitFor(check, { timeout, interval: 250 });
const SENSOR = '1.3.6.1.2.1.99.1.1.1';
const PHYS_NAME = '1.3.6.1.2.1.47.1.1.1.1.7';
const sensor = (index: number, name: string, celsius: number): SnmprecLine[] => [
  snmprec(`${SENSOR}.1.${index}`, 'int', 8), // celsius
  snmprec(`${SENSOR}.2.${index}`, 'int', 9), // units
  snmprec(`${SENSOR}.3.${index}`, 'int', 0),
  snmprec(`${SENSOR}.4.${index}`, 'int', celsius),
  snmprec(`${SENSOR}.5.${index}`, 'int', 1),
  snmprec(`${PHYS_NAME}.${index}`, 'str', name),
];
const LOAD_OID = '1.3.6.1.4.1.99999.7.0';
const sys = (upTicks: number) => [
  ...systemGroup({ descr: 'Cisco IOS Software, C9300', objectId: '1.3.6.1.4.1.9.1.2494', name: 'branch-c9300', upTicks }),
  snmprec(LOAD_OID, 'gauge32', 95),
];

let site: CentralAndCollector;
let sim: SnmpsimHandle;
let collector: ServerProcess;
let call: ReturnType<typeof apiClient>;
let deviceId: number;

beforeAll(async () => {
  sim = await startSnmpsim({ branchsw: [...sys(900_000), ...sensor(1, 'CPU temp', 80), ...sensor(2, 'Inlet', 30)] });
  site = await startCentralAndCollector({ site: 'branch-3', password: PASSWORD });
  ({ collector, call } = site);
  const d = await call('POST', '/devices', {
    name: 'branch-c9300', address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 5, site: 'branch-3', snmp: { port: sim.port, version: '2c', community: 'branchsw', timeoutMs: 1000, retries: 1 },
  });
  expect(d.status, d.text).toBe(201);
  deviceId = d.body.id;
}, 120_000);

afterAll(async () => {
  await site?.stop();
  await sim?.stop();
});

const temperatureAlarms = async (): Promise<AlarmDto[]> =>
  ((await call('GET', '/alarms?state=all&limit=1000')).body.items as AlarmDto[]).filter((a) => a.deviceId === deviceId && a.reductionKey.includes('sensor.temperature'));

describe('template thresholds of devices polled at a collector', () => {
  it('raises the template threshold alarm at the central, and clears it when the sensor vanishes', async () => {
    const raised = await until(async () => {
      const a = await temperatureAlarms();
      expect(a.map((x) => x.state), collector.output().slice(-2000)).toEqual(['active']);
      return a[0]!;
    }, 90_000);
    expect(raised.severity).toBe('major');
    expect(raised.reductionKey.endsWith(':CPU temp')).toBe(true);
    // The samples reached the central too (the rule judged them there).
    const metrics = (await call('GET', `/devices/${deviceId}/metrics`)).body.items.map((m: { name: string }) => m.name);
    expect(metrics).toEqual(expect.arrayContaining(['sensor.temperature']));

    // The hot sensor is removed from the chassis (still 80 °C when last seen): marked gone, its alarm cleared.
    await new Promise((r) => setTimeout(r, 1100));
    sim.write('branchsw', [...sys(1_000_000), ...sensor(2, 'Inlet', 30)]);
    await until(async () => expect((await temperatureAlarms()).map((x) => x.state)).toEqual(['cleared']), 60_000);
  }, 180_000);

  it('delivers a custom template made at the central to the collector: its samples and threshold alarm come back', async () => {
    const created = await call('POST', '/templates', {
      deviceId,
      template: { id: 'branch-load', name: 'Branch load', scalars: [{ name: 'branch.load', oid: LOAD_OID, unit: '%', thresholds: [{ op: '>', value: 90, severity: 'minor' }] }] },
    });
    expect(created.status, created.text).toBe(201);
    const alarm = await until(async () => {
      const a = ((await call('GET', '/alarms?state=all&limit=1000')).body.items as AlarmDto[]).find((x) => x.deviceId === deviceId && x.reductionKey.includes('branch.load'));
      expect(a?.state, collector.output().slice(-2000)).toBe('active');
      return a!;
    }, 60_000);
    expect(alarm.severity).toBe('minor');
    const metrics = (await call('GET', `/devices/${deviceId}/metrics`)).body.items.map((m: { name: string }) => m.name);
    expect(metrics).toEqual(expect.arrayContaining(['branch.load']));
  }, 90_000);
});
