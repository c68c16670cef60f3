import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../server/contracts/events.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { run } from './collector-helpers.js';

/** Whether this process can bind `address:port` itself (EADDRINUSE when a listener holds it or a wildcard on that port). */
function canBindUdp(type: 'udp4' | 'udp6', address: string, port: number): Promise<boolean | string> {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    s.bind({ port, address, exclusive: true }, () => s.close(() => resolve(true)));
  });
}
function canListenTcp(address: string, port: number): Promise<boolean | string> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    s.listen({ port, host: address, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

describe('syslogHost / trapHost: the listeners bind where they are told', () => {
  let srv: TestServer;
  let call: ReturnType<typeof apiClient>;
  let persist: string;

  beforeAll(async () => {
    persist = mkdtempSync(join(tmpdir(), 'nw-bind-'));
    srv = await startTestServer({ env: { NMS_SYSLOG_HOST: '127.0.0.1', NMS_TRAP_HOST: '::1' } });
    call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
    if (persist) rmSync(persist, { recursive: true, force: true });
  });

  it('listens for syslog on 127.0.0.1 only and for traps on ::1 only, and says so in /health and /status', async () => {
    const listening = srv.nms.listeners().filter((l) => l.state === 'listening' && l.name !== 'http');
    expect(listening.map((l) => `${l.name}@${l.address}`).sort()).toEqual(['syslog-tcp@127.0.0.1', 'syslog-udp@127.0.0.1', 'trap-udp6@::1']);
    const health = await call('GET', '/health');
    expect(health.body.addresses).toEqual({ syslog: ['127.0.0.1'], trap: ['::1'] });
    const status = await call('GET', '/status');
    expect(status.body.listeners.find((l: { name: string }) => l.name === 'syslog-udp')).toMatchObject({ address: '127.0.0.1', state: 'listening' });

    // Not bound to the wildcard: another loopback address can take the same ports, IPv4 can take the trap port.
    const syslogUdp = listening.find((l) => l.name === 'syslog-udp')!.boundPort!;
    const syslogTcp = listening.find((l) => l.name === 'syslog-tcp')!.boundPort!;
    const trap = listening.find((l) => l.name === 'trap-udp6')!.boundPort!;
    expect(await canBindUdp('udp4', '127.0.0.2', syslogUdp)).toBe(true);
    expect(await canListenTcp('127.0.0.2', syslogTcp)).toBe(true);
    expect(await canBindUdp('udp4', '127.0.0.1', trap)).toBe(true);
    // …while the bound address itself is taken.
    expect(await canBindUdp('udp4', '127.0.0.1', syslogUdp)).toBe('EADDRINUSE');
    expect(await canBindUdp('udp6', '::1', trap)).toBe('EADDRINUSE');
  });

  it('receives syslog from logger on 127.0.0.1 and a trap from snmptrap on [::1]', async () => {
    const syslogUdp = srv.nms.listeners().find((l) => l.name === 'syslog-udp')!.boundPort!;
    const trap = srv.nms.listeners().find((l) => l.name === 'trap-udp6')!.boundPort!;
    expect((await run('logger', ['-n', '127.0.0.1', '-P', String(syslogUdp), '--udp', '-t', 'bindtest', 'bound to loopback'])).code).toBe(0);
    const r = await run('snmptrap', ['-v', '2c', '-c', 'public', `udp6:[::1]:${trap}`, '', '1.3.6.1.4.1.99.0.77'], 20_000, { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist });
    expect(r.code, r.stderr).toBe(0);
    const t0 = Date.now();
    for (;;) {
      const items = ((await call('GET', '/events?limit=100')).body?.items ?? []) as StoredEvent[];
      const s = items.find((e) => e.message === 'bound to loopback');
      const t = items.find((e) => e.type === '1.3.6.1.4.1.99.0.77');
      if (s && t) {
        expect(s.sourceAddress).toBe('127.0.0.1');
        expect(t.sourceAddress).toBe('::1');
        break;
      }
      if (Date.now() - t0 > 20_000) throw new Error(`not stored: syslog ${!!s}, trap ${!!t}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  });
});

describe('syslog and trap listeners by default', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('bind every IPv4 and IPv6 address (devices must reach them), as /health says', async () => {
    const l = srv.nms.listeners();
    const udp = l.find((x) => x.name === 'syslog-udp')!;
    expect(udp).toMatchObject({ address: '0.0.0.0', state: 'listening' });
    expect(l.find((x) => x.name === 'trap-udp')).toMatchObject({ address: '0.0.0.0', state: 'listening' });
    expect(l.find((x) => x.name === 'syslog-udp6')).toMatchObject({ address: '::', state: 'listening' });
    expect(await canBindUdp('udp4', '127.0.0.2', udp.boundPort!)).toBe('EADDRINUSE');
    const health = await apiClient(srv.url)('GET', '/health');
    expect(health.body.addresses).toEqual({ syslog: ['0.0.0.0', '::'], trap: ['0.0.0.0', '::'] });
  });
});
