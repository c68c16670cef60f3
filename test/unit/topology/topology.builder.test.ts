import { describe, expect, it } from 'vitest';
import type { DeviceStatusDto, InterfaceDto, NeighbourDto } from '../../../server/contracts/poll-state.js';
import { buildTopology, type TopologyInput } from '../../../server/topology/topology.builder.js';

const dev = (id: number, name = `sw${id}`) => ({ id, name, address: `127.0.9.${id}`, group: null, location: null });
const nb = (deviceId: number, localPort: string, over: Partial<NeighbourDto>): NeighbourDto => ({
  deviceId, protocol: 'lldp', localPort, remoteChassis: '', remotePort: '', remotePortDesc: null, remoteSysName: null, remoteMgmtAddr: null, updatedAt: 0, ...over,
});
const status = (id: number, icmp: 'up' | 'down', sysName?: string): DeviceStatusDto => ({
  deviceId: id, icmpState: icmp, snmpState: 'unknown', lastPollAt: null, lastPollMs: null, lastError: null, lastErrorKind: null,
  rtt: { min: null, avg: null, max: null, jitter: null, lossPct: null, at: null },
  system: { sysName: sysName ?? null, sysDescr: null, sysObjectID: null, vendor: null, sysUpTimeCs: null, sysContact: null, sysLocation: null },
  updatedAt: 0,
});
const input = (over: Partial<TopologyInput>): TopologyInput => ({
  devices: [], status: new Map(), neighbours: [], interfaces: new Map(), manualLinks: [], positions: new Map(), ...over,
});

describe('topology builder', () => {
  it('builds a ring from LLDP reported at both ends: one link per cable', () => {
    const devices = [1, 2, 3, 4].map((i) => dev(i));
    const neighbours: NeighbourDto[] = [];
    for (const i of [1, 2, 3, 4]) {
      const next = (i % 4) + 1;
      neighbours.push(nb(i, 'eth1', { remoteSysName: `sw${next}.lab.example`, remotePort: 'eth2' }));
      neighbours.push(nb(next, 'eth2', { remoteMgmtAddr: `127.0.9.${i}`, remotePort: 'eth1' }));
    }
    const g = buildTopology(input({ devices, neighbours }));
    expect(g.nodes.filter((n) => n.kind === 'device')).toHaveLength(4);
    const pairs = g.links.map((l) => [l.source, l.target].sort().join('-')).sort();
    expect(pairs).toEqual(['d:1-d:2', 'd:1-d:4', 'd:2-d:3', 'd:3-d:4']);
  });

  it('builds a star and shows neighbours we do not manage as unmanaged nodes', () => {
    const devices = [dev(1, 'hub'), dev(2), dev(3)];
    const neighbours = [
      nb(1, 'p2', { remoteSysName: 'sw2', remotePort: 'up' }),
      nb(1, 'p3', { remoteChassis: '00:11:22:33:44:03', remotePort: 'up' }),
      nb(1, 'p9', { remoteSysName: 'printer-7', remoteChassis: 'aa:bb:cc:dd:ee:ff', remoteMgmtAddr: '127.0.8.7', remotePort: '1' }),
      nb(2, 'up', { remoteSysName: 'HUB', remotePort: 'p2' }),
    ];
    const ifaces = new Map<number, InterfaceDto[]>([[3, [{ mac: '00-11-22-33-44-03', name: 'up' } as InterfaceDto]]]);
    const g = buildTopology(input({ devices, neighbours, interfaces: ifaces }));
    const pairs = g.links.map((l) => [l.source, l.target].sort().join('-')).sort();
    expect(pairs).toEqual(['d:1-d:2', 'd:1-d:3', 'd:1-u:printer-7']);
    const printer = g.nodes.find((n) => n.id === 'u:printer-7')!;
    expect(printer).toMatchObject({ kind: 'unmanaged', label: 'printer-7', address: '127.0.8.7', seenAs: { chassisId: 'aa:bb:cc:dd:ee:ff' } });
  });

  it('colours nodes by reachability and links by the oper status of their ports', () => {
    const devices = [dev(1), dev(2)];
    const st = new Map([[1, status(1, 'up')], [2, status(2, 'down')]]);
    const ifaces = new Map<number, InterfaceDto[]>([
      [1, [{ name: 'eth1', operStatus: 2, inUtilPct: 12, outUtilPct: 40 } as InterfaceDto]],
    ]);
    const g = buildTopology(input({ devices, status: st, interfaces: ifaces, neighbours: [nb(1, 'eth1', { remoteSysName: 'sw2', remotePort: 'eth9' })] }));
    expect(g.nodes.map((n) => n.status)).toEqual(['up', 'down']);
    expect(g.links[0]).toMatchObject({ status: 'down', utilPct: 40 });
  });

  it('adds manual links and ignores a device reporting itself', () => {
    const g = buildTopology(
      input({
        devices: [dev(1), dev(2)],
        neighbours: [nb(1, 'lo', { remoteMgmtAddr: '127.0.9.1' })],
        manualLinks: [{ id: 5, aDeviceId: 1, aPort: null, bDeviceId: 2, bPort: null }],
        positions: new Map([['d:1', { x: 10, y: 20 }]]),
      }),
    );
    expect(g.links).toHaveLength(1);
    expect(g.links[0]).toMatchObject({ kind: 'manual', manualId: 5 });
    expect(g.nodes[0]!.position).toEqual({ x: 10, y: 20 });
  });

  it('turns a link red while a linkDown alarm is active on one of its ports, before a poll sees it', () => {
    const ifaces = new Map<number, InterfaceDto[]>([[1, [{ name: 'eth1', ifIndex: 3, operStatus: 1 } as InterfaceDto]]]);
    const base = { devices: [dev(1), dev(2)], interfaces: ifaces, neighbours: [nb(1, 'eth1', { remoteSysName: 'sw2', remotePort: 'eth2' })] };
    expect(buildTopology(input(base)).links[0]!.status).toBe('up');
    expect(buildTopology(input({ ...base, downPorts: new Map([[1, new Set(['3'])]]) })).links[0]!.status).toBe('down');
    expect(buildTopology(input({ ...base, downPorts: new Map([[2, new Set(['eth2'])]]) })).links[0]!.status).toBe('down');
  });
});
