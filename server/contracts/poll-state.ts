import type { Reachability } from './root-cause.js';
/** What the console and API show about a device's polling state. */
export type ReachState = 'up' | 'down' | 'unknown';
export type SnmpState = 'up' | 'down' | 'auth_failure' | 'unknown';

export interface DeviceStatusDto {
  deviceId: number;
  icmpState: ReachState;
  snmpState: SnmpState;
  lastPollAt: number | null;
  lastPollMs: number | null;
  lastError: string | null;
  lastErrorKind: string | null;
  rtt: { min: number | null; avg: number | null; max: number | null; jitter: number | null; lossPct: number | null; at: number | null };
  system: {
    sysName: string | null;
    sysDescr: string | null;
    sysObjectID: string | null;
    vendor: string | null;
    sysUpTimeCs: number | null;
    sysContact: string | null;
    sysLocation: string | null;
  };
  updatedAt: number;
  /** Root cause (issue 17): `unreachable` = not answering while a device on its path is down. */
  reachability?: Reachability;
  /** The device (on its path) whose failure makes it unreachable. */
  causeDeviceId?: number | null;
}

export interface InterfaceDto {
  id: number;
  deviceId: number;
  ifIndex: number;
  name: string;
  descr: string | null;
  alias: string | null;
  type: number | null;
  speedBps: number | null;
  mac: string | null;
  adminStatus: number | null;
  operStatus: number | null;
  inBps: number | null;
  outBps: number | null;
  inErrorsPs: number | null;
  outErrorsPs: number | null;
  inDiscardsPs: number | null;
  outDiscardsPs: number | null;
  inUtilPct: number | null;
  outUtilPct: number | null;
  hcCounters: boolean;
  updatedAt: number;
}

export interface NeighbourDto {
  deviceId: number;
  protocol: 'lldp' | 'cdp';
  localPort: string;
  remoteChassis: string;
  remotePort: string;
  remotePortDesc: string | null;
  remoteSysName: string | null;
  remoteMgmtAddr: string | null;
  updatedAt: number;
}
