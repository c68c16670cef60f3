import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmDto } from '../../../server/contracts/alarms.js';
import type { DeviceStatusDto } from '../../../server/contracts/poll-state.js';
import { startLldpAgent, type LldpAgent } from '../../helpers/lldp-agent.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { until } from './engine-helpers.js';

// A chain root -> distribution -> 10 access switches: net-snmp agents on 127.0.61.x whose LLDP
// tables point at each other (so the parents are derived, not entered), pinged through a network
// namespace this test creates (fping runs under `ip netns exec`, NMS_ICMP_WRAPPER). The test drops
// the distribution switch's and its children's addresses there with nftables (they are "behind" it).
const ns = `nwrc${process.pid}`;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
const nft = (...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { stdio: 'pipe' });
const snmpPort = 20_000 + (process.pid % 20_000);
const ROOT = '127.0.61.1';
const DIST = '127.0.61.2';
const ACCESS = Array.from({ length: 10 }, (_, i) => `127.0.61.${10 + i}`);
/** Access switches are pinged every 30 s, the root and distribution every 5 s. */
const ACCESS_INTERVAL_MS = 30_000;

let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let hook: Server;
const received: { body: any; at: number }[] = [];
const agents: LldpAgent[] = [];
const ids = { root: 0, dist: 0, access: [] as number[] };
/** What the realtime layer pushes to consoles (it relays these bus topics as they are). */
const pushed = { status: [] as DeviceStatusDto[], alarms: [] as AlarmDto[] };

const snmp = { enabled: true, version: '2c', port: snmpPort, community: 'public', timeoutMs: 2000, retries: 1 };

beforeAll(async () => {
  ip('netns', 'add', ns);
  ip('-n', ns, 'link', 'set', 'lo', 'up');

  const root = await startLldpAgent(ROOT, snmpPort, 'rc-root', 2);
  const dist = await startLldpAgent(DIST, snmpPort, 'rc-dist', 11);
  root.setNeighbours([{ localPort: 1, remoteSysName: 'rc-dist', remotePort: 'eth1' }]);
  dist.setNeighbours([
    { localPort: 1, remoteSysName: 'rc-root', remotePort: 'eth1' },
    ...ACCESS.map((_, i) => ({ localPort: i + 2, remoteSysName: `rc-acc${i}`, remotePort: 'eth1' })),
  ]);
  agents.push(root, dist);
  for (const [i, a] of ACCESS.entries()) {
    const ag = await startLldpAgent(a, snmpPort, `rc-acc${i}`, 2);
    ag.setNeighbours([{ localPort: 1, remoteSysName: 'rc-dist', remotePort: `eth${i + 2}` }]);
    agents.push(ag);
  }

  hook = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      received.push({ body: JSON.parse(raw || 'null'), at: Date.now() });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));

  srv = await startTestServer({
    env: {
      NMS_POLLER: 'true',
      NMS_ICMP_WRAPPER: `ip netns exec ${ns}`,
      NMS_ICMP_PROBES: '1',
      NMS_ICMP_DOWN_AFTER: '1',
      NMS_ROOT_CAUSE_HOLD_SECONDS: '5',
    },
  });
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  srv.nms.bus.subscribe('device.status', (st) => pushed.status.push({ ...st }));
  srv.nms.bus.subscribe('alarm.changed', (a) => pushed.alarms.push(a));

  // Every nodeDown raise goes to the webhook (clears do not: one message per outage is what we count).
  const ch = (await call('POST', '/notification-channels', { name: 'noc', type: 'webhook', config: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` } })).body;
  const rules = (await call('GET', '/rules')).body.items as { id: number; key?: string; name: string; body: any }[];
  const down = rules.find((r) => r.name === 'Device down (ICMP)')!;
  const patched = await call('PATCH', `/rules/${down.id}`, { body: { ...down.body, actions: { ...down.body.actions, notify: { channelIds: [ch.id], on: ['raise'] } } } });
  expect(patched.status).toBe(200);

  const add = async (name: string, address: string, pollIntervalSec: number) => {
    const r = await call('POST', '/devices', { name, address, pollIntervalSec, snmp });
    expect(r.status).toBe(201);
    return r.body.id as number;
  };
  ids.root = await add('rc-root', ROOT, 5);
  ids.dist = await add('rc-dist', DIST, 5);
  for (const [i, a] of ACCESS.entries()) ids.access.push(await add(`rc-acc${i}`, a, ACCESS_INTERVAL_MS / 1000));
  // The admin marks the first hop; everything below it is derived from LLDP.
  expect((await call('PUT', `/devices/${ids.root}/dependency`, { pinnedParentId: null, isRoot: true })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await srv?.stop();
  await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()));
  for (const a of agents) await a.close();
  try {
    ip('netns', 'del', ns);
  } catch {
    // already gone
  }
});

const openAlarms = async (): Promise<AlarmDto[]> => (await call('GET', '/alarms?limit=1000')).body.items;
const nodeDown = (list: AlarmDto[], id: number) => list.find((a) => a.reductionKey === `nodeDown:${id}`);
const statusOf = async (id: number): Promise<DeviceStatusDto> => (await call('GET', `/devices/${id}/status`)).body.status;

describe('root cause: a chain root -> distribution -> 10 access switches', { timeout: 240_000 }, () => {
  it('derives the parents from the LLDP tables the switches report', async () => {
    await until(async () => {
      const deps = await Promise.all(ids.access.map(async (id) => (await call('GET', `/devices/${id}/dependency`)).body));
      return deps.every((d) => d.parentId === ids.dist && d.derivedFrom === 'topology') || undefined;
    }, 60_000);
    const acc = (await call('GET', `/devices/${ids.access[3]}/dependency`)).body;
    expect(acc).toMatchObject({ parentId: ids.dist, derivedFrom: 'topology', path: [ids.root, ids.dist, ids.access[3]], viaPort: 'eth5', isRoot: false, pinnedParentId: null });
    expect((await call('GET', `/devices/${ids.dist}/dependency`)).body).toMatchObject({ parentId: ids.root, derivedFrom: 'topology', viaPort: 'eth1' });
    expect((await call('GET', `/devices/${ids.root}/dependency`)).body).toMatchObject({ parentId: null, derivedFrom: 'root', isRoot: true, path: [ids.root] });
    // Everything answers before the outage.
    await until(async () => {
      const all = await Promise.all([ids.root, ids.dist, ...ids.access].map(statusOf));
      return all.every((s) => s?.icmpState === 'up') || undefined;
    }, 60_000);
  });

  it('raises one root-cause alarm, 10 suppressed under it and sends exactly one notification', async () => {
    nft('add', 'table', 'inet', 'rc');
    nft('add', 'chain', 'inet', 'rc', 'input', '{ type filter hook input priority 0 ; }');
    nft('add', 'rule', 'inet', 'rc', 'input', 'ip', 'daddr', `{ ${[DIST, ...ACCESS].join(', ')} }`, 'drop');

    const settled = await until(async () => {
      const list = await openAlarms();
      const cause = nodeDown(list, ids.dist);
      if (!cause || cause.impactCount !== 10) return undefined;
      const children = ids.access.map((id) => nodeDown(list, id));
      if (!children.every((a) => a?.suppressed && a.rootAlarmId === cause.id)) return undefined;
      return { cause, children: children as AlarmDto[] };
    }, 90_000);
    expect(settled.cause).toMatchObject({ suppressed: false, rootAlarmId: null, impactCount: 10, deviceId: ids.dist });
    expect(nodeDown(await openAlarms(), ids.root)).toBeUndefined();

    // Statuses say why: unreachable behind the distribution switch.
    const st = await statusOf(ids.access[0]!);
    expect(st).toMatchObject({ icmpState: 'down', reachability: 'unreachable', causeDeviceId: ids.dist });
    expect(await statusOf(ids.dist)).toMatchObject({ reachability: 'down', causeDeviceId: null });

    // Pushed live: statuses with their reachability, the cause's alarm with its count.
    await until(async () => pushed.status.some((p) => p.deviceId === ids.access[5] && p.reachability === 'unreachable' && p.causeDeviceId === ids.dist) || undefined, 10_000);
    await until(async () => pushed.alarms.some((a) => a.id === settled.cause.id && a.impactCount === 10) || undefined, 10_000);
    // A child's suppression is pushed in its own flush, which may reach this socket after the cause's count.
    await until(async () => pushed.alarms.some((a) => a.id === settled.children[0]!.id && a.suppressed && a.rootAlarmId === settled.cause.id) || undefined, 10_000);

    // ?root=true: the cause, not the suppressed ones.
    const roots = (await call('GET', '/alarms?root=true&limit=1000')).body.items as AlarmDto[];
    expect(roots.map((a) => a.id)).toContain(settled.cause.id);
    for (const c of settled.children) expect(roots.map((a) => a.id)).not.toContain(c.id);

    const impact = (await call('GET', `/alarms/${settled.cause.id}/impact`)).body;
    expect(impact.count).toBe(10);
    expect(impact.devices.map((d: { id: number }) => d.id)).toEqual([...ids.access].sort((a, b) => a - b));
    expect(impact.devices.every((d: { reachability: string }) => d.reachability === 'unreachable')).toBe(true);
    // The children's nodeDown alarms (and, on a loaded machine, an SNMP timeout's snmpUnreachable of an access switch).
    expect(impact.suppressedAlarmIds).toEqual(expect.arrayContaining(settled.children.map((c) => c.id)));
    const under = (await openAlarms()).filter((a) => a.rootAlarmId === settled.cause.id);
    expect(under.every((a) => a.suppressed && ids.access.includes(a.deviceId!))).toBe(true);

    // The topology map shows the cause and the unreachable devices.
    const topo = (await call('GET', '/topology')).body;
    const node = (id: number) => topo.nodes.find((n: { deviceId: number }) => n.deviceId === id);
    expect(node(ids.dist)).toMatchObject({ reachability: 'down', rootCause: true });
    expect(node(ids.access[0]!)).toMatchObject({ reachability: 'unreachable', rootCause: false, suppressedAlarms: 1 });

    // Exactly one notification: the distribution switch's (past its hold, and no more after).
    await until(async () => received.length >= 1 || undefined, 20_000);
    await new Promise((r) => setTimeout(r, 6000));
    expect(received).toHaveLength(1);
    expect(received[0]!.body).toMatchObject({ kind: 'raise', alarm: { reductionKey: `nodeDown:${ids.dist}` } });
  });

  it('clears everything within one cycle once the distribution switch answers: its children are polled at once', async () => {
    const before = new Map<number, number>();
    for (const id of ids.access) before.set(id, (await statusOf(id)).rtt.at!);
    nft('delete', 'table', 'inet', 'rc');

    const cleared = await until(async () => {
      const list = (await call('GET', '/alarms?state=cleared&limit=1000')).body.items as AlarmDto[];
      const all = [ids.dist, ...ids.access].map((id) => list.find((a) => a.reductionKey === `nodeDown:${id}`));
      return all.every(Boolean) ? (all as AlarmDto[]) : undefined;
    }, 30_000);
    const distCleared = cleared[0]!.clearedAt!;
    for (const [i, id] of ids.access.entries()) {
      const a = cleared[i + 1]!;
      // Polled right after the cause recovered, not at their next 30 s cycle.
      expect(a.clearedAt! - distCleared).toBeLessThan(5000);
      expect(a.clearedAt!).toBeLessThan(before.get(id)! + ACCESS_INTERVAL_MS);
      expect(a.suppressed).toBe(true);
    }
    expect((await statusOf(ids.access[0]!)).reachability).toBe('up');
    // Recovery sent nothing more (clears are not routed here; the suppressed ones would be dropped anyway).
    expect(received).toHaveLength(1);
  });

  it('links a linkDown on the distribution port toward a subtree to that subtree\'s outage', async () => {
    // rc-acc3 hangs off the distribution switch's eth5 (ifIndex 5): the port goes down, then rc-acc3 stops answering.
    agents[1]!.setOper(5, 2);
    const link = await until(async () => (await openAlarms()).find((a) => a.reductionKey === `linkDown:${ids.dist}:5`), 30_000);
    nft('add', 'table', 'inet', 'rc');
    nft('add', 'chain', 'inet', 'rc', 'input', '{ type filter hook input priority 0 ; }');
    nft('add', 'rule', 'inet', 'rc', 'input', 'ip', 'daddr', ACCESS[3]!, 'drop');
    const child = await until(async () => {
      const a = nodeDown(await openAlarms(), ids.access[3]!);
      return a?.suppressed && a.rootAlarmId === link.id ? a : undefined;
    }, 60_000);
    expect(child.deviceId).toBe(ids.access[3]);
    // The count is on the linkDown alarm (the port's subtree), not on an alarm of the distribution switch.
    await until(async () => (await openAlarms()).find((a) => a.id === link.id)?.impactCount === 1 || undefined, 10_000);
    expect(await statusOf(ids.access[3]!)).toMatchObject({ reachability: 'unreachable', causeDeviceId: ids.dist });
    const impact = (await call('GET', `/alarms/${link.id}/impact`)).body;
    expect(impact).toMatchObject({ alarmId: link.id, count: 1, devices: [{ id: ids.access[3], reachability: 'unreachable' }] });
    expect(impact.suppressedAlarmIds).toContain(child.id);
    // The distribution switch itself answers: it is no cause by its own state, and nothing more was sent.
    expect(nodeDown(await openAlarms(), ids.dist)).toBeUndefined();
    expect(received).toHaveLength(1);
    nft('delete', 'table', 'inet', 'rc');
    agents[1]!.setOper(5, 1);
  });
});
