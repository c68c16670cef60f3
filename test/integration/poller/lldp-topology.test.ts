import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TopologyDto } from '../../../server/contracts/topology.js';
import { freeUdpPort } from '../../helpers/snmpd.js';
import { startLldpAgent, type LldpAgent } from '../../helpers/lldp-agent.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

// A ring of 4 switches (r1..r4) and a star (hub + 3 leaves), all simulated
// agents whose LLDP tables describe the cabling; the topology API must return
// exactly those links, and forget one when its neighbour entry disappears.
let srv: TestServer;
let call: ReturnType<typeof apiClient>;
const agents: LldpAgent[] = [];
const ids = new Map<string, number>();

const pairs = (t: TopologyDto) =>
  t.links
    .map((l) => [l.source, l.target].map((n) => t.nodes.find((x) => x.id === n)!.label).sort().join('-'))
    .sort();

async function pollAll(): Promise<void> {
  for (const id of ids.values()) {
    const r = await call('POST', `/devices/${id}/poll`);
    expect(r.body.status.snmpState, `poll of device ${id}`).toBe('up');
  }
}

beforeAll(async () => {
  const port = await freeUdpPort();
  const ring = ['r1', 'r2', 'r3', 'r4'];
  const star = ['hub', 'leaf1', 'leaf2', 'leaf3'];
  const all = [...ring, ...star];
  for (let i = 0; i < all.length; i++) agents.push(await startLldpAgent(`127.88.0.${i + 1}`, port, all[i]!, 4));
  const agent = (n: string) => agents[all.indexOf(n)]!;
  // Ring: rN eth1 -> r(N+1) eth2.
  ring.forEach((name, i) => {
    const next = ring[(i + 1) % 4]!;
    const prev = ring[(i + 3) % 4]!;
    agent(name).setNeighbours([
      { localPort: 1, remoteSysName: next, remotePort: 'eth2' },
      { localPort: 2, remoteSysName: prev, remotePort: 'eth1' },
    ]);
  });
  // Star: hub ethN -> leafN eth1; leaves report the hub too; leaf3 also sees an unmanaged phone.
  agent('hub').setNeighbours([1, 2, 3].map((n) => ({ localPort: n, remoteSysName: `leaf${n}`, remotePort: 'eth1' })));
  for (const n of [1, 2, 3]) agent(`leaf${n}`).setNeighbours([{ localPort: 1, remoteSysName: 'hub', remotePort: `eth${n}` }]);
  agent('leaf3').setNeighbours([
    { localPort: 1, remoteSysName: 'hub', remotePort: 'eth3' },
    { localPort: 4, remoteSysName: 'ip-phone-17', remotePort: 'lan' },
  ]);

  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  for (const a of agents) {
    const d = await call('POST', '/devices', { name: a.sysName, address: a.address, icmpEnabled: false, snmp: { port, community: 'public', timeoutMs: 2000, retries: 1 } });
    expect(d.status).toBe(201);
    ids.set(a.sysName, d.body.id);
  }
  await pollAll();
}, 120_000);

afterAll(async () => {
  await srv?.stop();
  await Promise.all(agents.map((a) => a.close()));
});

describe('topology from LLDP', () => {
  it('returns exactly the ring and star links, plus the unmanaged phone', async () => {
    const t: TopologyDto = (await call('GET', '/topology')).body;
    expect(pairs(t)).toEqual(['hub-leaf1', 'hub-leaf2', 'hub-leaf3', 'ip-phone-17-leaf3', 'r1-r2', 'r1-r4', 'r2-r3', 'r3-r4']);
    const phone = t.nodes.find((n) => n.label === 'ip-phone-17')!;
    expect(phone.kind).toBe('unmanaged');
    const hubLeaf1 = t.links.find((l) => pairs({ nodes: t.nodes, links: [l] })[0] === 'hub-leaf1')!;
    expect(hubLeaf1).toMatchObject({ kind: 'lldp', status: 'up' });
    expect([hubLeaf1.sourcePort, hubLeaf1.targetPort].sort()).toEqual(['eth1', 'eth1']);
  });

  it('removes a link on the next poll once neither end reports it, and shows a port going down', async () => {
    const agent = (n: string) => agents.find((a) => a.sysName === n)!;
    agent('hub').setNeighbours([1, 2].map((n) => ({ localPort: n, remoteSysName: `leaf${n}`, remotePort: 'eth1' })));
    agent('leaf3').setNeighbours([{ localPort: 4, remoteSysName: 'ip-phone-17', remotePort: 'lan' }]);
    agent('r1').setOper(1, 2);
    await pollAll();
    const t: TopologyDto = (await call('GET', '/topology')).body;
    expect(pairs(t)).toEqual(['hub-leaf1', 'hub-leaf2', 'ip-phone-17-leaf3', 'r1-r2', 'r1-r4', 'r2-r3', 'r3-r4']);
    const r1r2 = t.links.find((l) => pairs({ nodes: t.nodes, links: [l] })[0] === 'r1-r2')!;
    expect(r1r2.status).toBe('down');
  });
});
