import { EVENT_TYPES as T, METRIC_NAMES as M, TRAP_OIDS as O, type EventRuleActions, type EventRuleMatch, type ThresholdRuleBody } from '../../contracts/alarms.js';
import { COLLECTOR_EVENT_TYPES as C } from '../../contracts/collectors.js';
import { INVENTORY_EVENT_TYPES as INV } from '../../contracts/inventory-api.js';
import type { BuiltinRule } from '../../store/rule.repository.js';
import { RMON_TRAPS } from '../../rmon/rmon.oids.js';

const ev = (key: string, name: string, description: string, match: EventRuleMatch, actions: EventRuleActions): BuiltinRule => ({
  key,
  name,
  description,
  enabled: true,
  body: { kind: 'event', match, actions },
});

const th = (key: string, name: string, description: string, body: Omit<ThresholdRuleBody, 'kind'>): BuiltinRule => ({
  key,
  name,
  description,
  enabled: true,
  body: { kind: 'threshold', ...body },
});

const LINK_KEY = 'linkDown:{deviceOrSource}:{ifIndex}';
/** One alarm per component (device, inventory source, index): removal, cleared when the same index is back. */
const INVENTORY_KEY = 'inventoryRemoved:{deviceOrSource}:{params.source}:{params.index}';
/** One alarm per Alertmanager alert: its fingerprint (hash of its labels) is stable across repeats and resolution. */
const ALERTMANAGER_KEY = 'alertmanager:{params.fingerprint}';
/** One alarm per RMON alarmTable row of a device (params.rmon is set by server/rmon/rmon-trap.ts before the rules run). */
const RMON_KEY = 'rmonAlarm:{deviceOrSource}:{params.rmon.alarmIndex}';
const RMON_HAS_INDEX = [{ path: 'rmon.alarmIndex', op: 'exists' as const }];
const CISCO_LINK = '%LINK-\\d+-UPDOWN: Interface (?<ifName>[^,]+), changed state to';

/**
 * The default rule pack, seeded at start-up (missing keys only, so edits and
 * disabling survive restarts). Problems raise alarms by reduction key; the
 * matching resolution clears the same key.
 */
export const DEFAULT_RULES: BuiltinRule[] = [
  ev('device-down', 'Device down (ICMP)', 'The device stopped answering pings.', { types: [T.icmpDown] }, {
    disposition: 'alarm', severity: 'major', title: '{device.name}: not responding to ping', reductionKey: 'nodeDown:{deviceOrSource}',
  }),
  ev('device-up', 'Device up (ICMP)', 'Clears "Device down".', { types: [T.icmpUp] }, {
    disposition: 'clear', severity: 'info', title: '{device.name}: responding to ping again', clearKey: 'nodeDown:{deviceOrSource}',
  }),
  ev('snmp-unreachable', 'SNMP unreachable', 'The SNMP agent stopped answering.', { types: [T.snmpUnreachable] }, {
    disposition: 'alarm', severity: 'minor', title: '{device.name}: SNMP agent not responding', reductionKey: 'snmpUnreachable:{deviceOrSource}',
  }),
  ev('snmp-reachable', 'SNMP reachable', 'Clears "SNMP unreachable".', { types: [T.snmpReachable] }, {
    disposition: 'clear', severity: 'info', title: '{device.name}: SNMP agent responding again', clearKey: 'snmpUnreachable:{deviceOrSource}',
  }),
  ev('snmp-auth-failure', 'SNMP credentials rejected', 'The device refuses our community or USM user; cleared when SNMP answers again.', { types: [T.snmpAuthFailure] }, {
    disposition: 'alarm', severity: 'minor', title: '{device.name}: SNMP credentials rejected', reductionKey: 'snmpUnreachable:{deviceOrSource}',
  }),
  ev('device-reboot', 'Device restarted (polled)', 'sysUpTime went backwards.', { types: [T.deviceReboot] }, {
    disposition: 'alarm', severity: 'warning', title: '{device.name}: restarted', reductionKey: 'restart:{deviceOrSource}',
  }),
  ev('link-down-trap', 'Interface down (linkDown trap)', 'IF-MIB linkDown; ifIndex from the ifIndex varbind.', { sources: ['trap'], trapOid: O.linkDown }, {
    disposition: 'alarm', severity: 'major', title: '{device.name}: interface {ifName} down', reductionKey: LINK_KEY,
  }),
  ev('link-up-trap', 'Interface up (linkUp trap)', 'Clears the interface-down alarm of the same ifIndex.', { sources: ['trap'], trapOid: O.linkUp }, {
    disposition: 'clear', severity: 'info', title: '{device.name}: interface {ifName} up', clearKey: LINK_KEY,
  }),
  ev('link-down-poll', 'Interface down (polled)', 'ifOperStatus went down (params.ifIndex).', { types: [T.interfaceDown] }, {
    disposition: 'alarm', severity: 'major', title: '{device.name}: interface {ifName} down', reductionKey: LINK_KEY,
  }),
  ev('link-up-poll', 'Interface up (polled)', 'Clears the interface-down alarm of the same ifIndex.', { types: [T.interfaceUp] }, {
    disposition: 'clear', severity: 'info', title: '{device.name}: interface {ifName} up', clearKey: LINK_KEY,
  }),
  ev('rmon-rising-alarm', 'RMON rising alarm', 'RMON-MIB risingAlarm: one alarm per device and alarmIndex; severity from the agent\'s eventTable when its tables were read (a severity word in the event description), else warning.', { sources: ['trap'], trapOid: RMON_TRAPS.risingAlarm, params: RMON_HAS_INDEX }, {
    disposition: 'alarm', title: '{device.name}: RMON alarm {params.rmon.alarmIndex} rising: {params.rmon.summary}', reductionKey: RMON_KEY,
  }),
  ev('rmon-falling-alarm', 'RMON falling alarm', 'RMON-MIB fallingAlarm: clears the rising alarm of the same device and alarmIndex.', { sources: ['trap'], trapOid: RMON_TRAPS.fallingAlarm, params: RMON_HAS_INDEX }, {
    disposition: 'clear', severity: 'info', title: '{device.name}: RMON alarm {params.rmon.alarmIndex} falling: {params.rmon.summary}', clearKey: RMON_KEY,
  }),
  ev('cold-start', 'Cold start', 'The agent restarted (coldStart trap).', { sources: ['trap'], trapOid: O.coldStart }, {
    disposition: 'alarm', severity: 'warning', title: '{device.name}: restarted (cold start)', reductionKey: 'restart:{deviceOrSource}',
  }),
  ev('warm-start', 'Warm start', 'The agent reinitialised (warmStart trap).', { sources: ['trap'], trapOid: O.warmStart }, {
    disposition: 'alarm', severity: 'warning', title: '{device.name}: restarted (warm start)', reductionKey: 'restart:{deviceOrSource}',
  }),
  ev('auth-failure-trap', 'SNMP authentication failure (trap)', 'The device reports a bad community or user.', { sources: ['trap'], trapOid: O.authenticationFailure }, {
    disposition: 'alarm', severity: 'warning', title: '{device.name}: SNMP authentication failure', reductionKey: 'authFailure:{deviceOrSource}',
  }),
  ev('auth-failure-receiver', 'SNMP authentication failure (received)', 'A trap with a wrong community or user reached our receiver.', { types: [T.snmpAuthenticationFailure] }, {
    disposition: 'alarm', severity: 'warning', title: '{device.name}: trap with bad credentials', reductionKey: 'authFailure:{deviceOrSource}',
  }),
  ev('threshold-exceeded', 'Threshold exceeded', 'Raised by threshold rules.', { sources: ['poll'], types: [T.thresholdExceeded] }, {
    disposition: 'alarm', reductionKey: 'threshold:{params.ruleId}:{deviceOrSource}:{params.metric}:{params.instance}',
  }),
  ev('threshold-cleared', 'Threshold cleared', 'Clears "Threshold exceeded".', { sources: ['poll'], types: [T.thresholdCleared] }, {
    disposition: 'clear', clearKey: 'threshold:{params.ruleId}:{deviceOrSource}:{params.metric}:{params.instance}',
  }),
  ev('cisco-link-down', 'Interface down (Cisco syslog)', '%LINK-3-UPDOWN … changed state to down', { sources: ['syslog'], message: `${CISCO_LINK} down` }, {
    disposition: 'alarm', severity: 'major', title: '{device.name}: interface {ifName} down', reductionKey: 'linkDown:{deviceOrSource}:{ifName}',
  }),
  ev('cisco-link-up', 'Interface up (Cisco syslog)', '%LINK-3-UPDOWN … changed state to up', { sources: ['syslog'], message: `${CISCO_LINK} up` }, {
    disposition: 'clear', severity: 'info', title: '{device.name}: interface {ifName} up', clearKey: 'linkDown:{deviceOrSource}:{ifName}',
  }),
  ev('syslog-error', 'Syslog error or worse', 'Syslog severity error (3) or more severe, one alarm per device and type.', { sources: ['syslog'], syslog: { maxSeverity: 3 } }, {
    disposition: 'alarm', title: '{device.name}: syslog errors ({type})', reductionKey: 'syslog:{deviceOrSource}:{type}',
  }),
  ev('collector-down', 'Collector not heard from', 'A remote collector sent no heartbeat for collectorTimeoutSeconds; its devices show "unknown (collector down)".', { sources: ['system'], types: [C.down] }, {
    disposition: 'alarm', severity: 'major', reductionKey: 'collectorDown:{params.collectorId}',
  }),
  ev('collector-up', 'Collector heard from again', 'Clears "Collector not heard from" (also when the collector is removed).', { sources: ['system'], types: [C.up, C.forgotten] }, {
    disposition: 'clear', severity: 'info', clearKey: 'collectorDown:{params.collectorId}',
  }),
  ev('alertmanager-firing', 'Prometheus alert firing (Alertmanager)', 'A firing alert from Alertmanager: one alarm per alert (fingerprint), repeats reduce into it; severity from its severity label.', { sources: ['alertmanager'], params: [{ path: 'status', op: 'eq', value: 'firing' }] }, {
    disposition: 'alarm', reductionKey: ALERTMANAGER_KEY,
  }),
  ev('alertmanager-resolved', 'Prometheus alert resolved (Alertmanager)', 'Clears the alarm of the same alert (fingerprint).', { sources: ['alertmanager'], params: [{ path: 'status', op: 'eq', value: 'resolved' }] }, {
    disposition: 'clear', severity: 'info', clearKey: ALERTMANAGER_KEY,
  }),
  ev('inventory-removed', 'Hardware component removed', 'A module, power supply, fan, transceiver… is gone from the inventory (ENTITY-MIB or a template); cleared when the same index is back.', { sources: ['poll'], types: [INV.removed] }, {
    disposition: 'alarm', severity: 'warning', title: '{device.name}: {params.classLabel} {params.label} removed', reductionKey: INVENTORY_KEY,
  }),
  ev('inventory-readded', 'Hardware component back', 'Clears "Hardware component removed" for the same index.', { sources: ['poll'], types: [INV.added] }, {
    disposition: 'clear', severity: 'info', title: '{device.name}: {params.classLabel} {params.label} added', clearKey: INVENTORY_KEY,
  }),
  ev('inventory-changed', 'Hardware component swapped or changed', 'Serial, model or firmware/software/hardware revision of a component changed (a module swapped: warning; a new firmware: info); one alarm per component, to acknowledge.', { sources: ['poll'], types: [INV.changed] }, {
    disposition: 'alarm', title: '{device.name}: {params.classLabel} {params.label} changed', reductionKey: 'inventoryChanged:{deviceOrSource}:{params.source}:{params.index}',
  }),
  th('high-cpu', 'High CPU', 'Average CPU over 90 % for 3 polls; clears at 80 % or less.', {
    metrics: [M.cpu], instance: '', op: '>', value: 90, clearValue: 80, forPolls: 3, severity: 'major', title: '{device.name}: CPU {value} % (over {threshold} %)',
  }),
  th('interface-utilisation', 'Interface utilisation', 'Over 90 % for 5 minutes; clears under 80 %.', {
    metrics: [M.ifUtilisation], op: '>', value: 90, clearValue: 80, forSec: 300, severity: 'minor', title: '{device.name}: {instance} at {value} % (over {threshold} %)',
  }),
  th('interface-errors', 'Interface errors', 'Over 10 errors/s for 3 polls; clears under 1/s.', {
    metrics: [M.ifInErrors, M.ifOutErrors], op: '>', value: 10, clearValue: 1, forPolls: 3, severity: 'minor', title: '{device.name}: {instance} {metric} {value}/s',
  }),
  th('packet-loss', 'Packet loss', 'ICMP loss over 20 % for 3 polls; clears at 5 % or less.', {
    metrics: [M.icmpLoss], op: '>', value: 20, clearValue: 5, forPolls: 3, severity: 'minor', title: '{device.name}: {value} % packet loss',
  }),
];
