/**
 * Root-cause analysis (issue 17): parents derived from the topology, devices behind a
 * failed device marked unreachable, their alarms suppressed under the cause.
 *
 * Shared between the server (server/rootcause/*), the API and the console. Fields here
 * are additive to AlarmDto / DeviceStatusDto / TopologyNode (see the comments).
 */

/** How root-cause analysis sees a device: `unreachable` = not answering while a device on its path is down. */
export type Reachability = 'up' | 'down' | 'unreachable' | 'unknown';

/** `GET /api/v1/devices/:id/dependency`, `PUT` takes `{ pinnedParentId, isRoot }`. */
export interface DeviceDependencyDto {
  deviceId: number;
  /** The parent used now: the pinned one, else derived from the topology; null for a root or an isolated device. */
  parentId: number | null;
  /** Set by an admin for this device (wins over the group's and the topology's). */
  pinnedParentId: number | null;
  /** Parent pinned for the device's group, if any. */
  groupParentId: number | null;
  /** Marked by an admin as a first hop from the polling site. */
  isRoot: boolean;
  derivedFrom: 'pinned' | 'group' | 'topology' | 'root' | 'none';
  /** Device ids from the root down to this device (inclusive); [] when unknown. */
  path: number[];
  /** For a parent reached through a known port: the parent's interface that leads here (from LLDP/CDP/manual links). */
  viaPort: string | null;
}

/** `GET /api/v1/alarms/:id/impact`. */
export interface AlarmImpactDto {
  alarmId: number;
  /** Devices behind the cause that are unreachable now. */
  count: number;
  devices: { id: number; name: string; address: string; reachability: Reachability }[];
  /** Alarms raised as suppressed under this one (open ones first). */
  suppressedAlarmIds: number[];
}

/**
 * Additive fields (optional in the DTOs so older producers keep type-checking):
 * - AlarmDto: `suppressed: boolean` (raised under a cause, no notification),
 *   `rootAlarmId: number | null` (the cause), `impactCount: number` (devices behind it, for a cause).
 * - DeviceStatusDto: `reachability: Reachability`, `causeDeviceId: number | null`.
 * - TopologyNode: `reachability: Reachability`, `rootCause: boolean`, `suppressedAlarms: number`.
 * `GET /api/v1/alarms?root=true` lists alarms that are not suppressed (causes and standalone problems).
 * Realtime: `alarm.changed` carries the fields above; `device.status` carries `reachability`.
 */
export interface RootCauseAlarmFields {
  suppressed: boolean;
  rootAlarmId: number | null;
  impactCount: number;
}
