import type { Varbind } from 'net-snmp';
import type { SnmpClient, SnmpTarget } from '../collectors/snmp/snmp.client.js';
import { classifySnmpError } from '../collectors/snmp/snmp.errors.js';
import type { RmonAlarmRow, RmonEventRow, RmonHistoryControlRow, RmonHistorySample } from '../contracts/rmon.js';
import { SYS_UPTIME_0 } from './rmon.oids.js';
import { alarmColumns, etherHistoryColumns, eventColumns, historyControlColumns, intOf, parseAlarms, parseEtherHistory, parseEvents, parseHistoryControls } from './rmon-tables.js';

/**
 * The SNMP side of an RMON read: walk the columns, parse the rows. Runs in the RMON worker thread
 * (rmon.worker.ts); names from the OID dictionary are filled in afterwards on the main thread,
 * which owns the dictionary (`variableName`/`dataSourceName` are null here).
 */

export type RmonReadErrorKind = 'timeout' | 'failed';

/** The agent did not answer (`timeout`) or answered with an error (`failed`): the API maps these to 504 / 502. */
export class RmonReadError extends Error {
  constructor(
    readonly kind: RmonReadErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'RmonReadError';
  }
}

export interface RmonWalkRequest {
  target: SnmpTarget;
  /** `name (address)` for error texts. */
  label: string;
  maxRows: number;
  maxSamples: number;
}

export interface RmonTablesRead {
  alarms: RmonAlarmRow[];
  events: RmonEventRow[];
  truncated: boolean;
}

export interface RmonHistoryRead {
  readAt: number;
  controls: RmonHistoryControlRow[];
  control: number | null;
  samples: RmonHistorySample[];
  truncated: boolean;
}

const noName = () => null;

async function walk(client: SnmpClient, req: RmonWalkRequest, roots: string[], withUpTime = false): Promise<{ cols: Map<string, Varbind[]>; upTime: number | null }> {
  try {
    const session = await client.open(req.target);
    const cols = await session.walkColumns(roots);
    const upTime = withUpTime ? intOf((await session.get([SYS_UPTIME_0]))[0]) : null;
    return { cols, upTime };
  } catch (e) {
    const err = classifySnmpError(e);
    const s = req.target.snmp;
    if (err.kind === 'timeout') throw new RmonReadError('timeout', `${req.label} did not answer SNMP within ${s.timeoutMs} ms × ${s.retries + 1} tries`);
    throw new RmonReadError('failed', `${req.label}: ${err.kind === 'authFailure' ? 'SNMP credentials rejected' : 'SNMP error'}: ${err.message}`.slice(0, 500));
  }
}

/** alarmTable and eventTable (one GETBULK walk over their 19 columns). */
export async function walkRmonTables(client: SnmpClient, req: RmonWalkRequest): Promise<RmonTablesRead> {
  const { cols } = await walk(client, req, [...alarmColumns(), ...eventColumns()]);
  const alarms = parseAlarms(cols, noName, req.maxRows);
  const events = parseEvents(cols, req.maxRows);
  return { alarms: alarms.rows, events: events.rows, truncated: alarms.truncated || events.truncated };
}

/** historyControlTable, then the etherHistory buckets of `control` (else the first valid entry) and sysUpTime. */
export async function walkRmonHistory(client: SnmpClient, req: RmonWalkRequest, control: number | undefined): Promise<RmonHistoryRead> {
  const controls = parseHistoryControls((await walk(client, req, historyControlColumns())).cols, noName, req.maxRows);
  const chosen = control ?? controls.rows.find((c) => c.status === 'valid')?.index ?? controls.rows[0]?.index ?? null;
  if (chosen === null) return { readAt: Date.now(), controls: controls.rows, control: null, samples: [], truncated: controls.truncated };
  const { cols, upTime } = await walk(client, req, etherHistoryColumns(chosen), true);
  const readAt = Date.now();
  const samples = parseEtherHistory(cols, chosen, upTime, readAt, req.maxSamples);
  return { readAt, controls: controls.rows, control: chosen, samples: samples.rows, truncated: controls.truncated || samples.truncated };
}
