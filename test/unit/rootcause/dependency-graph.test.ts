import { describe, expect, it } from 'vitest';
import { deriveGraph, effectiveParents, findCycle, topologyParents, type GraphDevice, type GraphLink, type GraphPins } from '../../../server/rootcause/dependency-graph.js';

const dev = (id: number, over: Partial<GraphDevice> = {}): GraphDevice => ({ id, address: `10.0.0.${id}`, group: null, site: 'default', ...over });
const link = (a: string, b: string, pa: string | null = null, pb: string | null = null): GraphLink => ({ source: a, target: b, sourcePort: pa, targetPort: pb });
const noPins = (): GraphPins => ({ devices: new Map(), groups: new Map() });
const parentsOf = (g: ReturnType<typeof deriveGraph>) => Object.fromEntries([...g.parents].map(([id, p]) => [id, p.parentId]));

describe('root-cause parents from the topology', () => {
  it('derives a chain root -> distribution -> access from links, with the parent\'s port toward each child', () => {
    const devices = [dev(1), dev(2), dev(3), dev(4)];
    const links = [link('d:1', 'd:2', 'ge1', 'ge0'), link('d:2', 'd:3', 'ge2', 'eth1'), link('d:4', 'd:2', 'eth1', 'ge3')];
    const g = deriveGraph({ devices, links, pins: { devices: new Map([[1, { pinnedParentId: null, isRoot: true }]]), groups: new Map() }, gateway: null });
    expect(parentsOf(g)).toEqual({ 1: null, 2: 1, 3: 2, 4: 2 });
    expect(g.parents.get(2)).toEqual({ parentId: 1, derivedFrom: 'topology', viaPort: 'ge1' });
    expect(g.parents.get(4)).toEqual({ parentId: 2, derivedFrom: 'topology', viaPort: 'ge3' });
    expect(g.parents.get(1)!.derivedFrom).toBe('root');
    expect(g.chosenRoots).toEqual([]);
  });

  it('walks through an unmanaged switch: the parent is the nearest managed device, its port the one leading there', () => {
    const devices = [dev(1), dev(2), dev(3)];
    const links = [link('d:1', 'u:dumb', 'ge7', null), link('d:2', 'u:dumb', 'p1', null), link('d:3', 'u:dumb', 'p1', null)];
    const g = deriveGraph({ devices, links, pins: noPins(), gateway: '10.0.0.1' });
    expect(parentsOf(g)).toEqual({ 1: null, 2: 1, 3: 1 });
    expect(g.parents.get(3)!.viaPort).toBe('ge7');
  });

  it('picks the default gateway as the root of a component without a marked one, else the lowest RTT, ties to the lowest id', () => {
    const devices = [dev(1, { rttMs: 3.2 }), dev(2, { rttMs: 0.4 }), dev(3, { rttMs: 0.9 })];
    const links = [link('d:1', 'd:2'), link('d:2', 'd:3')];
    expect(deriveGraph({ devices, links, pins: noPins(), gateway: '10.0.0.3' }).chosenRoots).toEqual([3]);
    // 0.4 and 0.9 ms are the same whole millisecond: the lower id wins.
    const byRtt = deriveGraph({ devices, links, pins: noPins(), gateway: '192.0.2.1' });
    expect(byRtt.chosenRoots).toEqual([2]);
    expect(parentsOf(byRtt)).toEqual({ 1: 2, 2: null, 3: 2 });
  });

  it('keeps each site its own forest: a link to another site is not followed', () => {
    const devices = [dev(1), dev(2), dev(3, { site: 'branch' }), dev(4, { site: 'branch' })];
    const links = [link('d:1', 'd:2'), link('d:2', 'd:3'), link('d:3', 'd:4')];
    const pins: GraphPins = { devices: new Map([[1, { pinnedParentId: null, isRoot: true }]]), groups: new Map() };
    const g = deriveGraph({ devices, links, pins, gateway: null });
    expect(parentsOf(g)).toEqual({ 1: null, 2: 1, 3: null, 4: 3 });
    expect(g.chosenRoots).toEqual([3]);
  });

  it('lets a device pin win over its group\'s and the group\'s over the topology; a root keeps no parent', () => {
    const devices = [dev(1), dev(2), dev(3, { group: 'floor' }), dev(4, { group: 'floor' }), dev(5, { group: 'floor' })];
    const links = [link('d:1', 'd:2'), link('d:2', 'd:3', 'x3'), link('d:2', 'd:4'), link('d:2', 'd:5'), link('d:1', 'd:4', 'y4')];
    const topo = topologyParents(devices, links, new Set([1]), null).parents;
    const pins: GraphPins = {
      devices: new Map([
        [3, { pinnedParentId: 2, isRoot: false }],
        [5, { pinnedParentId: null, isRoot: true }],
      ]),
      groups: new Map([['floor', 1]]),
    };
    const p = effectiveParents(devices, topo, pins, links);
    expect(p.get(3)).toEqual({ parentId: 2, derivedFrom: 'pinned', viaPort: 'x3' });
    expect(p.get(4)).toEqual({ parentId: 1, derivedFrom: 'group', viaPort: 'y4' });
    expect(p.get(5)).toEqual({ parentId: null, derivedFrom: 'root', viaPort: null });
  });

  it('cuts a cycle that a pin against the topology makes at the topology-derived member', () => {
    const devices = [dev(1), dev(2), dev(3)];
    const links = [link('d:1', 'd:2'), link('d:2', 'd:3')];
    // 2 pinned under 3 while the topology has 3 under 2.
    const pins: GraphPins = { devices: new Map([[2, { pinnedParentId: 3, isRoot: false }]]), groups: new Map() };
    const g = deriveGraph({ devices, links, pins: { ...pins, devices: new Map([...pins.devices, [1, { pinnedParentId: null, isRoot: true }]]) }, gateway: null });
    expect(g.parents.get(2)).toMatchObject({ parentId: 3, derivedFrom: 'pinned' });
    expect(g.parents.get(3)).toMatchObject({ parentId: null, derivedFrom: 'none' });
    expect(findCycle(g.parents)).toBeNull();
  });

  it('finds a cycle of parent pointers', () => {
    expect(findCycle(new Map([[1, { parentId: 2 }], [2, { parentId: 3 }], [3, { parentId: 1 }], [4, { parentId: null }]]))?.sort()).toEqual([1, 2, 3]);
    expect(findCycle(new Map([[1, { parentId: null }], [2, { parentId: 1 }]]))).toBeNull();
  });

  it('derives 5,000 devices behind one parent (the storm\'s shape)', () => {
    const devices = [dev(1), dev(2), ...Array.from({ length: 5000 }, (_, i) => dev(10 + i))];
    const links = [link('d:1', 'd:2'), ...devices.slice(2).map((d, i) => link('d:2', `d:${d.id}`, `p${i}`))];
    const g = deriveGraph({ devices, links, pins: { devices: new Map([[1, { pinnedParentId: null, isRoot: true }]]), groups: new Map() }, gateway: null });
    expect([...g.parents.values()].filter((p) => p.parentId === 2)).toHaveLength(5000);
  });
});
