import * as snmp from 'net-snmp';
import type { Agent, Mib } from 'net-snmp';
import { freeUdpPort } from '../../helpers/snmpd.js';

/**
 * Simulated SNMP agents (net-snmp `createAgent`) on many loopback addresses,
 * one port, in this process. Their clock is simulated: `setTime(sec)` sets
 * sysUpTime and every counter from a formula, so expected rates are exact.
 *
 * Per device: system group, ifTable (32-bit counters), optionally ifXTable
 * (ifName, ifHighSpeed, 64-bit HC octets). Scenarios: counters that start just
 * below a wrap, `reboot()` (sysUpTime and counters restart), `renumber()`
 * (ifIndex values change after the reboot, names stay).
 */
export interface SimDeviceSpec {
  address: string;
  sysName: string;
  ports: number;
  /** Octets per second per port, in and out (out = 2x in). */
  bytesPerSec: number;
  hc: boolean;
  /** Counter value at time 0 (32-bit counters wrap from there). */
  start32?: bigint;
  start64?: bigint;
  speedMbps?: number;
}

const T = snmp.ObjectType;
const RO = snmp.MaxAccess['read-only'];
const NA = snmp.MaxAccess['not-accessible'];
const u64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, v));
  return b;
};

export class SimAgent {
  private bootAt = 0; // sim seconds when the agent last booted
  private countFrom = 0; // sim seconds when counters last restarted
  private base32: bigint;
  private base64: bigint;
  private indexBase = 1;
  private mib: Mib;
  private rowsIndexes: number[] = [];

  constructor(
    readonly spec: SimDeviceSpec,
    readonly agent: Agent,
  ) {
    this.mib = agent.getMib();
    this.base32 = spec.start32 ?? 0n;
    this.base64 = spec.start64 ?? 0n;
    this.registerProviders();
    this.buildRows();
    this.setTime(0);
  }

  private registerProviders(): void {
    const scalar = (name: string, oid: string, scalarType: number) => this.mib.registerProvider({ name, type: snmp.MibProviderType.Scalar, oid, scalarType, maxAccess: RO });
    scalar('sysDescr', '1.3.6.1.2.1.1.1', T.OctetString);
    scalar('sysObjectID', '1.3.6.1.2.1.1.2', T.OID);
    scalar('sysUpTime', '1.3.6.1.2.1.1.3', T.TimeTicks);
    scalar('sysName', '1.3.6.1.2.1.1.5', T.OctetString);
    this.mib.setScalarValue('sysDescr', `Simulated switch ${this.spec.sysName}`);
    this.mib.setScalarValue('sysObjectID', '1.3.6.1.4.1.30065.1.3011');
    this.mib.setScalarValue('sysName', this.spec.sysName);
    const col = (number: number, name: string, type: number, access = RO) => ({ number, name, type, maxAccess: access });
    this.mib.registerProvider({
      name: 'ifTable',
      type: snmp.MibProviderType.Table,
      oid: '1.3.6.1.2.1.2.2.1',
      maxAccess: NA,
      tableColumns: [
        col(1, 'ifIndex', T.Integer),
        col(2, 'ifDescr', T.OctetString),
        col(3, 'ifType', T.Integer),
        col(5, 'ifSpeed', T.Gauge),
        col(7, 'ifAdminStatus', T.Integer),
        col(8, 'ifOperStatus', T.Integer),
        col(10, 'ifInOctets', T.Counter),
        col(16, 'ifOutOctets', T.Counter),
      ],
      tableIndex: [{ columnName: 'ifIndex' }],
    });
    if (this.spec.hc) {
      this.mib.registerProvider({
        name: 'ifXTable',
        type: snmp.MibProviderType.Table,
        oid: '1.3.6.1.2.1.31.1.1.1',
        maxAccess: NA,
        tableColumns: [col(1, 'ifName', T.OctetString), col(6, 'ifHCInOctets', T.Counter64), col(10, 'ifHCOutOctets', T.Counter64), col(15, 'ifHighSpeed', T.Gauge)],
        tableAugments: 'ifTable',
      });
    }
  }

  private buildRows(): void {
    for (const i of this.rowsIndexes) {
      this.mib.deleteTableRow('ifTable', [i]);
      if (this.spec.hc) this.mib.deleteTableRow('ifXTable', [i]);
    }
    this.rowsIndexes = [];
    const speed = this.spec.speedMbps ?? 1000;
    for (let p = 0; p < this.spec.ports; p++) {
      const idx = this.indexBase + p;
      this.rowsIndexes.push(idx);
      this.mib.addTableRow('ifTable', [idx, `port${p + 1}`, 6, Math.min(speed * 1e6, 4294967295), 1, 1, 0, 0]);
      if (this.spec.hc) this.mib.addTableRow('ifXTable', [idx, `port${p + 1}`, u64(0n), u64(0n), speed]);
    }
  }

  /** Octets counted on port p (0-based) since counters restarted, at sim time `t`. */
  octets(p: number, t: number, dir: 'in' | 'out'): bigint {
    const perSec = BigInt(this.spec.bytesPerSec * (dir === 'in' ? 1 : 2) * (p + 1));
    return perSec * BigInt(Math.round(t - this.countFrom));
  }

  setTime(t: number): void {
    this.mib.setScalarValue('sysUpTime', Math.round((t - this.bootAt) * 100) % 2 ** 32);
    this.rowsIndexes.forEach((idx, p) => {
      const inO = this.octets(p, t, 'in');
      const outO = this.octets(p, t, 'out');
      this.mib.setTableSingleCell('ifTable', 10, [idx], Number(BigInt.asUintN(32, this.base32 + inO)));
      this.mib.setTableSingleCell('ifTable', 16, [idx], Number(BigInt.asUintN(32, this.base32 + outO)));
      if (this.spec.hc) {
        this.mib.setTableSingleCell('ifXTable', 6, [idx], u64(this.base64 + inO));
        this.mib.setTableSingleCell('ifXTable', 10, [idx], u64(this.base64 + outO));
      }
    });
  }

  /** Restart at sim time t: sysUpTime and counters start again from zero. */
  reboot(t: number, renumber = false): void {
    this.bootAt = t;
    this.countFrom = t;
    this.base32 = 0n;
    this.base64 = 0n;
    if (renumber) {
      this.indexBase += 100;
      this.buildRows();
    }
    this.setTime(t);
  }

  close(): Promise<void> {
    return new Promise((r) => this.agent.close(() => r()));
  }
}

/** Starts `specs.length` agents on their addresses, all on one free port. */
export async function startFleet(specs: Omit<SimDeviceSpec, 'address'>[], subnet = 77): Promise<{ port: number; agents: SimAgent[]; close(): Promise<void> }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeUdpPort();
    const agents: SimAgent[] = [];
    try {
      for (let i = 0; i < specs.length; i++) {
        const address = `127.${subnet}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
        const agent = await new Promise<Agent>((resolve, reject) => {
          const a = snmp.createAgent({ port, address, disableAuthorization: false }, () => {});
          const sock = (a as unknown as { listener: { sockets: Record<string, import('node:dgram').Socket> } }).listener?.sockets;
          const s = sock ? Object.values(sock)[0] : undefined;
          if (!s) return resolve(a);
          s.once('listening', () => resolve(a));
          s.once('error', reject);
        });
        agent.getAuthorizer().addCommunity('public');
        agents.push(new SimAgent({ ...specs[i]!, address }, agent));
      }
      return { port, agents, close: async () => void (await Promise.all(agents.map((a) => a.close()))) };
    } catch {
      await Promise.all(agents.map((a) => a.close()));
    }
  }
  throw new Error('could not start the simulated fleet');
}
