import type { Reachability } from './root-cause.js';
/** The topology graph as the API returns it and the console draws it. */
export type NodeStatus = 'up' | 'down' | 'unknown';

export interface TopologyNode {
  /** `d:<deviceId>` for managed devices, `u:<key>` for neighbours we do not manage. */
  id: string;
  kind: 'device' | 'unmanaged';
  deviceId: number | null;
  label: string;
  address: string | null;
  group: string | null;
  status: NodeStatus;
  /** Worst active alarm severity, when the alarm engine reports one. */
  alarmSeverity: string | null;
  /** Saved position, if the user placed the node. */
  position: { x: number; y: number } | null;
  /** For unmanaged nodes: what we know, to add it as a device. */
  seenAs?: { sysName: string | null; chassisId: string; mgmtAddress: string | null };
  /** Root cause (issue 17): reachability of a managed device. */
  reachability?: Reachability;
  /** The device is the cause of other devices' unreachability. */
  rootCause?: boolean;
  /** Open suppressed alarms of the device. */
  suppressedAlarms?: number;
}

export interface TopologyLink {
  id: string;
  source: string;
  target: string;
  sourcePort: string | null;
  targetPort: string | null;
  kind: 'lldp' | 'cdp' | 'manual';
  /** Oper status of the interface at the source end when known. */
  status: NodeStatus;
  /** Highest in/out utilisation (%) of the ends we poll. */
  utilPct: number | null;
  manualId?: number;
}

export interface TopologyDto {
  nodes: TopologyNode[];
  links: TopologyLink[];
}
