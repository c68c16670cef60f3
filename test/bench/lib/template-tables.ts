/**
 * Extra tables for the simulated fleet (test/integration/snmp/sim-fleet.ts) so that every
 * simulated device has something for the standard collection templates to read, as a
 * Cisco switch with RMON would: sysObjectID/sysDescr of a Catalyst, ENTITY-MIB
 * entPhysicalName, ENTITY-SENSOR-MIB entPhySensorTable (mixed kinds, scales, precisions),
 * RMON-MIB etherStatsTable (probes on the first `rmonRows` ports, counters moving with
 * time), CISCO-PROCESS-MIB cpmCPUTotalTable and CISCO-ENVMON-MIB temperatures.
 * Used by template-fleet-host.ts (poll-capacity-templates bench).
 */
import * as snmp from 'net-snmp';
import type { SimAgent } from '../../integration/snmp/sim-fleet.js';

const T = snmp.ObjectType;
const RO = snmp.MaxAccess['read-only'];
const NA = snmp.MaxAccess['not-accessible'];
const col = (number: number, name: string, type: number, maxAccess = RO) => ({ number, name, type, maxAccess });

export const CISCO_OBJECT_ID = '1.3.6.1.4.1.9.1.2494';

export interface TemplateTablesSpec {
  /** ENTITY-SENSOR rows (default 8). */
  sensors: number;
  /** RMON etherStats rows, one per port from ifIndex 1 (default 8). */
  rmonRows: number;
}

/** Sensor kinds cycled through: [entPhySensorType, scale, precision, base value]. */
const KINDS: [number, number, number, number][] = [
  [8, 9, 1, 412], // celsius, units, 1 decimal: 41.2 C
  [10, 9, 0, 6120], // rpm
  [4, 8, 0, 12050], // voltsDC in millivolts
  [6, 9, 1, 1485], // watts, 148.5 W
  [14, 9, 2, -312], // dBm (CISCO-ENTITY-SENSOR numbering), -3.12
];

export interface TemplateTables {
  /** Moves the RMON counters to sim time t (seconds). */
  setTime(t: number): void;
  /** Varbinds the standard templates read per poll from this device (for the reference module). */
  readonly sensors: number;
  readonly rmonRows: number;
}

export function addTemplateTables(sim: SimAgent, spec: TemplateTablesSpec): TemplateTables {
  const mib = sim.agent.getMib();
  mib.setScalarValue('sysObjectID', CISCO_OBJECT_ID);
  mib.setScalarValue('sysDescr', `Cisco IOS Software [Bengaluru], Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.6.4 (${sim.spec.sysName})`);

  mib.registerProvider({
    name: 'entPhysicalTable',
    type: snmp.MibProviderType.Table,
    oid: '1.3.6.1.2.1.47.1.1.1.1',
    maxAccess: NA,
    tableColumns: [col(1, 'entPhysicalIndex', T.Integer, NA), col(2, 'entPhysicalDescr', T.OctetString), col(5, 'entPhysicalClass', T.Integer), col(7, 'entPhysicalName', T.OctetString)],
    tableIndex: [{ columnName: 'entPhysicalIndex' }],
  });
  mib.addTableRow('entPhysicalTable', [1, 'Cisco Catalyst 9300 chassis', 3, 'Switch 1']);
  for (let i = 0; i < spec.sensors; i++) mib.addTableRow('entPhysicalTable', [1001 + i, `sensor ${i + 1}`, 8, `Switch 1 sensor ${i + 1}`]);

  mib.registerProvider({
    name: 'entPhySensorTable',
    type: snmp.MibProviderType.Table,
    oid: '1.3.6.1.2.1.99.1.1.1',
    maxAccess: NA,
    tableColumns: [
      col(1, 'entPhySensorType', T.Integer),
      col(2, 'entPhySensorScale', T.Integer),
      col(3, 'entPhySensorPrecision', T.Integer),
      col(4, 'entPhySensorValue', T.Integer),
      col(5, 'entPhySensorOperStatus', T.Integer),
    ],
    tableIndex: [{ foreign: 'entPhysicalTable', columnName: 'entPhysicalIndex' }],
  });
  for (let i = 0; i < spec.sensors; i++) {
    const [type, scale, precision, value] = KINDS[i % KINDS.length]!;
    mib.addTableRow('entPhySensorTable', [1001 + i, type, scale, precision, value + i, 1]);
  }

  const counterCols = Array.from({ length: 17 }, (_, k) => 3 + k); // etherStatsDropEvents(3) .. etherStatsPkts1024to1518Octets(19)
  mib.registerProvider({
    name: 'etherStatsTable',
    type: snmp.MibProviderType.Table,
    oid: '1.3.6.1.2.1.16.1.1.1',
    maxAccess: NA,
    tableColumns: [
      col(1, 'etherStatsIndex', T.Integer),
      col(2, 'etherStatsDataSource', T.OID),
      ...counterCols.map((n) => col(n, `etherStats${n}`, T.Counter)),
      col(20, 'etherStatsOwner', T.OctetString),
      col(21, 'etherStatsStatus', T.Integer),
    ],
    tableIndex: [{ columnName: 'etherStatsIndex' }],
  });
  const rmonRows = Math.min(spec.rmonRows, sim.spec.ports);
  for (let r = 1; r <= rmonRows; r++) {
    mib.addTableRow('etherStatsTable', [r, `1.3.6.1.2.1.2.2.1.1.${r}`, ...counterCols.map(() => 0), 'monitor', 1]);
  }

  mib.registerProvider({
    name: 'cpmCPUTotalTable',
    type: snmp.MibProviderType.Table,
    oid: '1.3.6.1.4.1.9.9.109.1.1.1.1',
    maxAccess: NA,
    tableColumns: [col(1, 'cpmCPUTotalIndex', T.Integer, NA), col(2, 'cpmCPUTotalPhysicalIndex', T.Integer), col(7, 'cpmCPUTotal1minRev', T.Gauge), col(8, 'cpmCPUTotal5minRev', T.Gauge)],
    tableIndex: [{ columnName: 'cpmCPUTotalIndex' }],
  });
  mib.addTableRow('cpmCPUTotalTable', [1, 1, 17, 14]);

  mib.registerProvider({
    name: 'ciscoEnvMonTemperatureStatusTable',
    type: snmp.MibProviderType.Table,
    oid: '1.3.6.1.4.1.9.9.13.1.3.1',
    maxAccess: NA,
    tableColumns: [
      col(1, 'ciscoEnvMonTemperatureStatusIndex', T.Integer, NA),
      col(2, 'ciscoEnvMonTemperatureStatusDescr', T.OctetString),
      col(3, 'ciscoEnvMonTemperatureStatusValue', T.Gauge),
      col(4, 'ciscoEnvMonTemperatureThreshold', T.Integer),
      col(6, 'ciscoEnvMonTemperatureState', T.Integer),
    ],
    tableIndex: [{ columnName: 'ciscoEnvMonTemperatureStatusIndex' }],
  });
  mib.addTableRow('ciscoEnvMonTemperatureStatusTable', [1011, 'Switch 1 - Inlet Temp Sensor', 27, 46, 1]);
  mib.addTableRow('ciscoEnvMonTemperatureStatusTable', [1012, 'Switch 1 - HotSpot Temp Sensor', 48, 125, 1]);

  const setTime = (t: number) => {
    for (let r = 1; r <= rmonRows; r++) {
      const octets = sim.octets(r - 1, t, 'in');
      const pkts = octets / 800n;
      counterCols.forEach((n) => {
        const v = n === 4 ? octets : n === 5 ? pkts : pkts / BigInt(n);
        mib.setTableSingleCell('etherStatsTable', n, [r], Number(BigInt.asUintN(32, v)));
      });
    }
  };
  setTime(0);
  return { setTime, sensors: spec.sensors, rmonRows };
}
