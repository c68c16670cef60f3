/**
 * RMON-MIB (RFC 2819) tables read on demand from a device (GET /api/v1/devices/:id/rmon and
 * /rmon/history), and what the default rule pack reads from risingAlarm/fallingAlarm traps.
 * Counters are numbers (Counter32/Integer32 fit); OIDs are numeric with a dictionary name beside them.
 */

/** EntryStatus (RFC 2819 TC). */
export const RMON_ENTRY_STATUS = ['valid', 'createRequest', 'underCreation', 'invalid'] as const;
export type RmonEntryStatus = (typeof RMON_ENTRY_STATUS)[number] | 'unknown';

export interface RmonAlarmRow {
  index: number;
  /** alarmInterval, seconds. */
  interval: number | null;
  /** alarmVariable: numeric OID of the sampled object. */
  variable: string | null;
  /** `etherStatsPkts.1` when the MIB is loaded, else null. */
  variableName: string | null;
  sampleType: 'absoluteValue' | 'deltaValue' | 'unknown';
  value: number | null;
  startupAlarm: 'rising' | 'falling' | 'risingOrFalling' | 'unknown';
  risingThreshold: number | null;
  fallingThreshold: number | null;
  /** eventIndex of the eventTable row fired on rising / falling (0 = none). */
  risingEventIndex: number | null;
  fallingEventIndex: number | null;
  owner: string | null;
  status: RmonEntryStatus;
}

export interface RmonEventRow {
  index: number;
  description: string | null;
  type: 'none' | 'log' | 'snmptrap' | 'logAndTrap' | 'unknown';
  community: string | null;
  /** eventLastTimeSent as sysUpTime ticks (hundredths of a second). */
  lastTimeSent: number | null;
  owner: string | null;
  status: RmonEntryStatus;
}

export interface RmonTablesDto {
  deviceId: number;
  readAt: number;
  alarms: RmonAlarmRow[];
  events: RmonEventRow[];
  /** True when a table had more rows than are returned. */
  truncated: boolean;
}

export interface RmonHistoryControlRow {
  index: number;
  /** historyControlDataSource: numeric OID (an ifIndex instance of IF-MIB). */
  dataSource: string | null;
  dataSourceName: string | null;
  bucketsRequested: number | null;
  bucketsGranted: number | null;
  /** Seconds per bucket. */
  interval: number | null;
  owner: string | null;
  status: RmonEntryStatus;
}

export interface RmonHistorySample {
  sampleIndex: number;
  /** etherHistoryIntervalStart: sysUpTime ticks. */
  intervalStart: number | null;
  /** Wall-clock start of the interval (ms since epoch), from the agent's sysUpTime when it answered; null when unknown. */
  intervalStartAt: number | null;
  dropEvents: number | null;
  octets: number | null;
  pkts: number | null;
  broadcastPkts: number | null;
  multicastPkts: number | null;
  crcAlignErrors: number | null;
  undersizePkts: number | null;
  oversizePkts: number | null;
  fragments: number | null;
  jabbers: number | null;
  collisions: number | null;
  /** Percent (etherHistoryUtilization is hundredths of a percent). */
  utilisation: number | null;
}

export interface RmonHistoryDto {
  deviceId: number;
  readAt: number;
  controls: RmonHistoryControlRow[];
  /** The control entry whose samples are returned (the one asked for, else the first valid one); null when there is none. */
  control: number | null;
  samples: RmonHistorySample[];
  truncated: boolean;
}

/** What the engine puts in `params.rmon` of a risingAlarm/fallingAlarm trap (see server/rmon/rmon-trap.ts). */
export interface RmonTrapParams {
  kind: 'rising' | 'falling';
  /** null when the trap carried no usable alarmIndex: then no alarm is raised or cleared. */
  alarmIndex: number | null;
  variable: string | null;
  variableName: string | null;
  sampleType: 'absoluteValue' | 'deltaValue' | 'unknown';
  /** Numbers, or decimal text for values beyond 2^53 a hostile or odd agent sends. */
  value: number | string | null;
  threshold: number | string | null;
  /** `etherStatsPkts.1 = 1200 (rising threshold 1000, delta)`: what alarm titles show. */
  summary: string;
  /** Where the severity came from. */
  severityFrom: 'eventTable' | 'default';
  /** Why something was ignored (wrong types, missing varbinds). */
  problems?: string[];
}
