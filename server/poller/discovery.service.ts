import type { DiscoveredHost, DiscoveryCredential, DiscoveryJobDto } from '../contracts/discovery.js';
import { SnmpClient } from '../collectors/snmp/snmp.client.js';
import { collectDevice } from '../collectors/snmp/snmp.collect.js';
import type { IcmpPinger } from '../collectors/icmp/icmp.pinger.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log/logger.js';
import { TooManyRequestsError, ValidationError } from '../api/errors.js';
import { deniedMessage, type OutboundPolicy } from '../net/outbound-policy.js';
import { toDeviceDto, type DeviceRepository } from '../store/device.repository.js';
import { expandCidr } from './cidr.js';

export interface DiscoveryRequest {
  cidr: string;
  credentials: DiscoveryCredential[];
  port: number;
  timeoutMs: number;
  /** Add every SNMP responder as a device (else they are only listed). */
  add: boolean;
}

export interface DiscoveryOptions {
  /** Largest range one job may sweep. */
  maxHosts: number;
  probeConcurrency: number;
  /** Jobs running at once; one more is refused (429) until one finishes. */
  maxRunning: number;
}

export const DEFAULT_DISCOVERY_OPTIONS: DiscoveryOptions = { maxHosts: 4096, probeConcurrency: 32, maxRunning: 2 };

/**
 * Discovery: an ICMP sweep of a CIDR, then an SNMP probe (system group) of
 * the responders with each credential in turn. Progress goes out on the bus
 * after each phase step; jobs are kept in memory for the console to read.
 * Every address of the range must pass the outbound policy (scope `device`),
 * ranges are bounded (`maxHosts`) and so are the jobs running at once.
 */
export class DiscoveryService {
  private readonly jobs = new Map<number, DiscoveryJobDto>();
  private seq = 0;

  constructor(
    private readonly deps: { devices: DeviceRepository; pinger: IcmpPinger; bus: EventBus; log: Logger; outbound: OutboundPolicy; /** Site of the devices it adds (this process's). */ site?: string },
    private readonly opts: DiscoveryOptions = DEFAULT_DISCOVERY_OPTIONS,
  ) {}

  /** Validates and starts a job; returns at once. Throws ValidationError (range) or TooManyRequestsError (busy). */
  start(req: DiscoveryRequest): DiscoveryJobDto {
    let addresses: string[];
    try {
      addresses = expandCidr(req.cidr, this.opts.maxHosts);
    } catch (err) {
      throw new ValidationError(`cidr: ${(err as Error).message}`);
    }
    for (const a of addresses) {
      const v = this.deps.outbound.check('device', a);
      if (!v.allowed) throw new ValidationError(`cidr: ${req.cidr} includes ${a}: ${deniedMessage(a, v)}`);
    }
    const running = [...this.jobs.values()].filter((j) => j.state === 'running').length;
    if (running >= this.opts.maxRunning) {
      throw new TooManyRequestsError(`${running} discovery jobs are already running (at most ${this.opts.maxRunning} at once); start this one when one of them has finished`);
    }
    const job: DiscoveryJobDto = {
      id: ++this.seq, cidr: req.cidr, state: 'running', phase: 'icmp', total: addresses.length, pinged: 0, probed: 0, responders: 0,
      found: [], error: null, startedAt: Date.now(), finishedAt: null,
    };
    this.jobs.set(job.id, job);
    // Keep the last 20 jobs.
    for (const id of this.jobs.keys()) if (this.jobs.size > 20) this.jobs.delete(id);
    void this.run(job, addresses, req).catch((err: unknown) => {
      job.state = 'failed';
      job.error = (err as Error).message;
      job.finishedAt = Date.now();
      this.deps.log.error({ err, cidr: req.cidr }, 'discovery failed');
      this.progress(job);
    });
    return job;
  }

  get(id: number): DiscoveryJobDto | undefined {
    return this.jobs.get(id);
  }

  list(): DiscoveryJobDto[] {
    return [...this.jobs.values()].reverse();
  }

  private progress(job: DiscoveryJobDto): void {
    this.deps.bus.publish('discovery.progress', structuredClone(job));
  }

  private async run(job: DiscoveryJobDto, addresses: string[], req: DiscoveryRequest): Promise<void> {
    const alive: { address: string; rttMs: number | null }[] = [];
    for (let i = 0; i < addresses.length; i += 256) {
      const chunk = addresses.slice(i, i + 256);
      const results = await this.deps.pinger.pingMany(chunk, { count: 1, timeoutMs: 1000 });
      for (const r of results) if (r.received > 0) alive.push({ address: r.address, rttMs: r.rttAvgMs });
      job.pinged += chunk.length;
      job.responders = alive.length;
      this.progress(job);
    }

    job.phase = 'snmp';
    this.progress(job);
    const client = new SnmpClient({ socketsPerFamily: 2 });
    const known = new Map(this.deps.devices.addresses().map((d) => [d.address, d.id]));
    try {
      let next = 0;
      const worker = async () => {
        while (next < alive.length) {
          const host = alive[next++]!;
          job.found.push(await this.probe(client, host, req, known.get(host.address) ?? null));
          job.probed++;
          if (job.probed % 16 === 0 || job.probed === alive.length) this.progress(job);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.opts.probeConcurrency, alive.length) }, worker));
    } finally {
      client.close();
    }
    job.found.sort((a, b) => Number(b.snmp) - Number(a.snmp) || a.address.localeCompare(b.address, 'en', { numeric: true }));
    job.phase = 'done';
    job.state = 'done';
    job.finishedAt = Date.now();
    this.progress(job);
  }

  private async probe(client: SnmpClient, host: { address: string; rttMs: number | null }, req: DiscoveryRequest, deviceId: number | null): Promise<DiscoveredHost> {
    const found: DiscoveredHost = { address: host.address, rttMs: host.rttMs, snmp: false, sysName: null, sysDescr: null, vendor: null, credential: null, deviceId, added: false };
    for (let i = 0; i < req.credentials.length; i++) {
      const c = req.credentials[i]!;
      const r = await collectDevice(
        client,
        { address: host.address, snmp: { ...c, port: req.port, timeoutMs: req.timeoutMs, retries: 0 } },
        { skip: ['interfaces', 'host', 'ucd', 'lldp', 'cdp', 'custom'] },
      );
      if (!r.ok || !r.system) continue;
      Object.assign(found, { snmp: true, sysName: r.system.sysName, sysDescr: r.system.sysDescr, vendor: r.system.vendor, credential: i });
      if (req.add && deviceId === null) found.deviceId = this.add(found, c, req);
      break;
    }
    return found;
  }

  private add(host: DiscoveredHost, c: DiscoveryCredential, req: DiscoveryRequest): number | null {
    const { devices } = this.deps;
    let name = host.sysName?.trim() || host.address;
    if (devices.idByName(name) !== undefined) name = `${name} (${host.address})`;
    if (devices.idByName(name) !== undefined) return devices.idByName(name)!;
    const d = devices.create({
      name, address: host.address, group: null, location: null, tags: ['discovered'], pollIntervalSec: 60, icmpEnabled: true, site: this.deps.site ?? 'central',
      snmp: {
        enabled: true, version: c.version, port: req.port, community: c.community ?? null, username: c.username ?? null,
        authProtocol: c.authProtocol ?? null, authKey: c.authKey ?? null, privProtocol: c.privProtocol ?? null, privKey: c.privKey ?? null,
        context: null, timeoutMs: 2000, retries: 1,
      },
    });
    host.added = true;
    this.deps.bus.publish('device.created', toDeviceDto(d));
    return d.id;
  }
}
