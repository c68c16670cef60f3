import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startNetwatch, type NetwatchNode } from '../../../server/app.js';
import type { CollectorHeartbeat } from '../../../server/contracts/collectors.js';
import type { StoredEvent } from '../../../server/contracts/events.js';
import { loadConfig } from '../../../server/config/load-config.js';
import { createLogger } from '../../../server/log/logger.js';
import { freeTcpPort, startNatsServer, type NatsServerHandle } from '../../helpers/nats-server.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { apiClient, eventsOfType, login, startTestServer } from '../../helpers/server.js';
import { run } from '../collectors/collector-helpers.js';

/**
 * One central and one collector, each its own process, with a real nats-server between them;
 * real `logger`, `snmptrap` and `snmpinform` send to the collector, the central's API shows what arrived.
 */
const PASSWORD = 'admin-password-central';
const until = <T>(check: () => T | Promise<T>, timeout = 60_000) => vi.waitFor(check, { timeout, interval: 250 });

let nats: NatsServerHandle;
let central: ServerProcess;
let collector: ServerProcess;
let centralDir: string;
let collectorDir: string;
let persist: string;
let syslogPort: number;
let trapPort: number;

// The built server, as `npm start` runs it (--disable-proto=throw): hostile `__proto__` keys meet the real guard.
async function startCentral(): Promise<ServerProcess> {
  return startServerProcess(centralDir, { NMS_ROLE: 'central', NMS_NATS_URL: nats.url, NMS_ADMIN_PASSWORD: PASSWORD }, 60_000, 'dist');
}

async function api() {
  return apiClient(central.url, (await login(central.url, 'admin', PASSWORD)).token);
}

/** `count` syslog messages with `tag` through real `logger`, 500 at a time, ~2,000/s so the kernel keeps them all. */
async function sendSyslog(tag: string, count: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nw-lines-'));
  try {
    for (let start = 0; start < count; start += 500) {
      const file = join(dir, 'lines');
      const lines: string[] = [];
      for (let i = start; i < Math.min(count, start + 500); i++) lines.push(`${tag} message ${String(i).padStart(5, '0')}`);
      writeFileSync(file, lines.join('\n') + '\n');
      const r = await run('logger', ['-n', '127.0.0.1', '-P', String(syslogPort), '--udp', '--rfc3164', '-p', 'local7.notice', '-t', tag, '-f', file]);
      if (r.code !== 0) throw new Error(`logger failed: ${r.stderr}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function expectAllOnce(tag: string, count: number): Promise<void> {
  const call = await api();
  const events = await until(async () => {
    const got = await eventsOfType(call, tag);
    expect(got.length).toBeGreaterThanOrEqual(count);
    return got;
  }, 120_000);
  const messages = new Set(events.map((e) => e.message));
  expect(messages.size).toBe(count);
  expect(events).toHaveLength(count);
  expect(events.every((e) => e.sourceAddress === '127.0.0.1' && e.source === 'syslog')).toBe(true);
}

beforeAll(async () => {
  nats = await startNatsServer();
  centralDir = mkdtempSync(join(tmpdir(), 'nw-central-'));
  collectorDir = mkdtempSync(join(tmpdir(), 'nw-collector-'));
  persist = mkdtempSync(join(tmpdir(), 'nw-snmp-'));
  central = await startCentral();
  collector = await startServerProcess(collectorDir, { NMS_ROLE: 'collector', NMS_NATS_URL: nats.url, NMS_SITE: 'branch-1', NMS_TRAP_COMMUNITIES: 'public' }, 60_000, 'dist');
  const health = (await (await fetch(`${collector.url}/api/v1/health`)).json()) as { ports: { syslog: number; trap: number } };
  syslogPort = health.ports.syslog;
  trapPort = health.ports.trap;
}, 120_000);

afterAll(async () => {
  await collector?.kill();
  await central?.kill();
  await nats?.stop();
  for (const d of [centralDir, collectorDir, persist]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('central and collector over NATS JetStream', () => {
  it('answers only health at the collector, which has no console, and keeps its id and engine ID in its dataDir (0600)', async () => {
    const res = await fetch(`${collector.url}/api/v1/health`);
    expect(res.status).toBe(200);
    expect((await fetch(`${collector.url}/api/v1/events`)).status).toBe(404);
    for (const f of ['collector-id', 'snmp-engine-id']) expect(statSync(join(collectorDir, f)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(collectorDir, 'collector-id'), 'utf8').trim()).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("registers the collector at the central from its heartbeats: Settings -> Collectors lists it, up, with its site and id", async () => {
    const call = await api();
    const id = readFileSync(join(collectorDir, 'collector-id'), 'utf8').trim();
    const c = await until(async () => {
      const r = await call('GET', '/collectors');
      expect(r.status).toBe(200);
      const found = (r.body as { id: string; site: string; state: string; version: string }[]).find((x) => x.id === id);
      expect(found).toBeDefined();
      return found!;
    }, 30_000);
    expect(c).toMatchObject({ id, site: 'branch-1', state: 'up' });
    expect((await call('GET', '/sites')).body.sites).toContain('branch-1');
  });

  it("shows a syslog line and a trap sent to the collector in the central's events, and the collector answers an INFORM", async () => {
    const log = await run('logger', ['-n', '127.0.0.1', '-P', String(syslogPort), '--udp', '--rfc3164', '-p', 'local7.err', '-t', 'edge-sw1', 'Interface Gi0/1 changed state to down']);
    expect(log.code).toBe(0);
    const snmp = (cmd: string, args: string[]) => run(cmd, args, 30_000, { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist });
    const trap = await snmp('snmptrap', ['-v', '2c', '-c', 'public', `127.0.0.1:${trapPort}`, '', '1.3.6.1.4.1.99.0.71', '1.3.6.1.4.1.99.71.1', 's', 'trap via collector']);
    expect(trap.code).toBe(0);
    // snmpinform exits 0 only when the Response came: the collector answers once the event is in JetStream or its spool.
    const inform = await snmp('snmpinform', ['-v', '2c', '-c', 'public', '-t', '5', '-r', '2', `127.0.0.1:${trapPort}`, '', '1.3.6.1.4.1.99.0.72', '1.3.6.1.4.1.99.72.1', 's', 'inform via collector']);
    expect(inform.code, inform.stderr).toBe(0);

    const call = await api();
    const syslog = await until(async () => {
      const [e] = await eventsOfType(call, 'edge-sw1');
      expect(e).toBeDefined();
      return e!;
    });
    expect(syslog).toMatchObject({ source: 'syslog', sourceAddress: '127.0.0.1', severity: 'major', deviceId: null });
    expect(syslog.message).toContain('Interface Gi0/1 changed state to down');
    const [t] = await until(async () => {
      const got = await eventsOfType(call, '1.3.6.1.4.1.99.0.71');
      expect(got).toHaveLength(1);
      return got;
    });
    expect(t).toMatchObject({ source: 'trap', sourceAddress: '127.0.0.1' });
    expect(await until(async () => (await eventsOfType(call, '1.3.6.1.4.1.99.0.72')).length === 1 || undefined)).toBe(true);
  }, 120_000);

  it('stores 10,000 syslog messages sent while the central was down, each once, when it is back', async () => {
    expect(await central.stop()).toBe(0);
    await sendSyslog('centre-down', 10_000);
    central = await startCentral();
    await expectAllOnce('centre-down', 10_000);
  }, 300_000);

  it('stores 10,000 syslog messages sent while NATS was down, each once, after it is back (the collector spooled them)', async () => {
    await nats.stop({ keepStore: true });
    await sendSyslog('nats-down', 10_000);
    // The collector kept them on disk.
    await until(() => expect(readdirSync(join(collectorDir, 'spool')).reduce((n, f) => n + statSync(join(collectorDir, 'spool', f)).size, 0)).toBeGreaterThan(10_000 * 20));
    nats = await startNatsServer({ port: nats.port, storeDir: nats.storeDir });
    await expectAllOnce('nats-down', 10_000);
  }, 300_000);

  it('counts a hostile batch published straight to the stream, keeps consuming, and stores the next good batch', async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const js = jetstream(nc);
      const send = (subject: string, body: string, id: string) => {
        const h = headers();
        h.set('Nats-Msg-Id', id);
        return js.publish(subject, new TextEncoder().encode(body), { headers: h });
      };
      const good = { receivedAt: Date.now(), reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.7', severity: 'info', type: 'after-hostile', message: 'the good one', params: { ok: 1 } };
      await send('netwatch.x.events', 'not json at all {', 'hostile-1');
      await send(
        'netwatch.x.events',
        `["garbage", 42, null, {"receivedAt":1,"reportedAt":null,"source":"syslog","sourceAddress":"192.0.2.9","severity":"info","type":"proto","message":"m","params":{"__proto__":{"polluted":true}}},` +
          `{"receivedAt":"yesterday","reportedAt":null,"source":"carrier-pigeon","sourceAddress":"not an ip","severity":"loud","type":7,"message":[],"params":[]},` +
          `${JSON.stringify({ ...good, type: 'hostile-kept', message: 'valid beside garbage', deviceId: 99999 })}]`,
        'hostile-2',
      );
      await send('netwatch.x.events', JSON.stringify([good]), 'good-1');
      const call = await api();
      const [e] = await until(async () => {
        const got = await eventsOfType(call, 'after-hostile');
        expect(got).toHaveLength(1);
        return got;
      });
      expect(e).toMatchObject({ message: 'the good one', sourceAddress: '192.0.2.7', deviceId: null });
      // The valid event of the hostile batch is kept; the centre resolves devices, whatever the sender said.
      expect((await eventsOfType(call, 'hostile-kept'))[0]).toMatchObject({ deviceId: null });
      expect(await eventsOfType(call, 'proto')).toHaveLength(0);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const status = await call('GET', '/status');
      expect(status.body.counters['transport.invalid_events']).toBe(5);
      expect(status.body.counters['nats_consumer.invalid']).toBeGreaterThanOrEqual(1);
      // Heartbeat subjects are core NATS only: no stream takes them (events are the stream's).
      const jsm = await jetstreamManager(nc);
      await expect(jsm.streams.find('netwatch.x.heartbeat')).rejects.toThrow(/no stream matches subject/);
      expect(await jsm.streams.find('netwatch.x.events')).toBe('NETWATCH');
    } finally {
      await nc.close();
    }
  }, 120_000);
});

describe('collector heartbeats', () => {
  it("reach the centre's heartbeat sink with the collector's id, site and counters", async () => {
    const own = await startNatsServer();
    const got: { h: CollectorHeartbeat; address: string | null }[] = [];
    const centre = await startTestServer({ env: { NMS_ROLE: 'central', NMS_NATS_URL: own.url }, start: { heartbeats: () => ({ heartbeat: (h, address) => got.push({ h: h as CollectorHeartbeat, address }) }) } });
    const dir = mkdtempSync(join(tmpdir(), 'nw-collector-hb-'));
    let node: NetwatchNode | undefined;
    try {
      const config = loadConfig([], { NMS_ROLE: 'collector', NMS_NATS_URL: own.url, NMS_SITE: 'branch-hb', NMS_DATA_DIR: dir, NMS_HTTP_PORT: '0', NMS_HTTP_HOST: '127.0.0.1', NMS_SYSLOG_PORT: '0', NMS_TRAP_PORT: '0', NMS_SYSLOG_TLS_PORT: '0', NMS_LOG_LEVEL: 'silent' });
      node = await startNetwatch(config, createLogger({ level: 'silent', format: 'json' }), { heartbeatIntervalMs: 200 });
      expect(node.role).toBe('collector');
      // The first one goes as soon as NATS is connected, before the listeners (and their counters) have started.
      const last = await until(() => {
        const hb = got.at(-1);
        expect(typeof hb?.h.counters['syslog.received']).toBe('number');
        return hb!;
      }, 30_000);
      expect(last.address).toBeNull();
      expect(last.h).toMatchObject({ id: readFileSync(join(dir, 'collector-id'), 'utf8').trim(), site: 'branch-hb', spoolRecords: 0, spoolBytes: 0 });
      expect(typeof last.h.counters['transport.heartbeats_sent']).toBe('number');
      expect(last.h.sentAt).toBeGreaterThanOrEqual(last.h.startedAt);

      // Garbage and oversized heartbeats are counted and never reach the sink.
      const nc = await connect({ servers: own.url });
      try {
        nc.publish('netwatch.evil.heartbeat', new TextEncoder().encode('{"id": not json'));
        nc.publish('netwatch.evil.heartbeat', new TextEncoder().encode(JSON.stringify({ pad: 'x'.repeat(70_000) })));
        await nc.flush();
      } finally {
        await nc.close();
      }
      await until(() => expect(centre.nms.metrics.snapshot()['transport.heartbeats_invalid']).toBe(2));
      expect(got.every((g) => g.h.site === 'branch-hb')).toBe(true);
    } finally {
      await node?.stop();
      await centre.stop();
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('an all node with NMS_NATS_URL', () => {
  it('stores its own syslog as before and also what collectors publish', async () => {
    const own = await startNatsServer();
    const srv = await startTestServer({ env: { NMS_NATS_URL: own.url } });
    const nc = await connect({ servers: own.url });
    try {
      const call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
      const port = srv.nms.listeners().find((l) => l.name === 'syslog-udp')!.boundPort!;
      expect((await run('logger', ['-n', '127.0.0.1', '-P', String(port), '--udp', '--rfc3164', '-t', 'local-app', 'received locally'])).code).toBe(0);
      const h = headers();
      h.set('Nats-Msg-Id', 'remote-1');
      const remote = { receivedAt: Date.now(), reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.44', severity: 'info', type: 'remote-app', message: 'received at a collector', params: {} };
      await jetstream(nc).publish('netwatch.branch-2.events', new TextEncoder().encode(JSON.stringify([remote])), { headers: h });
      await until(async () => expect(await eventsOfType(call, 'local-app')).toHaveLength(1));
      const [e] = await until(async () => {
        const got = await eventsOfType(call, 'remote-app');
        expect(got).toHaveLength(1);
        return got;
      });
      expect(e).toMatchObject({ sourceAddress: '192.0.2.44', message: 'received at a collector' });
    } finally {
      await nc.close();
      await srv.stop();
      await own.stop();
    }
  }, 120_000);
});

describe('start-up without NATS', () => {
  it('starts a collector and a central while NATS is unreachable: health and console answer, the collector spools', async () => {
    const port = await freeTcpPort();
    const dirs = [mkdtempSync(join(tmpdir(), 'nw-nonats-c-')), mkdtempSync(join(tmpdir(), 'nw-nonats-k-'))];
    const procs: ServerProcess[] = [];
    try {
      const url = `nats://127.0.0.1:${port}`;
      const coll = await startServerProcess(dirs[0]!, { NMS_ROLE: 'collector', NMS_NATS_URL: url, NMS_SITE: 'offline' }, 60_000, 'dist');
      procs.push(coll);
      const cent = await startServerProcess(dirs[1]!, { NMS_ROLE: 'central', NMS_NATS_URL: url, NMS_ADMIN_PASSWORD: PASSWORD }, 60_000, 'dist');
      procs.push(cent);
      expect((await fetch(`${cent.url}/api/v1/health`)).status).toBe(200);
      const health = (await (await fetch(`${coll.url}/api/v1/health`)).json()) as { ports: { syslog: number } };
      expect((await run('logger', ['-n', '127.0.0.1', '-P', String(health.ports.syslog), '--udp', '-t', 'offline', 'kept on disk'])).code).toBe(0);
      await until(() => expect(readdirSync(join(dirs[0]!, 'spool')).some((f) => f.endsWith('.seg') && statSync(join(dirs[0]!, 'spool', f)).size > 0)).toBe(true));
      expect(await coll.stop()).toBe(0);
      expect(await cent.stop()).toBe(0);
    } finally {
      for (const p of procs) await p.kill();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('INFORM at a collector', () => {
  it('is not answered while the spool is full and NATS away, and is answered once NATS takes the spool', async () => {
    const port = await freeTcpPort();
    const dir = mkdtempSync(join(tmpdir(), 'nw-full-'));
    const snmpDir = mkdtempSync(join(tmpdir(), 'nw-full-snmp-'));
    const lines = mkdtempSync(join(tmpdir(), 'nw-full-lines-'));
    let coll: ServerProcess | undefined;
    let own: NatsServerHandle | undefined;
    try {
      // No batch merging here (linger 0: what one turn received is one batch): the small lines must fill the spool's
      // last gaps in small records, or an INFORM's tiny batch would still fit beside a refused merged one.
      coll = await startServerProcess(dir, { NMS_ROLE: 'collector', NMS_NATS_URL: `nats://127.0.0.1:${port}`, NMS_SITE: 'full', NMS_SPOOL_MAX_BYTES: String(1 << 20), NMS_COLLECTOR_BATCH_LINGER_MS: '0' }, 60_000, 'dist');
      const health = (await (await fetch(`${coll.url}/api/v1/health`)).json()) as { ports: { syslog: number; trap: number } };
      const inform = (text: string) =>
        run('snmpinform', ['-v', '2c', '-c', 'public', '-t', '1', '-r', '1', `127.0.0.1:${health.ports.trap}`, '', '1.3.6.1.4.1.99.0.81', '1.3.6.1.4.1.99.81.1', 's', text], 30_000, { SNMP_PERSISTENT_DIR: snmpDir, SNMPCONFPATH: snmpDir });
      const spoolBytes = () => readdirSync(join(dir, 'spool')).filter((f) => f.endsWith('.seg')).reduce((n, f) => n + statSync(join(dir, 'spool', f)).size, 0);
      // Syslog into the 1 MiB spool, paced, until it is full: big lines first, then small ones fill the gaps.
      const file = join(lines, 'lines');
      let unanswered = false;
      for (let round = 0; round < 80 && !unanswered; round++) {
        const size = spoolBytes() < 900_000 ? 1000 : 100;
        writeFileSync(file, Array.from({ length: 200 }, (_, i) => `filler ${round}.${i} ${'y'.repeat(size)}`).join('\n') + '\n');
        expect((await run('logger', ['-n', '127.0.0.1', '-P', String(health.ports.syslog), '--udp', '--size', '2048', '-t', 'filler', '-f', file])).code).toBe(0);
        await new Promise((r) => setTimeout(r, 200));
        if (spoolBytes() > 900_000) unanswered = (await inform('while full')).code !== 0;
      }
      expect(unanswered).toBe(true);
      own = await startNatsServer({ port });
      await until(async () => expect((await inform('after NATS is back')).code).toBe(0), 90_000);
      expect(await coll.stop()).toBe(0);
    } finally {
      await coll?.kill();
      await own?.stop();
      for (const d of [dir, snmpDir, lines]) rmSync(d, { recursive: true, force: true });
    }
  }, 180_000);
});
