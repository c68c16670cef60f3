import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListenerStatus } from '../../../../server/contracts/dto.js';
import type { StoredEvent } from '../../../../server/contracts/events.js';
import { apiClient, login, startTestServer, type TestServer } from '../../../helpers/server.js';
import { run, selfSignedCert } from '../collector-helpers.js';

/** The real server (app.ts wiring): util-linux `logger` -> syslog listener -> bus -> event writer -> events API. */
describe('syslog through the real server', () => {
  let srv: TestServer;
  let call: ReturnType<typeof apiClient>;
  let udpPort: number;
  let tcpPort: number;

  async function waitForEvent(pred: (e: StoredEvent) => boolean, what: string, ms = 30_000): Promise<StoredEvent> {
    const t0 = Date.now();
    for (;;) {
      const r = await call('GET', '/events?source=syslog&limit=200');
      const hit = (r.body?.items as StoredEvent[] | undefined)?.find(pred);
      if (hit) return hit;
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}: ${r.text.slice(0, 500)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  beforeAll(async () => {
    srv = await startTestServer();
    call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
    const listeners = srv.nms.listeners();
    udpPort = listeners.find((l) => l.name === 'syslog-udp')!.boundPort!;
    tcpPort = listeners.find((l) => l.name === 'syslog-tcp')!.boundPort!;
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('shows the bound syslog port in /api/v1/health and the listeners in /api/v1/status', async () => {
    const health = await call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.ports.syslog).toBe(udpPort);
    expect(udpPort).toBeGreaterThan(0);
    const status = await call('GET', '/status');
    const syslog = (status.body.listeners as ListenerStatus[]).filter((l) => l.name.startsWith('syslog'));
    expect(syslog.find((l) => l.name === 'syslog-udp')).toMatchObject({ protocol: 'udp', state: 'listening', boundPort: udpPort });
    expect(syslog.find((l) => l.name === 'syslog-tcp')).toMatchObject({ protocol: 'tcp', state: 'listening', boundPort: tcpPort });
    // No certificate configured in tests: TLS is reported as disabled, not failed.
    expect(syslog.find((l) => l.name === 'syslog-tls')).toMatchObject({ state: 'disabled' });
  });

  it('stores an RFC 5424 message sent by logger over UDP, readable from GET /api/v1/events?source=syslog', async () => {
    const r = await run('logger', ['-n', '127.0.0.1', '-P', String(udpPort), '--udp', '--rfc5424', '-p', 'local0.warning', '-t', 'srvtest',
      '--msgid', 'SRV1', '--sd-id', 'nw@32473', '--sd-param', 'k="v"', 'server syslog 5424 hello']);
    expect(r.code, r.stderr).toBe(0);
    const e = await waitForEvent((x) => x.message === 'server syslog 5424 hello', '5424 event');
    expect(e).toMatchObject({ source: 'syslog', sourceAddress: '127.0.0.1', type: 'SRV1' });
    expect(e.params).toMatchObject({ rfc: '5424', facility: 16, facilityName: 'local0', severityNumber: 4, appName: 'srvtest', msgId: 'SRV1',
      structuredData: { 'nw@32473': { k: 'v' } }, transport: 'udp' });
    expect(e.reportedAt).not.toBeNull();
  });

  it('stores an RFC 3164 message sent by logger over TCP', async () => {
    const r = await run('logger', ['-n', '127.0.0.1', '-P', String(tcpPort), '--tcp', '--rfc3164', '-p', 'daemon.err', '-t', 'srvbsd', 'server syslog 3164 hello']);
    expect(r.code, r.stderr).toBe(0);
    const e = await waitForEvent((x) => x.message === 'server syslog 3164 hello', '3164 event');
    expect(e).toMatchObject({ source: 'syslog', sourceAddress: '127.0.0.1', type: 'srvbsd' });
    expect(e.params).toMatchObject({ rfc: '3164', facility: 3, severityNumber: 3, appName: 'srvbsd', transport: 'tcp' });
  });

  it('takes the hostname after a zone and a year (RFC 3164 5.4) from a real logger, and uses both for the time', async () => {
    // util-linux logger writes `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG`: with the host's name set (in a UTS
    // namespace of its own) to "CST 1987 mymachine" its header is the RFC's `… 05:34:00 CST 1987 mymachine …`.
    const script = [
      'import socket, subprocess, sys',
      'socket.sethostname("CST 1987 mymachine")',
      `sys.exit(subprocess.run(["logger", "-n", "127.0.0.1", "-P", "${udpPort}", "--udp", "--rfc3164", "-t", "myproc[10]", "rfc3164 zone and year"], env={"TZ": "UTC"}).returncode)`,
    ].join('\n');
    const r = await run('unshare', ['--uts', 'python3', '-c', script]);
    expect(r.code, r.stderr).toBe(0);
    const e = await waitForEvent((x) => x.message.endsWith('rfc3164 zone and year'), 'RFC 3164 event with zone and year');
    expect(e.message).toBe('rfc3164 zone and year');
    expect(e.params).toMatchObject({ rfc: '3164', hostname: 'mymachine', appName: 'myproc', procId: '10' });
    // The stamp as logger wrote it, read by the JavaScript Date parser (not ours): Mmm dd hh:mm:ss in CST (UTC-6) of 1987.
    const text = e.params.timestampText as string;
    const m = /^(\w{3}) +(\d{1,2}) (\d{2}:\d{2}:\d{2}) CST 1987$/.exec(text);
    expect(m, text).not.toBeNull();
    expect(e.reportedAt).toBe(Date.parse(`${m![1]} ${m![2]} 1987 ${m![3]} GMT-0600`));
  });

  it('keeps the time a Cisco device with an unsynchronised clock reports, flagged (* and . markers)', async () => {
    const s = dgram.createSocket('udp4');
    for (const line of ['<189>17: *Mar  1 00:01:23.456: %SYS-5-CONFIG_I: Configured from console by vty0 (srv-star)', '<189>18: .Jun 15 11:00:00.500 UTC: %SYS-5-CONFIG_I: Configured from console by vty0 (srv-dot)']) {
      await new Promise<void>((res, rej) => s.send(Buffer.from(line), udpPort, '127.0.0.1', (err) => (err ? rej(err) : res())));
    }
    s.close();
    const star = await waitForEvent((x) => x.message.endsWith('(srv-star)'), 'star event');
    expect(star.params).toMatchObject({ clockStatus: 'unsynchronised', timestampText: '*Mar  1 00:01:23.456', sequence: 17 });
    expect(star.reportedAt).not.toBeNull();
    expect(new Date(star.reportedAt!).toISOString()).toMatch(/^\d{4}-03-01T00:01:23\.456Z$/);
    const dot = await waitForEvent((x) => x.message.endsWith('(srv-dot)'), 'dot event');
    expect(dot.params).toMatchObject({ clockStatus: 'sync-lost' });
    expect(new Date(dot.reportedAt!).toISOString()).toMatch(/^\d{4}-06-15T11:00:00\.500Z$/);
  });

  it('keeps an unparseable datagram as a flagged event and counts it in /metrics', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((res, rej) => s.send(Buffer.from('no pri here, just text'), udpPort, '127.0.0.1', (err) => (err ? rej(err) : res())));
    s.close();
    const e = await waitForEvent((x) => x.message === 'no pri here, just text', 'raw event');
    expect(e.params).toMatchObject({ rfc: 'unknown', parseError: 'missing <PRI>' });

    const res = await fetch(`${srv.url}/metrics`);
    const text = await res.text();
    const value = (counter: string) => {
      const m = new RegExp(`^netwatch_component_counter\\{component="syslog",counter="${counter}"\\} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    };
    expect(value('received')).toBeGreaterThanOrEqual(3);
    expect(value('parsed')).toBeGreaterThanOrEqual(2);
    expect(value('parse_errors')).toBeGreaterThanOrEqual(1);
    for (const c of ['dropped', 'truncated', 'tcp_connections', 'kernel_rcvbuf_errors', 'recv_buffer_bytes']) expect(value(c), c).toBeTypeOf('number');
  });
});

describe('syslog over TLS through the real server (NMS_SYSLOG_TLS_CERT/KEY as file paths)', () => {
  let srv: TestServer;
  let dir: string;
  let cert: { cert: string; key: string };

  beforeAll(async () => {
    cert = await selfSignedCert();
    dir = mkdtempSync(join(tmpdir(), 'nw-syslog-tls-'));
    writeFileSync(join(dir, 'cert.pem'), cert.cert);
    writeFileSync(join(dir, 'key.pem'), cert.key);
    srv = await startTestServer({ env: { NMS_SYSLOG_TLS_CERT: join(dir, 'cert.pem'), NMS_SYSLOG_TLS_KEY: join(dir, 'key.pem') } });
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('listens on TLS and stores an octet-counted RFC 5425 frame from a TLS client', async () => {
    const l = srv.nms.listeners().find((x) => x.name === 'syslog-tls')!;
    expect(l).toMatchObject({ protocol: 'tls', state: 'listening' });
    const sock = tls.connect({ host: '127.0.0.1', port: l.boundPort!, ca: cert.cert, servername: 'localhost' });
    await new Promise<void>((res, rej) => sock.once('secureConnect', res).once('error', rej));
    const m = '<131>1 2024-06-15T11:00:00Z tlsdev tlsapp 1 TLSSRV - server over tls';
    sock.end(`${Buffer.byteLength(m)} ${m}`);
    const call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
    const t0 = Date.now();
    for (;;) {
      const items = ((await call('GET', '/events?source=syslog&limit=50')).body?.items ?? []) as StoredEvent[];
      const e = items.find((x) => x.message === 'server over tls');
      if (e) {
        expect(e).toMatchObject({ type: 'TLSSRV', sourceAddress: '127.0.0.1' });
        expect(e.params).toMatchObject({ rfc: '5424', transport: 'tls', hostname: 'tlsdev', severityNumber: 3 });
        break;
      }
      if (Date.now() - t0 > 30_000) throw new Error('TLS message not stored');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
