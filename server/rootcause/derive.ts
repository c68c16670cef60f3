import type { InterfaceDto, NeighbourDto, DeviceStatusDto } from '../contracts/poll-state.js';
import { buildTopology, type TopologyDevice } from '../topology/topology.builder.js';
import type { DependencyPins } from '../store/dependency.repository.js';
import { deriveGraph, type DerivedFrom } from './dependency-graph.js';

export interface DeriveDevice extends TopologyDevice {
  site: string;
}

/** One device's row of the derivation: what the main thread keeps (plain arrays cross threads cheaply). */
export interface DerivedRow {
  id: number;
  parentId: number | null;
  derivedFrom: DerivedFrom;
  viaPort: string | null;
  /** Lower-case names of the parent's port toward this device (ifName, ifDescr, alias, ifIndex): what a linkDown alarm key may name. */
  viaKeys: string[];
  topologyParentId: number | null;
}

export interface DerivedResult {
  rows: DerivedRow[];
  chosenRoots: number[];
  links: number;
}

/**
 * The derivation over what the store holds (runs on a reader thread: op `rootcause.derive`):
 * the topology graph as the map builds it, then parents (server/rootcause/dependency-graph.ts).
 */
export function deriveFromStore(input: {
  devices: DeriveDevice[];
  status: Map<number, DeviceStatusDto>;
  neighbours: NeighbourDto[];
  interfaces: (deviceId: number) => InterfaceDto[];
  manualLinks: { id: number; aDeviceId: number; aPort: string | null; bDeviceId: number; bPort: string | null }[];
  pins: DependencyPins;
  gateway: string | null;
}): DerivedResult {
  const ifaces = new Map<number, InterfaceDto[]>();
  const ifacesOf = (id: number) => {
    let l = ifaces.get(id);
    if (!l) ifaces.set(id, (l = input.interfaces(id)));
    return l;
  };
  const withNeighbours = new Set(input.neighbours.map((n) => n.deviceId));
  for (const m of input.manualLinks) {
    withNeighbours.add(m.aDeviceId);
    withNeighbours.add(m.bDeviceId);
  }
  // Interfaces only of devices that take part in links (MAC matching and link status are not needed here).
  const interfaces = new Map<number, InterfaceDto[]>();
  for (const id of withNeighbours) interfaces.set(id, ifacesOf(id));
  const topo = buildTopology({ devices: input.devices, status: input.status, neighbours: input.neighbours, interfaces, manualLinks: input.manualLinks, positions: new Map() });
  const g = deriveGraph({
    devices: input.devices.map((d) => ({ id: d.id, address: d.address, group: d.group, site: d.site, rttMs: input.status.get(d.id)?.rtt.avg ?? null })),
    links: topo.links,
    pins: input.pins,
    gateway: input.gateway,
  });
  const rows: DerivedRow[] = [];
  for (const d of input.devices) {
    const p = g.parents.get(d.id)!;
    const viaKeys: string[] = [];
    if (p.parentId !== null && p.viaPort) {
      const port = p.viaPort.toLowerCase();
      viaKeys.push(port);
      const i = ifacesOf(p.parentId).find((x) => x.name.toLowerCase() === port || x.descr?.toLowerCase() === port || x.alias?.toLowerCase() === port);
      if (i) for (const k of [i.name, i.descr, i.alias, String(i.ifIndex)]) if (k && !viaKeys.includes(k.toLowerCase())) viaKeys.push(k.toLowerCase());
    }
    rows.push({ id: d.id, parentId: p.parentId, derivedFrom: p.derivedFrom, viaPort: p.viaPort, viaKeys, topologyParentId: g.topologyParents.get(d.id)?.parentId ?? null });
  }
  return { rows, chosenRoots: g.chosenRoots, links: topo.links.length };
}
