/**
 * Alarm storm behind one parent (issue 17): 5,000 devices behind one parent go down at once.
 * @timeout-minutes 25
 *
 * What is real: the whole Netwatch server (in this process: poller with the real fping pinger,
 * event store, rule engine, alarm service, root-cause analysis, notification queue) and a
 * webhook channel posting to a real HTTP receiver on 127.0.0.1. The 5,001 devices are
 * loopback addresses (127.50.0.1 = the parent, 127.51.x.y = its 5,000 children) inside a
 * network namespace this bench creates and runs itself in (`ip netns exec`), where loopback
 * answers every 127/8 address; the failure is one nftables rule set there that drops echo
 * requests to the parent and all children at the same instant (what an uplink failure
 * looks like from the poller). What is not: there is no LLDP here, so the dependency is
 * given the way an admin would for such a fleet (parent marked root, a parent pinned for the
 * children's group, `PUT /devices/:id/dependency`, `PUT /dependencies/groups/:group`).
 *
 * Two storms, each on a fresh server and database: `rca` (dependencies set: expected 1 cause +
 * 5,000 suppressed, 1 notification) and `plain` (no dependency known, the reference: every
 * device's alarm notifies, as before root-cause analysis). ICMP: 1 probe per cycle
 * (NMS_ICMP_PROBES=1), down after 1 failed cycle (NMS_ICMP_DOWN_AFTER=1), every 5 s.
 *
 * Figures (one JSON line each):
 *  - settle_ms: from the nftables drop to the settled alarm state (rca: 1 open unsuppressed
 *    alarm with 5,000 suppressed under it; plain: 5,001 open alarms), seen on the bus;
 *  - notifications: webhook POSTs received from the drop until 20 s after settling (target 1);
 *  - stall_p99_ms / stall_max_ms: main-thread event-loop delay (perf_hooks
 *    monitorEventLoopDelay, 5 ms resolution, as the server's own main-thread counters) from
 *    the drop to settling (target p99 < 50 ms), with the server's /status main-thread
 *    counters read at the end;
 *  - recover_ms: from removing the drop to no open alarm.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { AlarmDto } from '../../server/contracts/alarms.js';
import type { RootCauseAlarmFields } from '../../server/contracts/root-cause.js';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';

const CHILDREN = Number(process.env.STORM_CHILDREN ?? 5000);
const NS_ENV = 'NW_ALARM_STORM_NS';
const PARENT = '127.50.0.1';
const child = (i: number) => `127.51.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const TABLE = 'nwstorm';

// ---- outside: make the namespace, run this file inside it, delete it ----
if (!process.env[NS_ENV]) {
  const ns = `nwstorm${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url)], {
      stdio: 'inherit',
      env: { ...process.env, [NS_ENV]: ns },
    });
    process.exitCode = r.status ?? 1;
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
} else {
  await inside();
}

type Alarm = AlarmDto & Partial<RootCauseAlarmFields>;

function nft(script: string): void {
  execFileSync('nft', ['-f', '-'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
}

async function webhookReceiver(): Promise<{ server: Server; url: string; count: () => number; reset: () => void }> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') n++;
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, count: () => n, reset: () => (n = 0) };
}

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function storm(mode: 'rca' | 'plain'): Promise<void> {
  const hook = await webhookReceiver();
  let srv: TestServer | null = null;
  try {
    srv = await startTestServer({
      env: { NMS_POLLER: 'true', NMS_POLL_WORKERS: '0', NMS_ICMP_PROBES: '1', NMS_ICMP_DOWN_AFTER: '1', NMS_LOG_LEVEL: 'warn' },
    });
    const { token } = await login(srv.url, 'admin', srv.adminPassword);
    const call = apiClient(srv.url, token);
    const must = async (method: string, path: string, body?: unknown) => {
      let r: Awaited<ReturnType<typeof call>> | undefined;
      // One retry on a connection error (a loaded 2-core machine resets a connection now and then).
      for (let attempt = 0; !r; attempt++) {
        try {
          r = await call(method, path, body);
        } catch (err) {
          if (attempt > 0) throw new Error(`${method} ${path}: ${(err as Error).message} (${String((err as { cause?: unknown }).cause)})`);
          await new Promise((res) => setTimeout(res, 500));
        }
      }
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
      return r.body;
    };

    // Live alarm state from the bus (what the console's socket gets).
    const alarms = new Map<number, Alarm>();
    srv.nms.bus.subscribe('alarm.changed', (a) => {
      if (a.state === 'cleared' || a.archived) alarms.delete(a.id);
      else alarms.set(a.id, a as Alarm);
    });

    const channel = await must('POST', '/notification-channels', { name: 'storm-hook', type: 'webhook', config: { url: hook.url } });
    const rules = (await must('GET', '/rules')).items as { id: number; name: string; body: { actions: Record<string, unknown> } }[];
    const down = rules.find((r) => r.name === 'Device down (ICMP)');
    if (!down) throw new Error('no "Device down (ICMP)" rule');
    await must('PATCH', `/rules/${down.id}`, { body: { ...down.body, actions: { ...down.body.actions, notify: { channelIds: [channel.id], on: ['raise'] } } } });

    const snmp = { enabled: false, version: '2c', port: 161, community: 'public' };
    const parent = await must('POST', '/devices', { name: 'storm-parent', address: PARENT, group: 'storm-core', pollIntervalSec: 5, icmpEnabled: true, snmp });
    const t0Create = Date.now();
    for (let i = 0; i < CHILDREN; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, CHILDREN - i) }, (_, k) =>
          must('POST', '/devices', { name: `storm-${String(i + k).padStart(4, '0')}`, address: child(i + k), group: 'storm', pollIntervalSec: 5, icmpEnabled: true, snmp }),
        ),
      );
    }
    process.stderr.write(`# ${mode}: ${CHILDREN + 1} devices created in ${Date.now() - t0Create} ms\n`);
    if (mode === 'rca') {
      await must('PUT', `/devices/${parent.id}/dependency`, { pinnedParentId: null, isRoot: true });
      await must('PUT', `/dependencies/groups/storm`, { parentId: parent.id });
    }

    // Every device answers first (one full ICMP cycle without a failure).
    const status = async () => (await must('GET', '/device-status')).items as { deviceId: number; icmpState: string }[];
    const t0Up = Date.now();
    for (;;) {
      const s = await status();
      if (s.length >= CHILDREN + 1 && s.every((x) => x.icmpState === 'up')) break;
      if (Date.now() - t0Up > 180_000) throw new Error(`not all devices up after 180 s (${s.filter((x) => x.icmpState === 'up').length} up)`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    process.stderr.write(`# ${mode}: all up after ${Date.now() - t0Up} ms\n`);
    hook.reset();

    // The failure: parent and children stop answering at the same instant.
    const loop = monitorEventLoopDelay({ resolution: 5 });
    nft(`table ip ${TABLE} {
  chain out { type filter hook output priority 0; ip daddr { ${PARENT}, 127.51.0.0/16 } icmp type echo-request drop; }
}`);
    const tDrop = performance.now();
    loop.enable();
    // STORM_PROFILE=<file>: a CPU profile of the storm (drop to settled), for finding the stalls.
    const profiler = process.env.STORM_PROFILE ? new Session() : null;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const settled = () => {
      const open = [...alarms.values()].filter((a) => a.eventType === 'icmp.down');
      if (mode === 'plain') return open.length >= CHILDREN + 1;
      const top = open.filter((a) => !a.suppressed);
      const under = open.filter((a) => a.suppressed && top.length === 1 && a.rootAlarmId === top[0]!.id);
      return top.length === 1 && under.length === CHILDREN;
    };
    let settleError: string | null = null;
    try {
      await until('the settled alarm state', settled, 240_000);
    } catch (err) {
      settleError = (err as Error).message;
    }
    const settleMs = performance.now() - tDrop;
    loop.disable();
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(`${process.env.STORM_PROFILE}.${mode}.cpuprofile`, JSON.stringify(profile));
      profiler.disconnect();
    }
    const open = [...alarms.values()].filter((a) => a.eventType === 'icmp.down');
    const top = open.filter((a) => !a.suppressed);
    const counters = async () => ((await must('GET', '/status')) as { counters: Record<string, number> }).counters;
    const serverLoop = Object.fromEntries(Object.entries(await counters()).filter(([k]) => k.startsWith('main-thread.')));
    // Late notifications (a hold that lets children through, a retry) count too: at least 20 s, and
    // until the notification queue is empty (it delivers 4 at a time), at most 5 minutes.
    const tDrain = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      const pending = Object.entries(await counters()).find(([k]) => k.endsWith('.notifications_pending'))?.[1] ?? 0;
      if ((Date.now() - tDrain >= 20_000 && pending === 0) || Date.now() - tDrain > 300_000) break;
    }
    const notifications = hook.count();
    // The cause as the API answers it (the console's root view and its expand).
    let apiImpact: { rootAlarms: number; impactCount: number | null; impactDevices: number | null; suppressedAlarmIds: number | null } | null = null;
    if (mode === 'rca') {
      const roots = ((await must('GET', '/alarms?state=open&root=true&limit=1000')).items as Alarm[]).filter((a) => a.eventType === 'icmp.down');
      const imp = roots.length === 1 ? await must('GET', `/alarms/${roots[0]!.id}/impact`) : null;
      apiImpact = { rootAlarms: roots.length, impactCount: roots[0]?.impactCount ?? null, impactDevices: imp?.count ?? null, suppressedAlarmIds: imp?.suppressedAlarmIds?.length ?? null };
    }
    const notifyCounters = Object.fromEntries(Object.entries(await counters()).filter(([k]) => /notifications_|alarms_raised|suppress|rootcause|root_cause/i.test(k)));
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    console.log(
      JSON.stringify({
        bench: 'alarm-storm',
        mode,
        devices: CHILDREN + 1,
        settled: settleError === null,
        ...(settleError ? { error: settleError } : {}),
        settle_ms: Math.round(settleMs),
        open_alarms: open.length,
        unsuppressed: top.length,
        suppressed: open.length - top.length,
        impact_count_pushed: top.length === 1 ? (top[0]!.impactCount ?? null) : null,
        ...(apiImpact ? { api: apiImpact } : {}),
        load_avg_1m: Math.round(loadavg()[0]! * 10) / 10,
        notifications,
        target_notifications: mode === 'rca' ? 1 : CHILDREN + 1,
        stall_p99_ms: ms(loop.percentile(99)),
        stall_max_ms: ms(loop.max),
        target_stall_p99_ms: 50,
        server_main_thread: serverLoop,
        server_counters: notifyCounters,
      }),
    );

    // Recovery: the drop goes, every alarm clears.
    nft(`delete table ip ${TABLE}`);
    const tUp = performance.now();
    let recoverError: string | null = null;
    try {
      await until('all alarms cleared', () => [...alarms.values()].every((a) => a.eventType !== 'icmp.down'), 120_000);
    } catch (err) {
      recoverError = (err as Error).message;
    }
    console.log(JSON.stringify({ bench: 'alarm-storm', mode, figure: 'recovery', recover_ms: Math.round(performance.now() - tUp), cleared: recoverError === null, still_open: [...alarms.values()].filter((a) => a.eventType === 'icmp.down').length }));
  } finally {
    try {
      nft(`delete table ip ${TABLE}`);
    } catch {
      // already gone
    }
    await srv?.stop();
    hook.server.close();
  }
}

async function inside(): Promise<void> {
  const modes = (process.env.STORM_MODES ?? 'rca,plain').split(',') as ('rca' | 'plain')[];
  for (const m of modes) {
    try {
      await storm(m);
    } catch (err) {
      console.log(JSON.stringify({ bench: 'alarm-storm', mode: m, error: (err as Error).message }));
      process.exitCode = 1;
    }
  }
}
