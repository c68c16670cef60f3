/**
 * Parents for root-cause analysis (issue 17), pure: from the topology graph (LLDP/CDP and manual
 * links, as server/topology/topology.builder.ts resolves them), the admin's pins and roots.
 *
 * - Each site is its own forest: links between devices of different sites are not followed (a remote
 *   site's devices are rooted at what its collector reaches first; there is no path through the centre).
 * - Roots of a connected component (within a site): the devices an admin marked `isRoot`; when none is
 *   marked, the device whose address is the polling host's default gateway; else the device nearest the
 *   poller by measurement: the lowest last ICMP RTT in whole milliseconds, ties to the lowest device id
 *   (the oldest device, usually the core added first). Marked roots win over the rule.
 * - Parent from the topology: breadth-first from the roots (fewest hops), over managed and unmanaged
 *   nodes (an unmanaged switch in between is walked through; the parent is the nearest managed device).
 *   Ties go to the lowest device id, so the result is stable.
 * - Pins win: a device's pinned parent, else (not a root) its group's pinned parent, else the topology's.
 *   A cycle pins and topology make (after a topology change) is cut at a member whose parent is not a
 *   device pin; the API refuses pins that would make one.
 */

export interface GraphDevice {
  id: number;
  address: string;
  group: string | null;
  site: string;
  /** Last ICMP RTT average (ms), for the nearest-device rule. */
  rttMs?: number | null;
}

export interface GraphLink {
  /** Node ids as the topology builder names them: `d:<deviceId>` or `u:<key>`. */
  source: string;
  target: string;
  sourcePort: string | null;
  targetPort: string | null;
}

export interface GraphPins {
  devices: Map<number, { pinnedParentId: number | null; isRoot: boolean }>;
  groups: Map<string, number>;
}

export type DerivedFrom = 'pinned' | 'group' | 'topology' | 'root' | 'none';

export interface ParentInfo {
  parentId: number | null;
  derivedFrom: DerivedFrom;
  /** The parent's port that leads to this device, when known from a direct link. */
  viaPort: string | null;
}

export interface DerivedGraph {
  parents: Map<number, ParentInfo>;
  /** Parent from the topology alone (what pins fall back to), for the API's cycle check. */
  topologyParents: Map<number, { parentId: number | null; viaPort: string | null }>;
  /** Roots the rule chose (components without a marked root). */
  chosenRoots: number[];
}

const devId = (node: string): number | null => (node.startsWith('d:') ? Number(node.slice(2)) : null);

/** Breadth-first parents from the topology. */
export function topologyParents(devices: GraphDevice[], links: GraphLink[], markedRoots: Set<number>, gateway: string | null): { parents: Map<number, { parentId: number | null; viaPort: string | null }>; chosenRoots: number[] } {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const siteOf = (node: string): string | null => {
    const id = devId(node);
    return id === null ? null : (byId.get(id)?.site ?? null);
  };
  // Adjacency with the port at the near end of each link.
  const adj = new Map<string, { to: string; port: string | null }[]>();
  const add = (a: string, b: string, port: string | null) => {
    let l = adj.get(a);
    if (!l) adj.set(a, (l = []));
    l.push({ to: b, port });
  };
  for (const l of links) {
    const sa = siteOf(l.source);
    const sb = siteOf(l.target);
    if (sa !== null && sb !== null && sa !== sb) continue;
    if (devId(l.source) !== null && !byId.has(devId(l.source)!)) continue;
    if (devId(l.target) !== null && !byId.has(devId(l.target)!)) continue;
    add(l.source, l.target, l.sourcePort);
    add(l.target, l.source, l.targetPort);
  }
  // Neighbours in a stable order: managed devices by id, then unmanaged nodes by key.
  const order = (a: { to: string }, b: { to: string }) => {
    const x = devId(a.to);
    const y = devId(b.to);
    if (x !== null && y !== null) return x - y;
    if (x !== null) return -1;
    if (y !== null) return 1;
    return a.to < b.to ? -1 : a.to > b.to ? 1 : 0;
  };
  for (const l of adj.values()) l.sort(order);

  // Components (over managed and unmanaged nodes, within a site since cross-site links were dropped).
  const component = new Map<string, number>();
  const members: string[][] = [];
  const sorted = [...devices].sort((a, b) => a.id - b.id);
  for (const d of sorted) {
    const start = `d:${d.id}`;
    if (component.has(start)) continue;
    const c = members.length;
    const list: string[] = [];
    const stack = [start];
    component.set(start, c);
    while (stack.length) {
      const n = stack.pop()!;
      list.push(n);
      for (const e of adj.get(n) ?? []) {
        if (component.has(e.to)) continue;
        component.set(e.to, c);
        stack.push(e.to);
      }
    }
    members.push(list);
  }

  const parents = new Map<number, { parentId: number | null; viaPort: string | null }>();
  const chosenRoots: number[] = [];
  const rttKey = (d: GraphDevice) => (typeof d.rttMs === 'number' && Number.isFinite(d.rttMs) ? Math.floor(d.rttMs) : Number.POSITIVE_INFINITY);
  for (const list of members) {
    const ids = list.map(devId).filter((x): x is number => x !== null).sort((a, b) => a - b);
    let roots = ids.filter((id) => markedRoots.has(id));
    if (roots.length === 0) {
      const gw = gateway ? ids.find((id) => byId.get(id)!.address === gateway) : undefined;
      if (gw !== undefined) roots = [gw];
      else {
        let best = ids[0]!;
        for (const id of ids) if (rttKey(byId.get(id)!) < rttKey(byId.get(best)!)) best = id;
        roots = [best];
      }
      chosenRoots.push(roots[0]!);
    }
    // BFS; `via` = the nearest managed ancestor and its port toward this branch.
    const seen = new Set<string>();
    const queue: { node: string; managed: number | null; port: string | null }[] = [];
    for (const r of roots) {
      seen.add(`d:${r}`);
      parents.set(r, { parentId: null, viaPort: null });
      queue.push({ node: `d:${r}`, managed: r, port: null });
    }
    for (let i = 0; i < queue.length; i++) {
      const { node, managed, port } = queue[i]!;
      const here = devId(node);
      for (const e of adj.get(node) ?? []) {
        if (seen.has(e.to)) continue;
        seen.add(e.to);
        // Leaving a managed device: its port leads on; through an unmanaged node, the port stays the last managed one's.
        const viaPort = here !== null ? e.port : port;
        const to = devId(e.to);
        if (to !== null) parents.set(to, { parentId: managed, viaPort });
        queue.push({ node: e.to, managed: to ?? managed, port: to !== null ? null : viaPort });
      }
    }
  }
  for (const d of devices) if (!parents.has(d.id)) parents.set(d.id, { parentId: null, viaPort: null });
  return { parents, chosenRoots };
}

/** Pins over topology parents; cycles cut (see the file comment). */
export function effectiveParents(
  devices: GraphDevice[],
  topo: Map<number, { parentId: number | null; viaPort: string | null }>,
  pins: GraphPins,
  links: GraphLink[] = [],
): Map<number, ParentInfo> {
  const ids = new Set(devices.map((d) => d.id));
  // A pinned parent's port toward the device, when they share a direct link.
  const portBetween = new Map<string, string | null>();
  for (const l of links) {
    const a = devId(l.source);
    const b = devId(l.target);
    if (a === null || b === null) continue;
    if (!portBetween.has(`${a}>${b}`)) portBetween.set(`${a}>${b}`, l.sourcePort);
    if (!portBetween.has(`${b}>${a}`)) portBetween.set(`${b}>${a}`, l.targetPort);
  }
  const out = new Map<number, ParentInfo>();
  for (const d of devices) {
    const pin = pins.devices.get(d.id);
    const t = topo.get(d.id) ?? { parentId: null, viaPort: null };
    let info: ParentInfo;
    if (pin?.pinnedParentId != null && ids.has(pin.pinnedParentId) && pin.pinnedParentId !== d.id) {
      info = { parentId: pin.pinnedParentId, derivedFrom: 'pinned', viaPort: portBetween.get(`${pin.pinnedParentId}>${d.id}`) ?? null };
    } else if (pin?.isRoot) {
      info = { parentId: null, derivedFrom: 'root', viaPort: null };
    } else {
      const g = d.group !== null ? pins.groups.get(d.group) : undefined;
      if (g !== undefined && g !== d.id && ids.has(g)) info = { parentId: g, derivedFrom: 'group', viaPort: portBetween.get(`${g}>${d.id}`) ?? null };
      else if (t.parentId !== null) info = { parentId: t.parentId, derivedFrom: 'topology', viaPort: t.viaPort };
      else info = { parentId: null, derivedFrom: 'none', viaPort: null };
    }
    out.set(d.id, info);
  }
  // Cut cycles: walk up from each device; a node seen twice on one walk closes a cycle.
  const rank: Record<DerivedFrom, number> = { topology: 0, group: 1, pinned: 2, root: 3, none: 3 };
  const done = new Set<number>();
  for (const d of devices) {
    if (done.has(d.id)) continue;
    const walk: number[] = [];
    const onWalk = new Set<number>();
    let cur: number | null = d.id;
    while (cur !== null && !done.has(cur) && !onWalk.has(cur)) {
      walk.push(cur);
      onWalk.add(cur);
      cur = out.get(cur)?.parentId ?? null;
    }
    if (cur !== null && onWalk.has(cur)) {
      const cycle = walk.slice(walk.indexOf(cur));
      let cut = cycle[0]!;
      for (const id of cycle) if (rank[out.get(id)!.derivedFrom] < rank[out.get(cut)!.derivedFrom]) cut = id;
      out.set(cut, { parentId: null, derivedFrom: 'none', viaPort: null });
    }
    for (const id of walk) done.add(id);
  }
  return out;
}

/** The devices of a cycle the parent pointers make, or null (used to refuse a pin with 400). */
export function findCycle(parents: Map<number, { parentId: number | null }>): number[] | null {
  const done = new Set<number>();
  for (const start of parents.keys()) {
    if (done.has(start)) continue;
    const walk: number[] = [];
    const onWalk = new Set<number>();
    let cur: number | null = start;
    while (cur !== null && !done.has(cur) && !onWalk.has(cur)) {
      walk.push(cur);
      onWalk.add(cur);
      cur = parents.get(cur)?.parentId ?? null;
    }
    if (cur !== null && onWalk.has(cur)) return walk.slice(walk.indexOf(cur));
    for (const id of walk) done.add(id);
  }
  return null;
}

/** The whole derivation: topology parents, then pins. */
export function deriveGraph(input: { devices: GraphDevice[]; links: GraphLink[]; pins: GraphPins; gateway: string | null }): DerivedGraph {
  const marked = new Set<number>();
  for (const [id, p] of input.pins.devices) if (p.isRoot) marked.add(id);
  const { parents: topo, chosenRoots } = topologyParents(input.devices, input.links, marked, input.gateway);
  return { parents: effectiveParents(input.devices, topo, input.pins, input.links), topologyParents: topo, chosenRoots };
}
