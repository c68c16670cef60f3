/**
 * Root cause (issue 17) at scale: a root, one distribution switch and 5,000 access devices behind it
 * (manual links), in the in-process server.
 * - Derivation of every device's parent (`rootcause.derive`, on a reader thread), side by side with the
 *   topology map's build over the same graph (`topology.build`, the reference: what the map already costs).
 * - A storm through the bus as the poller delivers it: the 5,000 access devices' statuses go down first,
 *   then the distribution switch's (the expensive order: its subtree is judged again at once). Figures:
 *   time until every access device reads `unreachable` on the API, and the event loop's delay (p99, max)
 *   meanwhile; reference: the same 5,001 status pushes over devices with no links (nothing to judge).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { DeviceStatusDto } from '../../server/contracts/poll-state.js';
import { DeviceRepository } from '../../server/store/device.repository.js';
import { PollStateRepository } from '../../server/store/poll-state.repository.js';
import { TopologyRepository } from '../../server/store/topology.repository.js';
import { apiClient, login, startTestServer } from '../helpers/server.js';

const N = Number(process.env.ROOTCAUSE_BENCH_DEVICES ?? 5000);
const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'rootcause', devices: N, ...o })}\n`);

async function scenario(linked: boolean) {
  const srv = await startTestServer();
  const call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  const devices = new DeviceRepository(srv.nms.db, srv.nms.secrets);
  const topo = new TopologyRepository(srv.nms.db);
  const snmp = { enabled: false, version: '2c' as const, port: 161, community: 'public', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 1000, retries: 0 };
  const mk = (name: string, address: string) => devices.create({ name, address, group: null, location: null, tags: [], pollIntervalSec: 60, icmpEnabled: true, snmp }).id;
  let root = 0;
  let dist = 0;
  const access: number[] = [];
  srv.nms.db.transaction(() => {
    root = mk('bench-root', '127.91.0.1');
    dist = mk('bench-dist', '127.91.0.2');
    if (linked) topo.addManualLink({ aDeviceId: root, aPort: 'up', bDeviceId: dist, bPort: null });
    for (let i = 0; i < N; i++) {
      const id = mk(`bench-acc-${i}`, `127.92.${i >> 8}.${i & 255}`);
      access.push(id);
      if (linked) topo.addManualLink({ aDeviceId: dist, aPort: `p${i}`, bDeviceId: id, bPort: null });
    }
  })();
  await call('PUT', `/devices/${root}/dependency`, { pinnedParentId: null, isRoot: true });

  const reads = srv.nms.reads;
  const list = devices.list();
  const t = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  if (linked) {
    const derive = [] as number[];
    const build = [] as number[];
    for (let i = 0; i < 3; i++) {
      derive.push(await t(() => reads.run('rootcause.derive', { devices: list.map(({ id, name, address, group, location, site }) => ({ id, name, address, group, location, site })), gateway: null })));
      build.push(await t(() => reads.run('topology.build', { devices: list.map(({ id, name, address, group, location }) => ({ id, name, address, group, location })) })));
    }
    emit({ figure: 'derive_ms_median', value: Math.round(derive.sort((a, b) => a - b)[1]!), reference: 'topology.build', reference_value: Math.round(build.sort((a, b) => a - b)[1]!), threads: 'reader' });
  }

  // Up first (as after a first cycle), then the storm.
  const pollState = new PollStateRepository(srv.nms.db);
  const now = Date.now();
  const all = [root, dist, ...access];
  pollState.recordIcmp(all.map((id) => ({ deviceId: id, update: { icmpState: 'up', at: now, min: 0.1, avg: 0.1, max: 0.1, jitter: 0, lossPct: 0 } })));
  for (const id of all) srv.nms.bus.publish('device.status', pollState.status(id) as DeviceStatusDto);
  await new Promise((r) => setTimeout(r, 1500));

  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const t0 = performance.now();
  const down = (ids: number[]) => {
    pollState.recordIcmp(ids.map((id) => ({ deviceId: id, update: { icmpState: 'down', at: Date.now(), min: null, avg: null, max: null, jitter: null, lossPct: 100 } })));
    for (const id of ids) srv.nms.bus.publish('device.status', pollState.status(id) as DeviceStatusDto);
  };
  down(access);
  down([dist]);
  const sample = access.filter((_, i) => i % Math.max(1, Math.floor(N / 20)) === 0);
  for (;;) {
    const st = await Promise.all(sample.map(async (id) => (await call('GET', `/devices/${id}/status`)).body.status?.reachability));
    if (st.every((r) => r === (linked ? 'unreachable' : 'down'))) break;
    if (performance.now() - t0 > 60_000) throw new Error('did not settle in 60 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  const settled = performance.now() - t0;
  h.disable();
  await srv.stop();
  return { settledMs: Math.round(settled), p99: Math.round(h.percentile(99) / 1e6), max: Math.round(h.max / 1e6) };
}

const tree = await scenario(true);
const flat = await scenario(false);
emit({ figure: 'storm_settled_ms', value: tree.settledMs, reference: 'same pushes, no links', reference_value: flat.settledMs });
emit({ figure: 'storm_loop_delay_p99_ms', value: tree.p99, reference_value: flat.p99 });
emit({ figure: 'storm_loop_delay_max_ms', value: tree.max, reference_value: flat.max });
