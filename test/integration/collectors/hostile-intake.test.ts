import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../server/contracts/events.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { run } from './collector-helpers.js';

/**
 * Issue 13, "one syslog datagram takes over the server": names from the wire
 * (structured-data IDs and params, trap communities and varbind values) reach
 * the real server (test/helpers/server.ts runs it in this process, so
 * `({}).user` below is the server's Object.prototype) and must stay data.
 */
const PROTO = '<14>1 2026-12-06T00:00:00Z h app - - [__proto__ user="x" role="admin"] hi';
const CTOR = '<14>1 2026-12-06T00:00:00Z h app - - [constructor name="x"] hi';
const SECRET_COMMUNITY = 'Sekr1t-c0mmunity';

const inherited = () => {
  const o = {} as Record<string, unknown>;
  return { user: o.user, role: o.role, name: o.name };
};
const sdOf = (e: StoredEvent) => e.params.structuredData as Record<string, unknown>;
const ownSd = (e: StoredEvent, id: string) => Object.getOwnPropertyDescriptor(sdOf(e), id)?.value as Record<string, unknown> | undefined;

describe('hostile names through the real server (syslog and traps)', () => {
  let srv: TestServer;
  let call: ReturnType<typeof apiClient>;
  let anonymous: ReturnType<typeof apiClient>;
  let udpPort: number;
  let tcpPort: number;
  let trapTarget: string;
  let persist: string;
  const snmp = (cmd: string, args: string[]) => run(cmd, args, 20_000, { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist });

  async function waitForEvents(source: 'syslog' | 'trap', pred: (e: StoredEvent) => boolean, count: number, what: string, ms = 30_000): Promise<StoredEvent[]> {
    const t0 = Date.now();
    for (;;) {
      const r = await call('GET', `/events?source=${source}&limit=1000`);
      const hits = ((r.body?.items ?? []) as StoredEvent[]).filter(pred);
      if (hits.length >= count) return hits;
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${count} ${what}, have ${hits.length}: ${r.text.slice(0, 300)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  async function counter(component: string, name: string): Promise<number | undefined> {
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    const m = new RegExp(`^netwatch_component_counter\\{component="${component}",counter="${name}"\\} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  }

  /** What the attacker tried next in the issue: the server is up and still refuses anonymous requests. */
  async function expectServerStillGuarded(): Promise<void> {
    expect(inherited()).toEqual({ user: undefined, role: undefined, name: undefined });
    for (let i = 0; i < 3; i++) expect((await anonymous('GET', '/users')).status).toBe(401);
    expect((await anonymous('GET', '/health')).status).toBe(200);
  }

  beforeAll(async () => {
    persist = mkdtempSync(join(tmpdir(), 'nw-hostile-'));
    srv = await startTestServer({ env: { NMS_TRAP_COMMUNITIES: `public,__proto__,constructor,${SECRET_COMMUNITY}` } });
    call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
    anonymous = apiClient(srv.url);
    const listeners = srv.nms.listeners();
    udpPort = listeners.find((l) => l.name === 'syslog-udp')!.boundPort!;
    tcpPort = listeners.find((l) => l.name === 'syslog-tcp')!.boundPort!;
    trapTarget = `127.0.0.1:${listeners.find((l) => l.name === 'trap-udp')!.boundPort!}`;
    // A rule whose title and condition name the attack's keys: it must read the events' own data.
    const created = await call('POST', '/rules', {
      name: 'names from the wire',
      position: 1,
      body: {
        kind: 'event',
        match: { sources: ['syslog'], params: [{ path: 'structuredData.__proto__.role', op: 'eq', value: 'admin' }] },
        actions: { title: 'sd {params.structuredData.__proto__.user}/{params.structuredData.__proto__.role} [{constructor}] [{params.toString}] [{__proto__}]', continue: true },
      },
    });
    expect(created.status, created.text).toBe(201);
  }, 60_000);
  afterEach(async () => {
    if (srv) await expectServerStillGuarded();
  });
  afterAll(async () => {
    await srv?.stop();
    if (persist) rmSync(persist, { recursive: true, force: true });
  });

  it('stores the two datagrams as data among 20 good neighbours in one UDP burst', async () => {
    const tag = `udp-burst-${Date.now()}`;
    const good = Array.from({ length: 20 }, (_, i) => `<14>1 2026-12-06T00:00:00Z h app - - - ${tag} good ${i}`);
    const burst = [...good.slice(0, 10), PROTO, CTOR, ...good.slice(10)];
    const s = dgram.createSocket('udp4');
    await Promise.all(burst.map((m) => new Promise<void>((res, rej) => s.send(Buffer.from(m), udpPort, '127.0.0.1', (err) => (err ? rej(err) : res())))));
    s.close();

    const stored = await waitForEvents('syslog', (e) => e.message.startsWith(`${tag} good`), 20, 'good neighbours');
    expect(new Set(stored.map((e) => e.message)).size).toBe(20);
    const [proto] = await waitForEvents('syslog', (e) => e.params.transport === 'udp' && e.message === 'hi' && ownSd(e, '__proto__') !== undefined, 1, '__proto__ event');
    expect(ownSd(proto!, '__proto__')).toEqual({ user: 'x', role: 'admin' });
    expect(proto!.params.parseError).toBeUndefined();
    expect(proto!.params.title).toBe('sd x/admin [] [] []');
    const [ctor] = await waitForEvents('syslog', (e) => e.params.transport === 'udp' && e.message === 'hi' && ownSd(e, 'constructor') !== undefined, 1, 'constructor event');
    expect(ownSd(ctor!, 'constructor')).toEqual({ name: 'x' });
    // Also as the console reads one event.
    const one = await call('GET', `/events/${proto!.id}`);
    expect(Object.keys(one.body.params.structuredData)).toEqual(['__proto__']);
    expect(await counter('syslog', 'parser_exceptions')).toBe(0);
  });

  it('stores the same two messages among 20 good ones framed on one TCP connection', async () => {
    const tag = `tcp-burst-${Date.now()}`;
    const good = Array.from({ length: 20 }, (_, i) => `<14>1 2026-12-06T00:00:00Z h app - - - ${tag} good ${i}`);
    const frames = [...good.slice(0, 10), PROTO, CTOR, ...good.slice(10)].map((m) => `${Buffer.byteLength(m)} ${m}`).join('');
    const sock = net.connect(tcpPort, '127.0.0.1');
    await new Promise<void>((res, rej) => sock.once('connect', res).once('error', rej));
    await new Promise<void>((res) => sock.end(frames, () => res()));

    await waitForEvents('syslog', (e) => e.message.startsWith(`${tag} good`), 20, 'good neighbours over TCP');
    const [proto] = await waitForEvents('syslog', (e) => e.params.transport === 'tcp' && e.message === 'hi' && ownSd(e, '__proto__') !== undefined, 1, '__proto__ over TCP');
    expect(ownSd(proto!, '__proto__')).toEqual({ user: 'x', role: 'admin' });
    const [ctor] = await waitForEvents('syslog', (e) => e.params.transport === 'tcp' && e.message === 'hi' && ownSd(e, 'constructor') !== undefined, 1, 'constructor over TCP');
    expect(ownSd(ctor!, 'constructor')).toEqual({ name: 'x' });
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`takes the attack from util-linux logger --${transport} with 20 good lines sent alongside`, async () => {
      const tag = `logger-${transport}-${Date.now()}`;
      const dir = mkdtempSync(join(tmpdir(), 'nw-logger-'));
      try {
        const file = join(dir, 'good.txt');
        writeFileSync(file, Array.from({ length: 20 }, (_, i) => `${tag} good ${i}`).join('\n') + '\n');
        const base = ['-n', '127.0.0.1', '-P', String(transport === 'udp' ? udpPort : tcpPort), `--${transport}`, '--rfc5424'];
        // logger validates --sd-id, but writes its tag as given: the tag carries the element onto the wire as
        // `<13>1 TIME HOST app - - [__proto__ user="x" role="admin"] - - [timeQuality …] MSG`.
        const results = await Promise.all([
          run('logger', [...base, '-t', 'app - - [__proto__ user="x" role="admin"]', `${tag} proto`]),
          run('logger', [...base, '-t', 'app - - [constructor name="x"]', `${tag} ctor`]),
          run('logger', [...base, '-t', 'goodapp', '-f', file]),
        ]);
        for (const r of results) expect(r.code, r.stderr).toBe(0);
        await waitForEvents('syslog', (e) => e.message.startsWith(`${tag} good`) && e.params.transport === transport, 20, `good lines via logger --${transport}`);
        const [proto] = await waitForEvents('syslog', (e) => e.message.endsWith(`${tag} proto`), 1, 'logger __proto__ line');
        expect(proto!.params).toMatchObject({ transport, appName: 'app' });
        expect(ownSd(proto!, '__proto__')).toEqual({ user: 'x', role: 'admin' });
        expect(proto!.params.title).toBe('sd x/admin [] [] []');
        const [ctor] = await waitForEvents('syslog', (e) => e.message.endsWith(`${tag} ctor`), 1, 'logger constructor line');
        expect(ownSd(ctor!, 'constructor')).toEqual({ name: 'x' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('takes __proto__ and constructor as trap communities and varbind values from snmptrap, with 20 good traps alongside', async () => {
    const tag = `${Date.now() % 1_000_000}`;
    const vbs = (n: string) => ['1.3.6.1.4.1.99.1', 's', '[__proto__ user="x" role="admin"]', '1.3.6.1.4.1.99.2', 's', n, '1.3.6.1.4.1.99.3', 's', 'constructor'];
    const results = await Promise.all([
      snmp('snmptrap', ['-v', '2c', '-c', '__proto__', trapTarget, '', `1.3.6.1.4.1.99.0.${tag}.1`, ...vbs('__proto__')]),
      snmp('snmptrap', ['-v', '1', '-c', 'constructor', trapTarget, '1.3.6.1.4.1.99', '127.0.0.1', '6', '2', '', ...vbs('prototype')]),
      snmp('snmpinform', ['-v', '2c', '-c', '__proto__', '-t', '3', '-r', '2', trapTarget, '', `1.3.6.1.4.1.99.0.${tag}.3`, ...vbs('toString')]),
      ...Array.from({ length: 20 }, (_, i) => snmp('snmptrap', ['-v', '2c', '-c', 'public', trapTarget, '', `1.3.6.1.4.1.99.0.${tag}.100`, '1.3.6.1.4.1.99.9', 'i', String(i)])),
    ]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const good = await waitForEvents('trap', (e) => e.type === `1.3.6.1.4.1.99.0.${tag}.100`, 20, 'good traps');
    expect(new Set(good.map((e) => (e.params.varbinds as { value: unknown }[])[2]!.value)).size).toBe(20);
    const attacks = [
      ...(await waitForEvents('trap', (e) => e.type === `1.3.6.1.4.1.99.0.${tag}.1` || e.type === `1.3.6.1.4.1.99.0.${tag}.3`, 2, 'v2c trap and inform')),
      ...(await waitForEvents('trap', (e) => e.type === '1.3.6.1.4.1.99.0.2' && e.params.version === '1', 1, 'v1 trap')),
    ];
    for (const e of attacks) {
      const values = (e.params.varbinds as { oid: string; value: unknown }[]).filter((v) => v.oid.startsWith('1.3.6.1.4.1.99.')).map((v) => v.value);
      expect(values.slice(0, 3)).toEqual(['[__proto__ user="x" role="admin"]', expect.stringMatching(/^(__proto__|prototype|toString)$/), 'constructor']);
      expect(e.params.community).toBeUndefined();
    }
    expect(await counter('trap', 'convert_errors')).toBe(0);
  });

  it('keeps the accepted community out of stored trap events (v1, v2c trap, v2c inform)', async () => {
    const tag = `${Date.now() % 1_000_000}`;
    const results = await Promise.all([
      snmp('snmptrap', ['-v', '1', '-c', SECRET_COMMUNITY, trapTarget, `1.3.6.1.4.1.98.${tag}`, '127.0.0.1', '6', '1', '', '1.3.6.1.2.1.1.5.0', 's', 'v1 box']),
      snmp('snmptrap', ['-v', '2c', '-c', SECRET_COMMUNITY, trapTarget, '', `1.3.6.1.4.1.98.0.${tag}.2`, '1.3.6.1.2.1.1.5.0', 's', 'v2 box']),
      snmp('snmpinform', ['-v', '2c', '-c', SECRET_COMMUNITY, '-t', '3', '-r', '2', trapTarget, '', `1.3.6.1.4.1.98.0.${tag}.3`]),
    ]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const events = await waitForEvents('trap', (e) => e.type.startsWith(`1.3.6.1.4.1.98.${tag}.`) || e.type.startsWith(`1.3.6.1.4.1.98.0.${tag}.`), 3, 'traps with the secret community');
    expect(events.map((e) => e.params.version).sort()).toEqual(['1', '2c', '2c']);
    for (const e of events) {
      const full = await call('GET', `/events/${e.id}`);
      expect(full.status).toBe(200);
      expect(full.text).not.toContain(SECRET_COMMUNITY);
    }
  });

  it('answers 401 to an inherited "user" and survives a throwing response hook (defence in depth)', async () => {
    const before = (await counter('http', 'hook_errors')) ?? 0;
    // Some other bug has put a "user" on Object.prototype: every request object now inherits one.
    // (Not enumerable here: an enumerable one also breaks for..in loops in libraries, e.g. prom-client's
    // GC observer, which runs outside any request and that no hook of ours can guard.)
    Object.defineProperty(Object.prototype, 'user', { value: { id: 1, username: 'admin', role: 'admin' }, enumerable: false, configurable: true, writable: true });
    // And the request-metrics hook throws (as prom-client's label check does on polluted label objects),
    // after the response: this used to end the process.
    const metrics = srv.nms.metrics.httpRequests;
    const inc = metrics.inc;
    metrics.inc = () => {
      throw new Error('Added label "user" is not included in initial labelset');
    };
    try {
      const first = await anonymous('GET', '/users');
      const second = await anonymous('GET', '/users');
      expect([first.status, second.status]).toEqual([401, 401]);
    } finally {
      delete (Object.prototype as Record<string, unknown>).user;
      metrics.inc = inc;
    }
    expect(await counter('http', 'hook_errors')).toBeGreaterThan(before);
    expect((await fetch(`${srv.url}/api/v1/health`)).status).toBe(200);
  });
});
