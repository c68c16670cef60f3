import type { IcmpResult, PollResult } from '../contracts/poll.js';
import type { IcmpPinger } from '../collectors/icmp/icmp.pinger.js';
import { SnmpClient, type SnmpTarget } from '../collectors/snmp/snmp.client.js';
import { collectDevice } from '../collectors/snmp/snmp.collect.js';
import type { DeviceRecord } from '../store/device.repository.js';
import type { IcmpRunner, SnmpRunner } from './poll.service.js';
import { PollWorkerPool } from './worker-pool.js';
import type { TemplateRequest } from '../contracts/templates.js';

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

  poll(device: DeviceRecord, customOids: string[] = [], templates?: TemplateRequest): Promise<PollResult> {
    return collectDevice(this.client, snmpTarget(device), { customOids, ...(templates ? { templates } : {}) });
  }

  forget(device: DeviceRecord): void {
    this.client.forget(snmpTarget(device));
  }

  close(): void {
    this.client.close();
  }
}

/** Polls in worker threads so both cores work; the main thread keeps serving the API and listeners. */
export class WorkerSnmpRunner implements SnmpRunner {
  private readonly pool: PollWorkerPool;

  constructor(workers: number, log?: { warn(obj: object, msg: string): void }) {
    this.pool = new PollWorkerPool({ workers, log });
  }

  async poll(device: DeviceRecord, customOids: string[] = [], templates?: TemplateRequest): Promise<PollResult> {
    const startedAt = Date.now();
    try {
      return await this.pool.poll(snmpTarget(device), { customOids, ...(templates ? { templates } : {}) });
    } catch (err) {
      // Only a dead worker rejects; report it as this poll's failure.
      const message = `poll worker failed: ${(err as Error).message}`;
      return {
        address: device.address, startedAt, durationMs: Date.now() - startedAt, ok: false, error: { kind: 'other', message },
        system: null, interfaces: null, host: null, ucd: null, neighbours: null, custom: null, errors: {}, requests: 0,
      };
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Batches ICMP through the collector's pinger (fping when installed). */
export class PingerIcmpRunner implements IcmpRunner {
  constructor(private readonly pinger: IcmpPinger) {}

  get name(): string {
    return this.pinger.backend;
  }

  async ping(addresses: string[]): Promise<Map<string, IcmpResult>> {
    const results = await this.pinger.pingMany(addresses);
    return new Map(results.map((r) => [r.address, r]));
  }
}
