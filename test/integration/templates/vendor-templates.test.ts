import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThresholdEventParams } from '../../../server/contracts/alarms.js';
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import { snmpsimAvailable } from '../../helpers/snmpsim.js';
import { ARISTA_STORAGE, aristaRecording } from '../../fixtures/vendors/arista.js';
import { CISCO_CEMP, CISCO_POOLS, ciscoRecording } from '../../fixtures/vendors/cisco.js';
import { FORTIGATE_SYSTEM, fortigateRecording } from '../../fixtures/vendors/fortinet.js';
import { arubaCxRecording, PROCURVE_MEMORY, procurveRecording } from '../../fixtures/vendors/hpe.js';
import { JUNIPER_COMPONENTS, juniperRecording } from '../../fixtures/vendors/juniper.js';
import { MIKROTIK_HEALTH, mikrotikRecording } from '../../fixtures/vendors/mikrotik.js';
import { PANOS_SESSIONS, panosRecording } from '../../fixtures/vendors/paloalto.js';
import { byInstance, unitOf, valueOf, VendorHarness, type Polled } from './vendor-harness.js';

/** (metric, instance) of every threshold.exceeded event, sorted. */
const raised = (events: NormalizedEvent[]) =>
  events
    .filter((e) => e.type === 'threshold.exceeded')
    .map((e) => {
      const p = e.params as unknown as ThresholdEventParams;
      return `${p.metric}|${p.instance}|${e.severity}`;
    })
    .sort();

describe.skipIf(!snmpsimAvailable() && process.env.CI !== 'true')('vendor collection templates against snmpsim recordings', () => {
  let h: VendorHarness;
  /** Two polls per device (thresholds with forPolls 2 need both). */
  const polls = new Map<string, Polled[]>();
  const first = (c: string) => polls.get(c)![0]!.samples;

  beforeAll(async () => {
    h = await VendorHarness.start({
      cisco: ciscoRecording(),
      // Cisco's tables under an enterprise that only starts with "9": no Cisco template may apply.
      notcisco: ciscoRecording({ objectId: '1.3.6.1.4.1.90.1.7', descr: 'Some other vendor', name: 'imposter' }),
      juniper: juniperRecording(),
      arista: aristaRecording(),
      procurve: procurveRecording(),
      arubacx: arubaCxRecording(),
      fortigate: fortigateRecording(),
      panos: panosRecording(),
      mikrotik: mikrotikRecording(),
    });
    for (const c of h.ids.keys()) polls.set(c, [await h.poll(c), await h.poll(c)]);
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('polls every recording completely, templates included', () => {
    for (const [c, [p1, p2]] of polls) {
      expect(p1!.result.ok, c).toBe(true);
      expect(p1!.result.errors, c).toEqual({});
      expect(p1!.result.templates?.error ?? null, c).toBeNull();
      expect(p2!.samples.length, c).toBe(p1!.samples.length);
    }
  });

  it('applies each vendor template to its own devices only (sysObjectID prefix on whole arcs, table present)', () => {
    expect(h.applied('cisco')).toEqual(['cisco-enhanced-mempool', 'cisco-envmon', 'cisco-memory-pool', 'cisco-process']);
    expect(h.applied('notcisco')).toEqual([]);
    expect(h.applied('juniper')).toEqual(['juniper-operating']);
    expect(h.applied('arista')).toEqual(['arista-eos', 'entity-sensor', 'host-resources']);
    expect(h.applied('procurve')).toEqual(['hpe-procurve']);
    expect(h.applied('arubacx')).toEqual(['aruba-cx', 'host-resources']);
    expect(h.applied('fortigate')).toEqual(['fortinet-fortigate']);
    expect(h.applied('panos')).toEqual(['paloalto-panos']);
    expect(h.applied('mikrotik')).toEqual(['host-resources', 'mikrotik-health']);
    expect(first('notcisco')).toEqual([]);
  });

  it('Cisco: CPU per processor named by entPhysicalName, memory pools (64-bit above 4 GiB), ENVMON values and states', () => {
    const s = first('cisco');
    // cpmCPUTotalPhysicalIndex 0 points at no entity: the row index is the label.
    expect(byInstance(s, 'cpu.load5min')).toEqual({ 'Switch 1': 12, 'Switch 2': 93, '3': 5 });
    expect(byInstance(s, 'cpu.load')).toEqual({ 'Switch 1': 11, 'Switch 2': 95, '3': 4 });
    expect(unitOf(s, 'cpu.load5min')).toBe('%');
    expect(byInstance(s, 'memoryPool.usedBytes')).toEqual(Object.fromEntries(CISCO_POOLS.map((p) => [p.name, p.used])));
    expect(byInstance(s, 'memoryPool.freeBytes')).toEqual(Object.fromEntries(CISCO_POOLS.map((p) => [p.name, p.free])));
    expect(unitOf(s, 'memoryPool.usedBytes')).toBe('B');
    // Two stack members both have a pool named "Processor": told apart by index; HC values exact above 2^32.
    expect(byInstance(s, 'memory.usedBytes')).toEqual({
      'Processor (1000.1)': Number(CISCO_CEMP[0]!.hcUsed),
      'reserve Processor': Number(CISCO_CEMP[1]!.hcUsed),
      'Processor (2000.1)': Number(CISCO_CEMP[2]!.hcUsed),
    });
    expect(valueOf(s, 'memory.freeBytes', 'Processor (2000.1)')).toBe(3_589_934_592);
    expect(byInstance(s, 'sensor.temperature')).toEqual({ 'Switch 1 - Inlet Temp Sensor': 27, 'Switch 1 - Outlet Temp Sensor': 39, 'Switch 1 - HotSpot Temp Sensor': 126 });
    expect(unitOf(s, 'sensor.temperature')).toBe('C');
    expect(valueOf(s, 'sensor.temperatureThreshold', 'Switch 1 - HotSpot Temp Sensor')).toBe(125);
    expect(valueOf(s, 'sensor.temperatureState', 'Switch 1 - HotSpot Temp Sensor')).toBe(3);
    // notPresent fans and supplies are not instances.
    expect(byInstance(s, 'fan.state')).toEqual({ 'Switch 1 - FAN - T1 1': 1, 'Switch 1 - FAN - T1 2': 6 });
    expect(byInstance(s, 'powerSupply.state')).toEqual({ 'Switch 1 - Power Supply A': 1 });
    expect(byInstance(s, 'powerSupply.source')).toEqual({ 'Switch 1 - Power Supply A': 2 });
  });

  it('Juniper: CPU/memory of REs and FPCs, temperatures where measured, component states, named by jnxOperatingDescr', () => {
    const s = first('juniper');
    const withMemory = JUNIPER_COMPONENTS.filter((c) => c.memoryMb > 0);
    expect(byInstance(s, 'cpu.load')).toEqual(Object.fromEntries(withMemory.map((c) => [c.descr, c.cpu])));
    expect(byInstance(s, 'memory.usedPercent')).toEqual(Object.fromEntries(withMemory.map((c) => [c.descr, c.buffer])));
    expect(valueOf(s, 'memory.sizeBytes', 'Routing Engine 0')).toBe(16_384 * 1_048_576);
    expect(unitOf(s, 'memory.sizeBytes')).toBe('B');
    expect(byInstance(s, 'sensor.temperature')).toEqual(Object.fromEntries(JUNIPER_COMPONENTS.filter((c) => c.temp > 0).map((c) => [c.descr, c.temp])));
    expect(byInstance(s, 'component.state')).toEqual(Object.fromEntries(JUNIPER_COMPONENTS.filter((c) => c.container !== 9).map((c) => [c.descr, c.state])));
  });

  it('Arista: memory in use from "RAM (Unavailable)", CPU per core and sensors from the standard templates', () => {
    const s = first('arista');
    const ram = ARISTA_STORAGE.find((r) => r.descr === 'RAM (Unavailable)')!;
    expect(byInstance(s, 'memory.usedBytes')).toEqual({ 'RAM (Unavailable)': ram.used * 1024 });
    expect(valueOf(s, 'memory.sizeBytes', 'RAM (Unavailable)')).toBe(ram.size * 1024);
    expect(valueOf(s, 'memory.usedPercent', 'RAM (Unavailable)')).toBeCloseTo(35, 6);
    expect(unitOf(s, 'memory.usedPercent')).toBe('%');
    expect(byInstance(s, 'cpu.load')).toEqual({ '1': 14, '2': 92 });
    const t = byInstance(s, 'sensor.temperature');
    expect(t['Cpu temp sensor']).toBeCloseTo(61.2, 6);
    expect(t['Switch chip sensor']).toBeCloseTo(71.8, 6);
  });

  it('HPE ProCurve: CPU, memory per slot with used %, chassis sensor states', () => {
    const s = first('procurve');
    expect(valueOf(s, 'cpu.load', '')).toBe(37);
    for (const m of PROCURVE_MEMORY) {
      expect(valueOf(s, 'memory.sizeBytes', String(m.slot))).toBe(m.total);
      expect(valueOf(s, 'memory.freeBytes', String(m.slot))).toBe(m.free);
      expect(valueOf(s, 'memory.usedBytes', String(m.slot))).toBe(m.alloc);
      expect(valueOf(s, 'memory.usedPercent', String(m.slot))).toBeCloseTo((m.alloc / m.total) * 100, 6);
    }
    expect(byInstance(s, 'sensor.state')).toEqual({ 'Fan Sensor': 4, 'Power Supply 1 Sensor': 4, 'Power Supply 2 Sensor': 2, 'Over-temperature Sensor': 4 });
  });

  it('Aruba CX: temperatures from millidegrees, fan speeds, PSU power; CPU from HOST-RESOURCES', () => {
    const s = first('arubacx');
    expect(byInstance(s, 'sensor.temperature')).toEqual({ '1/1-CPU': 48.5, '1/1-Inlet-Air': 26.25 });
    expect(unitOf(s, 'sensor.temperature')).toBe('C');
    expect(byInstance(s, 'sensor.fan')).toEqual({ '1/1/1': 6120, '1/1/2': 6240 });
    expect(byInstance(s, 'sensor.power')).toEqual({ '1/1': 142 });
    expect(byInstance(s, 'cpu.load')).toEqual({ '196608': 8 });
  });

  it('FortiGate: system scalars with units, load per processor, hardware sensors in alarm', () => {
    const s = first('fortigate');
    const f = FORTIGATE_SYSTEM;
    expect(valueOf(s, 'cpu.load')).toBe(f.cpuPct);
    expect(valueOf(s, 'memory.usedPercent')).toBe(f.memPct);
    expect(valueOf(s, 'memory.sizeBytes')).toBe(f.memCapacityKb * 1024);
    expect(valueOf(s, 'disk.usedBytes')).toBe(f.diskUsedMb * 1_048_576);
    expect(valueOf(s, 'disk.sizeBytes')).toBe(f.diskCapacityMb * 1_048_576);
    expect(valueOf(s, 'sessions.active')).toBe(f.sessions);
    expect(unitOf(s, 'memory.sizeBytes')).toBe('B');
    expect(byInstance(s, 'cpu.coreLoad')).toEqual({ '1': 12, '2': 96 });
    expect(byInstance(s, 'sensor.alarm')).toEqual({ 'CPU ON-DIE Temperature': 0, 'PS1 Status': 1 });
  });

  it('Palo Alto: session table use and the CPU of each plane named by hrDeviceDescr', () => {
    const s = first('panos');
    expect(valueOf(s, 'sessions.usedPercent')).toBe(PANOS_SESSIONS.utilizationPct);
    expect(valueOf(s, 'sessions.max')).toBe(PANOS_SESSIONS.max);
    expect(valueOf(s, 'sessions.active')).toBe(PANOS_SESSIONS.active);
    expect(valueOf(s, 'sessions.activeIcmp')).toBe(PANOS_SESSIONS.icmp);
    expect(byInstance(s, 'cpu.planeLoad')).toEqual({ 'Management Plane CPU': 22, 'Data Plane CPU': 41 });
  });

  it('MikroTik: health scalars from tenths and mA, gauge table by unit kind, CPU per core from HOST-RESOURCES', () => {
    const s = first('mikrotik');
    expect(valueOf(s, 'health.voltage')).toBeCloseTo(MIKROTIK_HEALTH.voltageDv / 10, 6);
    expect(unitOf(s, 'health.voltage')).toBe('V');
    expect(valueOf(s, 'health.temperature')).toBeCloseTo(41.2, 6);
    expect(valueOf(s, 'health.cpuTemperature')).toBeCloseTo(55.7, 6);
    expect(valueOf(s, 'health.power')).toBeCloseTo(16.8, 6);
    expect(valueOf(s, 'health.current')).toBeCloseTo(0.69, 6);
    expect(byInstance(s, 'sensor.temperature')).toEqual({ 'cpu-temperature': 56, 'board-temperature1': 41, 'sfp-temperature': 78 });
    expect(byInstance(s, 'sensor.fan')).toEqual({ 'fan1-speed': 4560 });
    expect(valueOf(s, 'sensor.voltage', 'psu1-voltage')).toBeCloseTo(12.1, 6);
    expect(valueOf(s, 'sensor.current', 'psu1-current')).toBeCloseTo(1.4, 6);
    expect(valueOf(s, 'sensor.power', 'power-consumption')).toBeCloseTo(16.8, 6);
    expect(unitOf(s, 'sensor.power')).toBe('W');
    expect(byInstance(s, 'sensor.status')).toEqual({ 'psu1-state': 1 });
    expect(byInstance(s, 'cpu.load')).toEqual({ '1': 6, '2': 9, '3': 4, '4': 5 });
  });

  it('raises the template thresholds through the threshold evaluator: CPU over 90 for two polls, envmon/sensor states critical', () => {
    const perPoll = [0, 1].map((i) => [...polls.values()].flatMap((p) => p[i]!.samples));
    const events = h.thresholdEvents(perPoll);
    expect(raised(events)).toEqual(
      [
        'cpu.load5min|Switch 2|major', // Cisco 93 % > 90, second poll
        'sensor.temperatureState|Switch 1 - HotSpot Temp Sensor|critical',
        'fan.state|Switch 1 - FAN - T1 2|critical', // notFunctioning(6)
        'cpu.load|Routing Engine 0|major', // Juniper RE 94 % (the standby RE 1 at 2 % is not)
        'component.state|PEM 1|critical', // down(6)
        'memory.usedPercent|2|major', // ProCurve slot 2 at 94 %
        'sensor.state|Power Supply 2 Sensor|major', // bad(2)
        'memory.usedPercent||major', // FortiGate 91 % > 88
        'sensor.alarm|PS1 Status|critical',
        'sessions.usedPercent||major', // PAN-OS 93 % > 90
        'sensor.temperature|sfp-temperature|major', // MikroTik gauge 78 C > 75
      ].sort(),
    );
  });

  it('does not raise a two-poll threshold after a single poll', () => {
    const events = h.thresholdEvents([[...polls.values()].flatMap((p) => p[0]!.samples)]);
    const r = raised(events);
    expect(r).toContain('fan.state|Switch 1 - FAN - T1 2|critical');
    expect(r).not.toContain('cpu.load5min|Switch 2|major');
    expect(r).not.toContain('sessions.usedPercent||major');
  });
});
