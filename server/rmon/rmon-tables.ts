import * as snmp from 'net-snmp';
import type { Varbind } from 'net-snmp';
import type { RmonAlarmRow, RmonEntryStatus, RmonEventRow, RmonHistoryControlRow, RmonHistorySample } from '../contracts/rmon.js';
import { isMissing, toText } from '../collectors/snmp/snmp.values.js';
import { ALARM_COL, ALARM_ENTRY, ETHER_HISTORY_COL, ETHER_HISTORY_ENTRY, EVENT_COL, EVENT_ENTRY, HISTORY_CONTROL_COL, HISTORY_CONTROL_ENTRY, column } from './rmon.oids.js';

/**
 * Walked RMON columns -> rows. Pure. Only what the agent sent with the right SMI type is used: an
 * Integer where an OID belongs (or the reverse) reads as null, never as a guess. Rows are keyed by
 * their index in Maps (numbers), never by text from the agent.
 */

const T = snmp.ObjectType;
const INT_TYPES = new Set<number>([T.Integer, T.Counter, T.Gauge, T.TimeTicks]);

/** Integer-typed varbind -> number; anything else (strings, OIDs, exceptions) -> null. */
export function intOf(vb: Varbind | undefined): number | null {
  if (!vb || isMissing(vb) || !INT_TYPES.has(vb.type)) return null;
  return typeof vb.value === 'number' && Number.isFinite(vb.value) ? vb.value : null;
}

export function oidOf(vb: Varbind | undefined): string | null {
  if (!vb || vb.type !== T.OID || typeof vb.value !== 'string') return null;
  return /^\d+(\.\d+){0,127}$/.test(vb.value) ? vb.value : null;
}

export function textOf(vb: Varbind | undefined): string | null {
  if (!vb || vb.type !== T.OctetString) return null;
  const t = toText(vb);
  return t === null ? null : t.slice(0, 1000);
}

export const entryStatus = (n: number | null): RmonEntryStatus => (n !== null && n >= 1 && n <= 4 ? (['valid', 'createRequest', 'underCreation', 'invalid'] as const)[n - 1]! : 'unknown');
const sampleType = (n: number | null) => (n === 1 ? 'absoluteValue' : n === 2 ? 'deltaValue' : 'unknown') as RmonAlarmRow['sampleType'];
const startup = (n: number | null) => (n === 1 ? 'rising' : n === 2 ? 'falling' : n === 3 ? 'risingOrFalling' : 'unknown') as RmonAlarmRow['startupAlarm'];
const eventType = (n: number | null) => (n !== null && n >= 1 && n <= 4 ? (['none', 'log', 'snmptrap', 'logAndTrap'] as const)[n - 1]! : 'unknown');

/** Column number -> (row index text -> varbind), from walked column roots `entry.col`. */
export type Columns = Map<string, Varbind[]>;

/**
 * Groups walked varbinds by row. `indexLen` sub-identifiers after `entry.col.` make the row index
 * (1 for most tables, 2 for etherHistory). Rows come back in index order; at most `maxRows`.
 */
export function rowsOf(entry: string, cols: Columns, indexLen: number, maxRows: number): { rows: { index: number[]; cell: (col: number) => Varbind | undefined }[]; truncated: boolean } {
  const byRow = new Map<string, { index: number[]; cells: Map<number, Varbind> }>();
  const prefix = `${entry}.`;
  for (const vbs of cols.values()) {
    for (const vb of vbs) {
      if (!vb.oid.startsWith(prefix)) continue;
      const parts = vb.oid.slice(prefix.length).split('.');
      if (parts.length !== indexLen + 1) continue;
      const nums = parts.map(Number);
      if (nums.some((n) => !Number.isSafeInteger(n) || n < 0)) continue;
      const key = parts.slice(1).join('.');
      let row = byRow.get(key);
      if (!row) {
        if (byRow.size >= maxRows + 1) continue;
        row = { index: nums.slice(1), cells: new Map() };
        byRow.set(key, row);
      }
      row.cells.set(nums[0]!, vb);
    }
  }
  const rows = [...byRow.values()].sort((a, b) => {
    for (let i = 0; i < a.index.length; i++) if (a.index[i] !== b.index[i]) return a.index[i]! - b.index[i]!;
    return 0;
  });
  const truncated = rows.length > maxRows;
  return { rows: rows.slice(0, maxRows).map((r) => ({ index: r.index, cell: (c: number) => r.cells.get(c) })), truncated };
}

export const alarmColumns = () => Object.values(ALARM_COL).map((c) => column(ALARM_ENTRY, c));
export const eventColumns = () => Object.values(EVENT_COL).map((c) => column(EVENT_ENTRY, c));
export const historyControlColumns = () => Object.values(HISTORY_CONTROL_COL).map((c) => column(HISTORY_CONTROL_ENTRY, c));
/** etherHistory columns of one control entry: `entry.col.<control>` holds exactly its samples. */
export const etherHistoryColumns = (control: number) =>
  Object.values(ETHER_HISTORY_COL)
    .filter((c) => c !== ETHER_HISTORY_COL.index)
    .map((c) => `${column(ETHER_HISTORY_ENTRY, c)}.${control}`);

export function parseAlarms(cols: Columns, name: (oid: string) => string | null, maxRows: number): { rows: RmonAlarmRow[]; truncated: boolean } {
  const { rows, truncated } = rowsOf(ALARM_ENTRY, cols, 1, maxRows);
  const C = ALARM_COL;
  return {
    truncated,
    rows: rows.map(({ index, cell }) => {
      const variable = oidOf(cell(C.variable));
      return {
        index: index[0]!,
        interval: intOf(cell(C.interval)),
        variable,
        variableName: variable ? name(variable) : null,
        sampleType: sampleType(intOf(cell(C.sampleType))),
        value: intOf(cell(C.value)),
        startupAlarm: startup(intOf(cell(C.startupAlarm))),
        risingThreshold: intOf(cell(C.risingThreshold)),
        fallingThreshold: intOf(cell(C.fallingThreshold)),
        risingEventIndex: intOf(cell(C.risingEventIndex)),
        fallingEventIndex: intOf(cell(C.fallingEventIndex)),
        owner: textOf(cell(C.owner)),
        status: entryStatus(intOf(cell(C.status))),
      };
    }),
  };
}

export function parseEvents(cols: Columns, maxRows: number): { rows: RmonEventRow[]; truncated: boolean } {
  const { rows, truncated } = rowsOf(EVENT_ENTRY, cols, 1, maxRows);
  const C = EVENT_COL;
  return {
    truncated,
    rows: rows.map(({ index, cell }) => ({
      index: index[0]!,
      description: textOf(cell(C.description)),
      type: eventType(intOf(cell(C.type))),
      community: textOf(cell(C.community)),
      lastTimeSent: intOf(cell(C.lastTimeSent)),
      owner: textOf(cell(C.owner)),
      status: entryStatus(intOf(cell(C.status))),
    })),
  };
}

export function parseHistoryControls(cols: Columns, name: (oid: string) => string | null, maxRows: number): { rows: RmonHistoryControlRow[]; truncated: boolean } {
  const { rows, truncated } = rowsOf(HISTORY_CONTROL_ENTRY, cols, 1, maxRows);
  const C = HISTORY_CONTROL_COL;
  return {
    truncated,
    rows: rows.map(({ index, cell }) => {
      const dataSource = oidOf(cell(C.dataSource));
      return {
        index: index[0]!,
        dataSource,
        dataSourceName: dataSource ? name(dataSource) : null,
        bucketsRequested: intOf(cell(C.bucketsRequested)),
        bucketsGranted: intOf(cell(C.bucketsGranted)),
        interval: intOf(cell(C.interval)),
        owner: textOf(cell(C.owner)),
        status: entryStatus(intOf(cell(C.status))),
      };
    }),
  };
}

/**
 * Samples of one control entry. `upTime` is the agent's sysUpTime (ticks) read at `readAt` (ms):
 * intervalStartAt = readAt - (upTime - intervalStart) * 10 ms, when both are known and the start is not in the future.
 */
export function parseEtherHistory(cols: Columns, control: number, upTime: number | null, readAt: number, maxRows: number): { rows: RmonHistorySample[]; truncated: boolean } {
  const { rows, truncated } = rowsOf(ETHER_HISTORY_ENTRY, cols, 2, maxRows);
  const C = ETHER_HISTORY_COL;
  const out: RmonHistorySample[] = [];
  for (const { index, cell } of rows) {
    if (index[0] !== control) continue;
    const start = intOf(cell(C.intervalStart));
    const util = intOf(cell(C.utilisation));
    out.push({
      sampleIndex: index[1]!,
      intervalStart: start,
      intervalStartAt: start !== null && upTime !== null && start <= upTime ? readAt - (upTime - start) * 10 : null,
      dropEvents: intOf(cell(C.dropEvents)),
      octets: intOf(cell(C.octets)),
      pkts: intOf(cell(C.pkts)),
      broadcastPkts: intOf(cell(C.broadcastPkts)),
      multicastPkts: intOf(cell(C.multicastPkts)),
      crcAlignErrors: intOf(cell(C.crcAlignErrors)),
      undersizePkts: intOf(cell(C.undersizePkts)),
      oversizePkts: intOf(cell(C.oversizePkts)),
      fragments: intOf(cell(C.fragments)),
      jabbers: intOf(cell(C.jabbers)),
      collisions: intOf(cell(C.collisions)),
      // Hundredths of a percent, 0..10000; anything outside is not a utilisation.
      utilisation: util !== null && util >= 0 && util <= 10_000 ? util / 100 : null,
    });
  }
  return { rows: out, truncated };
}
