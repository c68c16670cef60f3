import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnmpClient, type SnmpTarget } from '../../../server/collectors/snmp/snmp.client.js';
import { collectDevice } from '../../../server/collectors/snmp/snmp.collect.js';
import { TEMPLATES_DIR } from '../../../server/paths.js';
import { compileTemplate } from '../../../server/templates/template-compile.js';
import { TemplateEngine } from '../../../server/templates/template-engine.js';
import { loadTemplateFiles } from '../../../server/templates/template-loader.js';
import type { SampleInput } from '../../../server/store/sample.repository.js';
import { snmprec, startSnmpsim, systemGroup, type SnmprecLine, type SnmpsimHandle } from '../../helpers/snmpsim.js';

/**
 * The shipped ENTITY-SENSOR and RMON templates against snmpsimd recordings:
 * discovery, labels by lookup, every SensorDataScale with precisions, counters
 * as rates, utilisation against ifHighSpeed, vanished rows marked gone, reboot.
 */
const SENSOR = '1.3.6.1.2.1.99.1.1.1';
const PHYS_NAME = '1.3.6.1.2.1.47.1.1.1.1.7';
const ETHER = '1.3.6.1.2.1.16.1.1.1';
const IFX = '1.3.6.1.2.1.31.1.1.1';
const EXP: Record<number, number> = { 1: -24, 2: -21, 3: -18, 4: -15, 5: -12, 6: -9, 7: -6, 8: -3, 9: 0, 10: 3, 11: 6, 12: 9, 13: 12, 14: 18, 15: 15, 16: 21, 17: 24 };
const KIND: Record<number, string> = { 3: 'voltageAC', 4: 'voltageDC', 5: 'current', 6: 'power', 7: 'frequency', 8: 'temperature', 9: 'humidity', 10: 'fan', 11: 'airflow', 14: 'optical' };
const TYPES = [3, 4, 5, 6, 7, 8, 9, 10, 11, 14];

interface Sensor {
  index: number;
  type: number;
  scale: number;
  precision: number;
  value: number;
  status?: number;
  name?: string;
}

/** One sensor per scale 1..17, cycling through the types, precisions 0..3, some negative values. */
const sensors: Sensor[] = Object.keys(EXP).map((s, i) => ({
  index: 100 + Number(s),
  type: TYPES[i % TYPES.length]!,
  scale: Number(s),
  precision: i % 4,
  value: (i % 3 === 2 ? -1 : 1) * (1234 + i * 17),
  name: `sensor scale ${s}`,
}));
sensors.push({ index: 200, type: 8, scale: 9, precision: 1, value: 455, name: 'CPU temp' });
sensors.push({ index: 201, type: 14, scale: 8, precision: 0, value: -2150, name: 'Te1/1 Rx' });
sensors.push({ index: 202, type: 8, scale: 9, precision: 0, value: 30, status: 2, name: 'unavailable one' });
sensors.push({ index: 203, type: 10, scale: 9, precision: 0, value: 5400 }); // no entPhysicalName: labelled by index

function sensorLines(list: Sensor[]): SnmprecLine[] {
  const out: SnmprecLine[] = [];
  for (const s of list) {
    out.push(snmprec(`${SENSOR}.1.${s.index}`, 'int', s.type));
    out.push(snmprec(`${SENSOR}.2.${s.index}`, 'int', s.scale));
    out.push(snmprec(`${SENSOR}.3.${s.index}`, 'int', s.precision));
    out.push(snmprec(`${SENSOR}.4.${s.index}`, 'int', s.value));
    out.push(snmprec(`${SENSOR}.5.${s.index}`, 'int', s.status ?? 1));
    if (s.name) out.push(snmprec(`${PHYS_NAME}.${s.index}`, 'str', s.name));
  }
  return out;
}

interface Probe {
  index: number;
  ifIndex: number;
  octets: number;
  pkts: number;
  crc: number;
}
function rmonLines(probes: Probe[]): SnmprecLine[] {
  const out: SnmprecLine[] = [];
  for (const p of probes) {
    out.push(snmprec(`${ETHER}.1.${p.index}`, 'int', p.index));
    out.push(snmprec(`${ETHER}.2.${p.index}`, 'oid', `1.3.6.1.2.1.2.2.1.1.${p.ifIndex}`));
    out.push(snmprec(`${ETHER}.3.${p.index}`, 'counter32', 0));
    out.push(snmprec(`${ETHER}.4.${p.index}`, 'counter32', p.octets));
    out.push(snmprec(`${ETHER}.5.${p.index}`, 'counter32', p.pkts));
    out.push(snmprec(`${ETHER}.6.${p.index}`, 'counter32', 10));
    out.push(snmprec(`${ETHER}.7.${p.index}`, 'counter32', 20));
    out.push(snmprec(`${ETHER}.8.${p.index}`, 'counter32', p.crc));
    for (let c = 9; c <= 19; c++) out.push(snmprec(`${ETHER}.${c}.${p.index}`, 'counter32', c * 3));
    out.push(snmprec(`${ETHER}.20.${p.index}`, 'str', 'monitor'));
    out.push(snmprec(`${ETHER}.21.${p.index}`, 'int', 1));
  }
  for (const [ifIndex, name, mbps] of [[1, 'Gi0/1', 1000], [2, 'Te0/2', 10000]] as const) {
    out.push(snmprec(`${IFX}.1.${ifIndex}`, 'str', name));
    out.push(snmprec(`${IFX}.15.${ifIndex}`, 'gauge32', mbps));
  }
  return out;
}

const sys = (upTicks: number) => systemGroup({ descr: 'Cisco IOS Software, C3750E', objectId: '1.3.6.1.4.1.9.1.516', name: 'sw1', upTicks });

describe('collection templates against snmpsim recordings', () => {
  let sim: SnmpsimHandle;
  const client = new SnmpClient();
  let engine: TemplateEngine;
  let target: SnmpTarget;
  const dev = { id: 1, group: null };
  const poll = async (): Promise<{ samples: SampleInput[]; at: number }> => {
    const req = engine.request(dev);
    const r = await collectDevice(client, target, req ? { templates: req, skip: ['interfaces', 'host', 'lldp', 'cdp', 'ucd'] } : {});
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    return { samples: engine.process(dev, r), at: r.startedAt };
  };
  /** snmpsimd notices a changed recording by its mtime (seconds): never rewrite within the same second. */
  const rewrite = async (lines: SnmprecLine[]) => {
    await new Promise((r) => setTimeout(r, 1100));
    sim.write('sw1', lines);
  };
  const byKey = (samples: SampleInput[]) => new Map(samples.map((s) => [`${s.metric}|${s.instance}`, s]));

  beforeAll(async () => {
    sim = await startSnmpsim({ sw1: [...sys(100_000), ...sensorLines(sensors), ...rmonLines([{ index: 1, ifIndex: 1, octets: 1000, pkts: 10, crc: 0 }, { index: 2, ifIndex: 2, octets: 5000, pkts: 50, crc: 1 }])] });
    target = { address: sim.address, snmp: { version: '2c', port: sim.port, community: 'sw1', timeoutMs: 2000, retries: 1 } };
    const { templates } = await loadTemplateFiles([TEMPLATES_DIR]);
    const compiled = templates.filter((t) => ['entity-sensor', 'rmon-etherstats', 'host-resources'].includes(t.body.id)).map((t) => compileTemplate(t.body, { source: 'file' }));
    engine = new TemplateEngine({ templates: () => compiled });
  }, 90_000);
  afterAll(async () => {
    client.close();
    await sim?.stop();
  });

  it('stores every sensor scaled by its scale and precision, named by entPhysicalName, per kind', async () => {
    const { samples } = await poll();
    const got = byKey(samples);
    for (const s of sensors) {
      const label = s.name ?? String(s.index);
      if (s.status === 2) {
        expect(got.has(`sensor.temperature|${label}`)).toBe(false);
        continue;
      }
      const sample = got.get(`sensor.${KIND[s.type]}|${label}`);
      expect(sample, `${s.index} scale ${s.scale}`).toBeDefined();
      const expected = s.value * 10 ** (EXP[s.scale]! - s.precision);
      expect(sample!.value / expected).toBeCloseTo(1, 12);
      expect(got.get(`sensor.status|${label}`)?.value).toBe(1);
    }
    expect(got.get('sensor.temperature|CPU temp')?.value).toBe(45.5);
    expect(got.get('sensor.temperature|CPU temp')?.unit).toBe('C');
    expect(got.get('sensor.optical|Te1/1 Rx')?.value).toBe(-2.15);
    expect(got.get('sensor.optical|Te1/1 Rx')?.unit).toBe('dBm');
    expect(got.get('sensor.fan|203')?.value).toBe(5400);
    // No RMON rates on the first reading, and host-resources does not apply (no hrStorageTable).
    expect(samples.some((s) => s.metric.startsWith('rmon.'))).toBe(false);
    const view = engine.deviceView(dev);
    expect(view.map((v) => v.id).sort()).toEqual(['entity-sensor', 'rmon-etherstats']);
  });

  it('turns etherStats counters into rates per probe, labelled by the data source ifName, with utilisation', async () => {
    const first = await poll();
    await rewrite([...sys(100_000 + 500), ...sensorLines(sensors), ...rmonLines([{ index: 1, ifIndex: 1, octets: 1000 + 1_250_000, pkts: 10 + 1000, crc: 0 }, { index: 2, ifIndex: 2, octets: 5000 + 125_000_000, pkts: 50 + 100_000, crc: 1 + 30 }])]);
    const second = await poll();
    const dt = (second.at - first.at) / 1000;
    const got = byKey(second.samples);
    expect(got.get('rmon.bits|Gi0/1')?.value).toBeCloseTo((1_250_000 * 8) / dt, 6);
    expect(got.get('rmon.pkts|Te0/2')?.value).toBeCloseTo(100_000 / dt, 6);
    expect(got.get('rmon.crcAlignErrors|Te0/2')?.value).toBeCloseTo(30 / dt, 6);
    expect(got.get('rmon.crcAlignErrors|Gi0/1')?.value).toBe(0);
    // octets/s * 8 / (ifHighSpeed Mbit/s * 1e6) * 100
    expect(got.get('rmon.utilisation|Gi0/1')?.value).toBeCloseTo(((1_250_000 / dt) * 8 * 100) / 1e9, 6);
    expect(got.get('rmon.utilisation|Te0/2')?.value).toBeCloseTo(((125_000_000 / dt) * 8 * 100) / 1e10, 6);
    expect(got.get('rmon.utilisation|Te0/2')?.unit).toBe('%');
    for (const m of ['broadcastPkts', 'multicastPkts', 'undersizePkts', 'oversizePkts', 'fragments', 'jabbers', 'collisions', 'dropEvents', 'pkts64Octets', 'pkts1024to1518Octets']) {
      expect(got.get(`rmon.${m}|Gi0/1`)?.value, m).toBe(0);
    }
  });

  it('applies host-resources where hrStorageTable exists: bytes from allocation units, used percent, load per core', async () => {
    const hr = [
      ...[
        [1, 'Physical memory', 1024, 8_000_000, 6_000_000],
        [31, '/', 4096, 2_500_000, 1_000_000],
        [35, '/run', 4096, 0, 0],
      ].flatMap(([i, descr, unit, size, used]) => [
        snmprec(`1.3.6.1.2.1.25.2.3.1.1.${i}`, 'int', i!),
        snmprec(`1.3.6.1.2.1.25.2.3.1.3.${i}`, 'str', descr!),
        snmprec(`1.3.6.1.2.1.25.2.3.1.4.${i}`, 'int', unit!),
        snmprec(`1.3.6.1.2.1.25.2.3.1.5.${i}`, 'int', size!),
        snmprec(`1.3.6.1.2.1.25.2.3.1.6.${i}`, 'int', used!),
      ]),
      snmprec('1.3.6.1.2.1.25.3.3.1.1.196608', 'oid', '0.0'),
      snmprec('1.3.6.1.2.1.25.3.3.1.2.196608', 'int', 12),
      snmprec('1.3.6.1.2.1.25.3.3.1.1.196609', 'oid', '0.0'),
      snmprec('1.3.6.1.2.1.25.3.3.1.2.196609', 'int', 97),
    ];
    await rewrite([...sys(100_000 + 700), ...sensorLines(sensors), ...rmonLines([{ index: 1, ifIndex: 1, octets: 2000, pkts: 10, crc: 0 }, { index: 2, ifIndex: 2, octets: 5000, pkts: 50, crc: 1 }]), ...hr]);
    await poll(); // host-resources is discovered at its next scheduled rediscovery or a reboot: force one by a reboot
    await rewrite([...sys(10), ...sensorLines(sensors), ...rmonLines([{ index: 1, ifIndex: 1, octets: 2000, pkts: 10, crc: 0 }, { index: 2, ifIndex: 2, octets: 5000, pkts: 50, crc: 1 }]), ...hr]);
    await poll();
    const got = byKey((await poll()).samples);
    expect(got.get('storage.sizeBytes|Physical memory')?.value).toBe(8_000_000 * 1024);
    expect(got.get('storage.usedBytes|Physical memory')?.value).toBe(6_000_000 * 1024);
    expect(got.get('storage.usedPercent|Physical memory')?.value).toBe(75);
    expect(got.get('storage.usedBytes|/')?.value).toBe(1_000_000 * 4096);
    expect(got.get('storage.usedPercent|/')?.value).toBe(40);
    expect(got.has('storage.usedPercent|/run')).toBe(false); // size 0: no percentage
    expect(got.get('storage.sizeBytes|/run')?.value).toBe(0);
    expect(got.get('cpu.load|196608')?.value).toBe(12);
    expect(got.get('cpu.load|196609')?.value).toBe(97);
    expect(engine.deviceView(dev).map((v) => v.id).sort()).toEqual(['entity-sensor', 'host-resources', 'rmon-etherstats']);
  });

  it('marks a vanished sensor gone (kept, no values) and finds a new one after a reboot', async () => {
    const fewer = sensors.filter((s) => s.index !== 200);
    await rewrite([...sys(100_000 + 900), ...sensorLines(fewer), ...rmonLines([{ index: 1, ifIndex: 1, octets: 2000, pkts: 10, crc: 0 }])]);
    await poll(); // the rows are missing: rediscovery is due
    const { samples } = await poll();
    expect(samples.some((s) => s.instance === 'CPU temp')).toBe(false);
    const sensorsView = engine.deviceView(dev).find((v) => v.id === 'entity-sensor')!;
    const cpu = sensorsView.instances.find((i) => i.label === 'CPU temp')!;
    expect(cpu.goneAt).not.toBeNull();
    expect(cpu.values).toEqual([]);
    expect(sensorsView.instances.find((i) => i.label === 'Te1/1 Rx')!.goneAt).toBeNull();
    const probes = engine.deviceView(dev).find((v) => v.id === 'rmon-etherstats')!.instances;
    expect(probes.find((i) => i.label === 'Te0/2')!.goneAt).not.toBeNull();

    // Reboot (sysUpTime went back) with a new sensor: rediscovered at the next poll; counters give no rate across it.
    const more = [...sensors, { index: 300, type: 8, scale: 9, precision: 0, value: 61, name: 'Inlet' }];
    await rewrite([...sys(50), ...sensorLines(more), ...rmonLines([{ index: 1, ifIndex: 1, octets: 10, pkts: 1, crc: 0 }])]);
    const afterReboot = await poll();
    expect(afterReboot.samples.some((s) => s.metric.startsWith('rmon.'))).toBe(false);
    const again = await poll();
    const got = byKey(again.samples);
    expect(got.get('sensor.temperature|Inlet')?.value).toBe(61);
    expect(got.get('sensor.temperature|CPU temp')?.value).toBe(45.5);
    const view = engine.deviceView(dev).find((v) => v.id === 'entity-sensor')!;
    expect(view.instances.find((i) => i.label === 'CPU temp')!.goneAt).toBeNull();
  });
});
