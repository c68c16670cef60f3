import type { InterfaceDto, NeighbourDto, DeviceStatusDto } from '../contracts/poll-state.js';
import type { NodeStatus, TopologyDto, TopologyLink, TopologyNode } from '../contracts/topology.js';

export interface TopologyDevice {
  id: number;
  name: string;
  address: string;
  group: string | null;
  location: string | null;
}

export interface TopologyInput {
  devices: TopologyDevice[];
  status: Map<number, DeviceStatusDto>;
  neighbours: NeighbourDto[];
  interfaces: Map<number, InterfaceDto[]>;
  manualLinks: { id: number; aDeviceId: number; aPort: string | null; bDeviceId: number; bPort: string | null }[];
  positions: Map<string, { x: number; y: number }>;
  /** deviceId -> worst active alarm severity. */
  alarmSeverity?: Map<number, string>;
  /** deviceId -> ports (ifIndex or ifName, lower case) with an active linkDown alarm. */
  downPorts?: Map<number, Set<string>>;
}

/** Host part of a name, lower case: `core-1.example.net` -> `core-1`. */
const short = (name: string) => name.trim().toLowerCase().split('.')[0]!;
/** MAC-ish strings compared without separators. */
const macKey = (s: string) => s.toLowerCase().replace(/[^0-9a-f]/g, '');

function deviceStatus(s: DeviceStatusDto | undefined): NodeStatus {
  if (!s) return 'unknown';
  if (s.icmpState === 'down' || s.snmpState === 'down') return 'down';
  if (s.icmpState === 'up' || s.snmpState === 'up') return 'up';
  return 'unknown';
}

/** Finds the interface a neighbour row names (by ifName, ifDescr or alias). */
function findIface(ifaces: InterfaceDto[] | undefined, port: string | null): InterfaceDto | undefined {
  if (!ifaces || !port) return undefined;
  const p = port.toLowerCase();
  return ifaces.find((i) => i.name.toLowerCase() === p || i.descr?.toLowerCase() === p || i.alias?.toLowerCase() === p);
}

/**
 * Builds the graph: a link between two managed devices when either reports
 * the other in LLDP/CDP (matched by management address, system name, device
 * name or chassis MAC), one link per pair of ports however many times it is
 * reported; neighbours we do not manage become `unmanaged` nodes.
 */
export function buildTopology(input: TopologyInput): TopologyDto {
  const byAddress = new Map<string, number>();
  const byName = new Map<string, number>();
  const byMac = new Map<string, number>();
  for (const d of input.devices) {
    byAddress.set(d.address.toLowerCase(), d.id);
    byName.set(short(d.name), d.id);
    const sys = input.status.get(d.id)?.system.sysName;
    if (sys) byName.set(short(sys), d.id);
    for (const i of input.interfaces.get(d.id) ?? []) if (i.mac && macKey(i.mac).length === 12) byMac.set(macKey(i.mac), d.id);
  }

  const nodes = new Map<string, TopologyNode>();
  for (const d of input.devices) {
    const id = `d:${d.id}`;
    nodes.set(id, {
      id,
      kind: 'device',
      deviceId: d.id,
      label: d.name,
      address: d.address,
      group: d.group ?? d.location,
      status: deviceStatus(input.status.get(d.id)),
      alarmSeverity: input.alarmSeverity?.get(d.id) ?? null,
      position: input.positions.get(id) ?? null,
    });
  }

  const links: TopologyLink[] = [];
  const byPair = new Map<string, TopologyLink[]>();
  const norm = (p: string | null) => (p ? p.trim().toLowerCase() : '');
  const addLink = (l: Omit<TopologyLink, 'id' | 'status' | 'utilPct'>, sourceDevice: number | null, targetDevice: number | null) => {
    const srcIf = sourceDevice !== null ? findIface(input.interfaces.get(sourceDevice), l.sourcePort) : undefined;
    const dstIf = targetDevice !== null ? findIface(input.interfaces.get(targetDevice), l.targetPort) : undefined;
    const opers = [srcIf?.operStatus, dstIf?.operStatus].filter((v): v is number => typeof v === 'number');
    const alarmed = (deviceId: number | null, port: string | null, iface: InterfaceDto | undefined) => {
      const set = deviceId !== null ? input.downPorts?.get(deviceId) : undefined;
      if (!set) return false;
      return [port, iface?.name, iface?.descr, iface ? String(iface.ifIndex) : null].some((k) => k && set.has(k.toLowerCase()));
    };
    // A linkDown alarm (trap or syslog) turns the link red before the next poll sees it.
    const status: NodeStatus =
      alarmed(sourceDevice, l.sourcePort, srcIf) || alarmed(targetDevice, l.targetPort, dstIf)
        ? 'down'
        : opers.length === 0
          ? 'unknown'
          : opers.every((o) => o === 1)
            ? 'up'
            : 'down';
    const utils = [srcIf?.inUtilPct, srcIf?.outUtilPct, dstIf?.inUtilPct, dstIf?.outUtilPct].filter((v): v is number => typeof v === 'number');
    const utilPct = utils.length ? Math.max(...utils) : null;
    // A reports B and B reports A: the same link when a port at either end agrees
    // (or neither side names ports). Ports are compared in a fixed orientation.
    const flip = l.source > l.target;
    const [n1, p1, n2, p2] = flip ? [l.target, norm(l.targetPort), l.source, norm(l.sourcePort)] : [l.source, norm(l.sourcePort), l.target, norm(l.targetPort)];
    const pairKey = `${l.kind === 'manual' ? 'm' : 'n'}:${n1}~${n2}`;
    const same = (byPair.get(pairKey) ?? []).find((ex) => {
      const [e1, e2] = ex.source === n1 ? [norm(ex.sourcePort), norm(ex.targetPort)] : [norm(ex.targetPort), norm(ex.sourcePort)];
      return (p1 !== '' && p1 === e1) || (p2 !== '' && p2 === e2) || (!p1 && !p2 && !e1 && !e2);
    });
    if (same) {
      // Seen from both ends: fill in what the other side knew.
      if (same.status === 'unknown' || status === 'down') same.status = status;
      if (same.utilPct === null) same.utilPct = utilPct;
      if (!same.targetPort && l.sourcePort && same.target === l.source) same.targetPort = l.sourcePort;
      return;
    }
    const link: TopologyLink = { ...l, id: `${pairKey}:${p1}~${p2}`, status, utilPct };
    links.push(link);
    byPair.set(pairKey, [...(byPair.get(pairKey) ?? []), link]);
  };

  for (const n of input.neighbours) {
    if (!nodes.has(`d:${n.deviceId}`)) continue;
    let peer: number | undefined;
    if (n.remoteMgmtAddr) peer = byAddress.get(n.remoteMgmtAddr.toLowerCase());
    if (peer === undefined && n.remoteSysName) peer = byName.get(short(n.remoteSysName));
    if (peer === undefined && macKey(n.remoteChassis).length === 12) peer = byMac.get(macKey(n.remoteChassis));
    if (peer === n.deviceId) continue;
    let target: string;
    if (peer !== undefined) {
      target = `d:${peer}`;
    } else {
      const key = (n.remoteSysName ? short(n.remoteSysName) : '') || n.remoteChassis || n.remoteMgmtAddr || 'unknown';
      target = `u:${key}`;
      if (!nodes.has(target)) {
        nodes.set(target, {
          id: target,
          kind: 'unmanaged',
          deviceId: null,
          label: n.remoteSysName || n.remoteMgmtAddr || n.remoteChassis || 'unknown neighbour',
          address: n.remoteMgmtAddr,
          group: null,
          status: 'unknown',
          alarmSeverity: null,
          position: input.positions.get(target) ?? null,
          seenAs: { sysName: n.remoteSysName, chassisId: n.remoteChassis, mgmtAddress: n.remoteMgmtAddr },
        });
      }
    }
    addLink(
      { source: `d:${n.deviceId}`, target, sourcePort: n.localPort, targetPort: n.remotePort || n.remotePortDesc || null, kind: n.protocol },
      n.deviceId,
      peer ?? null,
    );
  }

  for (const m of input.manualLinks) {
    if (!nodes.has(`d:${m.aDeviceId}`) || !nodes.has(`d:${m.bDeviceId}`)) continue;
    addLink({ source: `d:${m.aDeviceId}`, target: `d:${m.bDeviceId}`, sourcePort: m.aPort, targetPort: m.bPort, kind: 'manual', manualId: m.id }, m.aDeviceId, m.bDeviceId);
  }

  return { nodes: [...nodes.values()], links };
}
