/**
 * RMON-MIB (RFC 2819) numeric OIDs: facts from the RFC, so traps and tables work without the MIB
 * loaded (the dictionary only adds names).
 */
export const RMON = '1.3.6.1.2.1.16';

export const RMON_TRAPS = {
  risingAlarm: `${RMON}.0.1`,
  fallingAlarm: `${RMON}.0.2`,
} as const;

/** alarmEntry columns (alarmTable 16.3.1, indexed by alarmIndex). */
export const ALARM_ENTRY = `${RMON}.3.1.1`;
export const ALARM_COL = {
  index: 1,
  interval: 2,
  variable: 3,
  sampleType: 4,
  value: 5,
  startupAlarm: 6,
  risingThreshold: 7,
  fallingThreshold: 8,
  risingEventIndex: 9,
  fallingEventIndex: 10,
  owner: 11,
  status: 12,
} as const;

/** eventEntry columns (eventTable 16.9.1, indexed by eventIndex). */
export const EVENT_ENTRY = `${RMON}.9.1.1`;
export const EVENT_COL = { index: 1, description: 2, type: 3, community: 4, lastTimeSent: 5, owner: 6, status: 7 } as const;

/** historyControlEntry columns (16.2.1, indexed by historyControlIndex). */
export const HISTORY_CONTROL_ENTRY = `${RMON}.2.1.1`;
export const HISTORY_CONTROL_COL = { index: 1, dataSource: 2, bucketsRequested: 3, bucketsGranted: 4, interval: 5, owner: 6, status: 7 } as const;

/** etherHistoryEntry columns (16.2.2, indexed by etherHistoryIndex (= the control entry), etherHistorySampleIndex). */
export const ETHER_HISTORY_ENTRY = `${RMON}.2.2.1`;
export const ETHER_HISTORY_COL = {
  index: 1,
  sampleIndex: 2,
  intervalStart: 3,
  dropEvents: 4,
  octets: 5,
  pkts: 6,
  broadcastPkts: 7,
  multicastPkts: 8,
  crcAlignErrors: 9,
  undersizePkts: 10,
  oversizePkts: 11,
  fragments: 12,
  jabbers: 13,
  collisions: 14,
  utilisation: 15,
} as const;

export const SYS_UPTIME_0 = '1.3.6.1.2.1.1.3.0';

export const column = (entry: string, col: number) => `${entry}.${col}`;
