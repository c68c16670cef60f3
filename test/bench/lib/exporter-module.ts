/**
 * snmp.yml for Debian's prometheus-snmp-exporter (0.21) reading what the
 * standard collection templates read from the template fleet
 * (template-tables.ts), written the way snmp_exporter's generator writes a
 * module from a generator.yml that lists the tables: one walk per table
 * (snmp_exporter walks each in turn with GETBULK), a metric per column with its
 * index, string columns as lookup labels (ifName/ifAlias/ifDescr,
 * entPhysicalName, the ENVMON description).
 */
import { IF, IFX, IFX_HC } from '../../../server/collectors/snmp/snmp.oids.js';

interface Metric {
  name: string;
  oid: string;
  type: 'gauge' | 'counter';
  index: string;
  lookups?: { labelname: string; oid: string }[];
}

const IF_LOOKUPS = [
  { labelname: 'ifName', oid: IFX.ifName },
  { labelname: 'ifAlias', oid: IFX.ifAlias },
  { labelname: 'ifDescr', oid: IF.ifDescr },
];
const TEXT_COLUMNS = new Set<string>([IF.ifDescr, IF.ifPhysAddress, IFX.ifName, IFX.ifAlias]);
const IF_COUNTERS = new Set<string>([
  IF.ifInOctets, IF.ifInUcastPkts, IF.ifInDiscards, IF.ifInErrors, IF.ifOutOctets, IF.ifOutUcastPkts, IF.ifOutDiscards, IF.ifOutErrors,
  IFX.ifInMulticastPkts, IFX.ifInBroadcastPkts, IFX.ifOutMulticastPkts, IFX.ifOutBroadcastPkts, ...Object.values(IFX_HC),
]);

const ENT_NAME = '1.3.6.1.2.1.47.1.1.1.1.7';
const SENSOR = '1.3.6.1.2.1.99.1.1.1';
const ETHER_STATS = '1.3.6.1.2.1.16.1.1.1';
const CPM = '1.3.6.1.4.1.9.9.109.1.1.1.1';
const ENVMON_TEMP = '1.3.6.1.4.1.9.9.13.1.3.1';
const HR_STORAGE = '1.3.6.1.2.1.25.2.3.1';
const HR_PROCESSOR = '1.3.6.1.2.1.25.3.3.1';

/** Interface metrics (what Netwatch's interface section reads) plus the template tables. */
function metrics(withTemplates: boolean): Metric[] {
  const out: Metric[] = [];
  for (const [name, oid] of Object.entries({ ...IF, ...IFX, ...IFX_HC })) {
    if (TEXT_COLUMNS.has(oid)) continue;
    out.push({ name, oid, type: IF_COUNTERS.has(oid) ? 'counter' : 'gauge', index: 'ifIndex', lookups: IF_LOOKUPS });
  }
  if (!withTemplates) return out;
  const sensorLookup = [{ labelname: 'entPhysicalName', oid: ENT_NAME }];
  ['entPhySensorType', 'entPhySensorScale', 'entPhySensorPrecision', 'entPhySensorValue', 'entPhySensorOperStatus'].forEach((name, i) =>
    out.push({ name, oid: `${SENSOR}.${i + 1}`, type: 'gauge', index: 'entPhysicalIndex', lookups: sensorLookup }),
  );
  const es = ['DropEvents', 'Octets', 'Pkts', 'BroadcastPkts', 'MulticastPkts', 'CRCAlignErrors', 'UndersizePkts', 'OversizePkts', 'Fragments', 'Jabbers', 'Collisions', 'Pkts64Octets', 'Pkts65to127Octets', 'Pkts128to255Octets', 'Pkts256to511Octets', 'Pkts512to1023Octets', 'Pkts1024to1518Octets'];
  es.forEach((n, i) => out.push({ name: `etherStats${n}`, oid: `${ETHER_STATS}.${i + 3}`, type: 'counter', index: 'etherStatsIndex' }));
  out.push({ name: 'etherStatsStatus', oid: `${ETHER_STATS}.21`, type: 'gauge', index: 'etherStatsIndex' });
  out.push({ name: 'cpmCPUTotalPhysicalIndex', oid: `${CPM}.2`, type: 'gauge', index: 'cpmCPUTotalIndex' });
  out.push({ name: 'cpmCPUTotal1minRev', oid: `${CPM}.7`, type: 'gauge', index: 'cpmCPUTotalIndex' });
  out.push({ name: 'cpmCPUTotal5minRev', oid: `${CPM}.8`, type: 'gauge', index: 'cpmCPUTotalIndex' });
  const envLookup = [{ labelname: 'ciscoEnvMonTemperatureStatusDescr', oid: `${ENVMON_TEMP}.2` }];
  out.push({ name: 'ciscoEnvMonTemperatureStatusValue', oid: `${ENVMON_TEMP}.3`, type: 'gauge', index: 'ciscoEnvMonTemperatureStatusIndex', lookups: envLookup });
  out.push({ name: 'ciscoEnvMonTemperatureThreshold', oid: `${ENVMON_TEMP}.4`, type: 'gauge', index: 'ciscoEnvMonTemperatureStatusIndex', lookups: envLookup });
  out.push({ name: 'ciscoEnvMonTemperatureState', oid: `${ENVMON_TEMP}.6`, type: 'gauge', index: 'ciscoEnvMonTemperatureStatusIndex', lookups: envLookup });
  // HOST-RESOURCES (the host-resources template): the fleet has none, as most switches; walked anyway.
  const hrLookup = [{ labelname: 'hrStorageDescr', oid: `${HR_STORAGE}.3` }];
  for (const [name, n] of [['hrStorageAllocationUnits', 4], ['hrStorageSize', 5], ['hrStorageUsed', 6]] as const) {
    out.push({ name, oid: `${HR_STORAGE}.${n}`, type: 'gauge', index: 'hrStorageIndex', lookups: hrLookup });
  }
  out.push({ name: 'hrProcessorLoad', oid: `${HR_PROCESSOR}.2`, type: 'gauge', index: 'hrDeviceIndex' });
  return out;
}

/** The tables walked (one GETBULK walk each), as a generator would list them. */
function walks(withTemplates: boolean): string[] {
  const w = ['1.3.6.1.2.1.2.2', '1.3.6.1.2.1.31.1.1'];
  if (withTemplates) w.push(SENSOR, ENT_NAME, ETHER_STATS, CPM, ENVMON_TEMP, HR_STORAGE, HR_PROCESSOR);
  return w;
}

/** Module text. `name` is the module, `withTemplates` adds the template tables to the interface walk. */
export function exporterModule(name: string, withTemplates: boolean, opts: { timeoutS?: number; retries?: number; maxRepetitions?: number } = {}): string {
  const lines = [
    `${name}:`,
    '  walk:',
    ...walks(withTemplates).map((w) => `    - ${w}`),
    '  get:',
    '    - 1.3.6.1.2.1.1.3.0',
    '  version: 2',
    `  max_repetitions: ${opts.maxRepetitions ?? 25}`,
    `  retries: ${opts.retries ?? 1}`,
    `  timeout: ${opts.timeoutS ?? 5}s`,
    '  auth:',
    '    community: public',
    '  metrics:',
    '    - name: sysUpTime',
    '      oid: 1.3.6.1.2.1.1.3',
    '      type: gauge',
  ];
  for (const m of metrics(withTemplates)) {
    lines.push(`    - name: ${m.name}`, `      oid: ${m.oid}`, `      type: ${m.type}`, '      indexes:', `        - labelname: ${m.index}`, '          type: gauge');
    if (m.lookups?.length) {
      lines.push('      lookups:');
      for (const l of m.lookups) lines.push(`        - labels: [${m.index}]`, `          labelname: ${l.labelname}`, `          oid: ${l.oid}`, '          type: DisplayString');
    }
  }
  return lines.join('\n') + '\n';
}
