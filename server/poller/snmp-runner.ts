import type { PollResult } from '../contracts/poll.js';
import { SnmpClient, type SnmpTarget } from '../collectors/snmp/snmp.client.js';
import { collectDevice } from '../collectors/snmp/snmp.collect.js';
import type { DeviceRecord } from '../store/device.repository.js';
import type { SnmpRunner } from './poll.service.js';

/** The SNMP settings of a stored device as the collector wants them. */
export function snmpTarget(d: Pick<DeviceRecord, 'address' | 'snmp'>): SnmpTarget {
  const s = d.snmp;
  return {
    address: d.address,
    snmp: {
      version: s.version,
      port: s.port,
      community: s.community,
      username: s.username,
      authProtocol: s.authProtocol,
      authKey: s.authKey,
      privProtocol: s.privProtocol,
      privKey: s.privKey,
      context: s.context,
      timeoutMs: s.timeoutMs,
      retries: s.retries,
    },
  };
}

/** Polls in this thread over one shared set of UDP sockets. */
export class InProcessSnmpRunner implements SnmpRunner {
  private readonly client = new SnmpClient();

  poll(device: DeviceRecord): Promise<PollResult> {
    return collectDevice(this.client, snmpTarget(device));
  }

  forget(device: DeviceRecord): void {
    this.client.forget(snmpTarget(device));
  }

  close(): void {
    this.client.close();
  }
}
