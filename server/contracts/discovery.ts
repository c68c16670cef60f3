import type { AuthProtocol, PrivProtocol, SnmpVersion } from './dto.js';

export interface DiscoveryCredential {
  version: SnmpVersion;
  community?: string;
  username?: string;
  authProtocol?: AuthProtocol | null;
  authKey?: string;
  privProtocol?: PrivProtocol | null;
  privKey?: string;
}

export interface DiscoveredHost {
  address: string;
  rttMs: number | null;
  snmp: boolean;
  sysName: string | null;
  sysDescr: string | null;
  vendor: string | null;
  /** Index of the credential that worked. */
  credential: number | null;
  /** Id of the device it is (already or now) managed as. */
  deviceId: number | null;
  added: boolean;
}

export interface DiscoveryJobDto {
  id: number;
  cidr: string;
  state: 'running' | 'done' | 'failed';
  phase: 'icmp' | 'snmp' | 'done';
  total: number;
  pinged: number;
  probed: number;
  responders: number;
  found: DiscoveredHost[];
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
}
