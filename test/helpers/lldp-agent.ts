import type { Socket } from 'node:dgram';
import * as snmp from 'net-snmp';
import type { Agent, Mib } from 'net-snmp';

/**
 * A simulated switch (net-snmp `createAgent`) with a system group, ifTable +
 * ifXTable names, LLDP local ports and an LLDP remote table the test scripts:
 * `setNeighbours()` replaces what the switch reports, like a cable being moved.
 */
export interface LldpNeighbour {
  localPort: number;
  remoteSysName: string;
  remotePort: string;
  remoteMgmtAddr?: string;
}

const T = snmp.ObjectType;
const RO = snmp.MaxAccess['read-only'];
const NA = snmp.MaxAccess['not-accessible'];
const col = (number: number, name: string, type: number, maxAccess = RO) => ({ number, name, type, maxAccess });

export class LldpAgent {
  private readonly mib: Mib;
  private remRows: number[][] = [];

  constructor(
    readonly address: string,
    readonly sysName: string,
    readonly ports: number,
    private readonly agent: Agent,
  ) {
    this.mib = agent.getMib();
    const scalar = (name: string, oid: string, type: number, value: unknown) => {
      this.mib.registerProvider({ name, type: snmp.MibProviderType.Scalar, oid, scalarType: type, maxAccess: RO });
      this.mib.setScalarValue(name, value);
    };
    scalar('sysDescr', '1.3.6.1.2.1.1.1', T.OctetString, `Simulated LLDP switch ${sysName}`);
    scalar('sysObjectID', '1.3.6.1.2.1.1.2', T.OID, '1.3.6.1.4.1.30065.1.3011');
    scalar('sysUpTime', '1.3.6.1.2.1.1.3', T.TimeTicks, 100);
    scalar('sysName', '1.3.6.1.2.1.1.5', T.OctetString, sysName);
    this.mib.registerProvider({
      name: 'ifTable', type: snmp.MibProviderType.Table, oid: '1.3.6.1.2.1.2.2.1', maxAccess: NA,
      tableColumns: [col(1, 'ifIndex', T.Integer), col(2, 'ifDescr', T.OctetString), col(3, 'ifType', T.Integer), col(7, 'ifAdminStatus', T.Integer), col(8, 'ifOperStatus', T.Integer)],
      tableIndex: [{ columnName: 'ifIndex' }],
    });
    this.mib.registerProvider({
      name: 'ifXTable', type: snmp.MibProviderType.Table, oid: '1.3.6.1.2.1.31.1.1.1', maxAccess: NA,
      tableColumns: [col(1, 'ifName', T.OctetString), col(15, 'ifHighSpeed', T.Gauge)],
      tableAugments: 'ifTable',
    });
    this.mib.registerProvider({
      name: 'lldpLocPortTable', type: snmp.MibProviderType.Table, oid: '1.0.8802.1.1.2.1.3.7.1', maxAccess: NA,
      tableColumns: [col(1, 'lldpLocPortNum', T.Integer, NA), col(2, 'lldpLocPortIdSubtype', T.Integer), col(3, 'lldpLocPortId', T.OctetString), col(4, 'lldpLocPortDesc', T.OctetString)],
      tableIndex: [{ columnName: 'lldpLocPortNum' }],
    });
    this.mib.registerProvider({
      name: 'lldpRemTable', type: snmp.MibProviderType.Table, oid: '1.0.8802.1.1.2.1.4.1.1', maxAccess: NA,
      tableColumns: [
        col(1, 'lldpRemTimeMark', T.TimeTicks, NA), col(2, 'lldpRemLocalPortNum', T.Integer, NA), col(3, 'lldpRemIndex', T.Integer, NA),
        col(4, 'lldpRemChassisIdSubtype', T.Integer), col(5, 'lldpRemChassisId', T.OctetString), col(6, 'lldpRemPortIdSubtype', T.Integer),
        col(7, 'lldpRemPortId', T.OctetString), col(8, 'lldpRemPortDesc', T.OctetString), col(9, 'lldpRemSysName', T.OctetString),
      ],
      tableIndex: [{ columnName: 'lldpRemTimeMark' }, { columnName: 'lldpRemLocalPortNum' }, { columnName: 'lldpRemIndex' }],
    });
    for (let p = 1; p <= ports; p++) {
      this.mib.addTableRow('ifTable', [p, `eth${p}`, 6, 1, 1]);
      this.mib.addTableRow('ifXTable', [p, `eth${p}`, 1000]);
      this.mib.addTableRow('lldpLocPortTable', [p, 5, `eth${p}`, `eth${p}`]);
    }
  }

  /** Replaces the LLDP remote table. */
  setNeighbours(list: LldpNeighbour[]): void {
    for (const idx of this.remRows) this.mib.deleteTableRow('lldpRemTable', idx);
    this.remRows = [];
    list.forEach((n, i) => {
      const idx = [0, n.localPort, i + 1];
      // Chassis id subtype 7 (local), port id subtype 5 (interfaceName).
      this.mib.addTableRow('lldpRemTable', [...idx, 7, n.remoteSysName, 5, n.remotePort, n.remotePort, n.remoteSysName]);
      this.remRows.push(idx);
    });
  }

  /** Sets ifOperStatus of a port (1 up, 2 down). */
  setOper(port: number, status: 1 | 2): void {
    this.mib.setTableSingleCell('ifTable', 8, [port], status);
  }

  close(): Promise<void> {
    return new Promise((r) => this.agent.close(() => r()));
  }
}

/** Starts simulated LLDP switches on 127.x addresses, all on `port`. */
export async function startLldpAgent(address: string, port: number, sysName: string, ports: number): Promise<LldpAgent> {
  const agent = await new Promise<Agent>((resolve, reject) => {
    const a = snmp.createAgent({ port, address, disableAuthorization: false }, () => {});
    const sockets = (a as unknown as { listener?: { sockets?: Record<string, Socket> } }).listener?.sockets;
    const s = sockets ? Object.values(sockets)[0] : undefined;
    if (!s) return resolve(a);
    s.once('listening', () => resolve(a));
    s.once('error', reject);
  });
  agent.getAuthorizer().addCommunity('public');
  return new LldpAgent(address, sysName, ports, agent);
}
