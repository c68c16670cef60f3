/**
 * RMON-MIB tables read from the device at request time (an SNMP walk from the server):
 * - GET /devices/:id/rmon: alarmTable and eventTable;
 * - GET /devices/:id/rmon/history?control=N: historyControlTable and the etherHistory samples of
 *   control entry N (without `control`: the first valid entry).
 * Answers 404 for an unknown device, 400 when its SNMP is off or its stored secret is unreadable,
 * 504 `snmp_timeout` when the agent does not answer, 502 `snmp_failed` when it answers with an error
 * or rejects our credentials, 403 `outbound_denied` when the policy denies the device's address, and
 * 403 below operator: like the MIB browser, a read sends SNMP to the device.
 */
import { z } from 'zod';
import type { RmonHistoryDto, RmonTablesDto } from '../contracts/rmon.js';
import type { OutboundPolicy } from '../net/outbound-policy.js';
import { RmonReadError, type RmonService } from '../rmon/rmon.service.js';
import type { DeviceRecord, DeviceRepository } from '../store/device.repository.js';
import { AppError, NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

export class SnmpTimeoutError extends AppError {
  constructor(message: string) {
    super(504, 'snmp_timeout', message);
  }
}

export class SnmpFailedError extends AppError {
  constructor(message: string) {
    super(502, 'snmp_failed', message);
  }
}

export interface RmonRouteDeps {
  devices: DeviceRepository;
  rmon: RmonService;
  outbound: OutboundPolicy;
}

const historyQuery = z.object({ control: z.coerce.number().int().min(1).max(65_535).optional() }).strict();

async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RmonReadError) throw e.kind === 'timeout' ? new SnmpTimeoutError(e.message) : new SnmpFailedError(e.message);
    throw e;
  }
}

export function registerRmonRoutes(api: ApiRegistry, deps: RmonRouteDeps): void {
  const device = (params: Record<string, string>): DeviceRecord => {
    const d = deps.devices.get(idParam(params));
    if (!d) throw new NotFoundError('No such device');
    if (!d.snmp.enabled) throw new ValidationError(`SNMP is switched off for ${d.name}`);
    if (d.secretError) throw new ValidationError(`${d.name}: ${d.secretError}`);
    deps.outbound.assertAllowed('device', d.address, `device ${d.name} (${d.address})`);
    return d;
  };

  api.add(
    {
      method: 'get',
      path: '/devices/:id/rmon',
      summary: 'RMON alarmTable and eventTable, walked from the device now. 504 snmp_timeout when it does not answer, 502 snmp_failed on an SNMP error',
      tag: 'devices',
      access: 'operator',
      response: '{deviceId, readAt, alarms: {index, interval, variable, variableName, sampleType, value, startupAlarm, risingThreshold, fallingThreshold, risingEventIndex, fallingEventIndex, owner, status}[], events: {index, description, type, community, lastTimeSent, owner, status}[], truncated}',
    },
    async ({ params }): Promise<RmonTablesDto> => {
      const d = device(params);
      return mapped(() => deps.rmon.readTables(d));
    },
  );

  api.add(
    {
      method: 'get',
      path: '/devices/:id/rmon/history',
      summary: 'RMON historyControlTable and the etherHistory samples of one control entry (?control=N, default the first valid), walked from the device now',
      tag: 'devices',
      access: 'operator',
      query: historyQuery,
      response: '{deviceId, readAt, controls: {index, dataSource, dataSourceName, bucketsRequested, bucketsGranted, interval, owner, status}[], control, samples: {sampleIndex, intervalStart, intervalStartAt, utilisation, octets, pkts, crcAlignErrors, ...}[], truncated}',
    },
    async ({ params, query }): Promise<RmonHistoryDto> => {
      const d = device(params);
      return mapped(() => deps.rmon.readHistory(d, query.control));
    },
  );
}
