import dgram from 'node:dgram';
import net from 'node:net';
import { hostname } from 'node:os';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListenerStatus } from '../../../../server/contracts/dto.js';
import { createSyslogListener, type SyslogListener } from '../../../../server/collectors/syslog/syslog.listener.js';
import { ipv6Available } from '../../../../server/collectors/udp/bind-udp.js';
import { collectingSink, quietLogger, run, selfSignedCert, until } from '../collector-helpers.js';

const MAX = 2048;

describe('syslog listener with real peers (logger, TLS client, raw sockets)', () => {
  const got = collectingSink();
  let listener: SyslogListener;
  let statuses: ListenerStatus[];
  let v6 = false;
  let cert: { cert: string; key: string };
  const port = (name: string) => {
    const s = statuses.find((x) => x.name === name);
    if (!s?.boundPort) throw new Error(`${name} not listening: ${JSON.stringify(statuses)}`);
    return s.boundPort;
  };

  beforeAll(async () => {
    v6 = await ipv6Available();
    cert = await selfSignedCert();
    listener = createSyslogListener(
      { udpPort: 0, tcpPort: 0, tlsPort: 0, tls: cert, host: '127.0.0.1', host6: v6 ? '::1' : null, maxMessageBytes: MAX, timeZone: 'UTC', logger: quietLogger(),
        resolveDevice: (a) => (a === '127.0.0.1' ? 7 : null) },
      got.sink,
    );
    statuses = await listener.start();
  });
  afterAll(async () => {
    await listener?.stop();
  });

  it('reports bound ports and the receive buffer the kernel granted', () => {
    const udp = statuses.find((s) => s.name === 'syslog-udp')!;
    expect(udp.state).toBe('listening');
    expect(udp.boundPort).toBeGreaterThan(0);
    expect(listener.counters().recv_buffer_bytes).toBeGreaterThan(200_000);
    expect(statuses.find((s) => s.name === 'syslog-tls')?.state).toBe('listening');
  });

  it('receives logger --udp --rfc5424 with msgid and structured data', async () => {
    const r = await run('logger', ['-n', '127.0.0.1', '-P', String(port('syslog-udp')), '--udp', '--rfc5424', '-p', 'local3.err', '-t', 'nwtest', '--msgid', 'MID1',
      '--sd-id', 'test@32473', '--sd-param', 'k="v \\"q\\""', 'udp 5424 hello']);
    expect(r.code).toBe(0);
    const e = await got.waitFor((x) => x.message === 'udp 5424 hello', 'udp 5424 message');
    expect(e).toMatchObject({ source: 'syslog', sourceAddress: '127.0.0.1', deviceId: 7, severity: 'major', type: 'MID1' });
    expect(e.params).toMatchObject({ rfc: '5424', facility: 19, severityNumber: 3, appName: 'nwtest', msgId: 'MID1', transport: 'udp', hostname: hostname() });
    expect((e.params.structuredData as Record<string, Record<string, string>>)['test@32473']).toEqual({ k: 'v "q"' });
    expect(Math.abs((e.reportedAt ?? 0) - e.receivedAt)).toBeLessThan(60_000);
  });

  it('receives logger --udp --rfc3164', async () => {
    await run('logger', ['-n', '127.0.0.1', '-P', String(port('syslog-udp')), '--udp', '--rfc3164', '-p', 'daemon.warning', '-t', 'bsdtag', 'udp 3164 hello']);
    const e = await got.waitFor((x) => x.message === 'udp 3164 hello', 'udp 3164 message');
    expect(e).toMatchObject({ severity: 'warning', type: 'bsdtag' });
    expect(e.params).toMatchObject({ rfc: '3164', facility: 3, severityNumber: 4, appName: 'bsdtag' });
    expect(e.reportedAt).not.toBeNull();
  });

  it('receives logger --tcp with octet counting (RFC 6587 3.4.1)', async () => {
    const r = await run('logger', ['-n', '127.0.0.1', '-P', String(port('syslog-tcp')), '--tcp', '--octet-count', '--rfc5424', '-t', 'tcpoc', 'tcp octet hello']);
    expect(r.code).toBe(0);
    const e = await got.waitFor((x) => x.message === 'tcp octet hello', 'tcp octet-counted message');
    expect(e.params).toMatchObject({ rfc: '5424', appName: 'tcpoc', transport: 'tcp' });
  });

  it('receives logger --tcp newline-framed RFC 3164 (RFC 6587 3.4.2)', async () => {
    const r = await run('logger', ['-n', '127.0.0.1', '-P', String(port('syslog-tcp')), '--tcp', '--rfc3164', '-t', 'tcpnl', 'tcp newline hello']);
    expect(r.code).toBe(0);
    const e = await got.waitFor((x) => x.message === 'tcp newline hello', 'tcp newline message');
    expect(e.params).toMatchObject({ rfc: '3164', appName: 'tcpnl', transport: 'tcp' });
  });

  it('receives over IPv6 (UDP and TCP) when the host has it', async () => {
    if (!v6) {
      expect(statuses.some((s) => s.name === 'syslog-udp6')).toBe(false);
      return;
    }
    await run('logger', ['-n', '::1', '-P', String(port('syslog-udp6')), '--udp', '--rfc5424', '-t', 'six', 'udp6 hello']);
    await run('logger', ['-n', '::1', '-P', String(port('syslog-tcp6')), '--tcp', '--octet-count', '--rfc5424', '-t', 'six', 'tcp6 hello']);
    expect((await got.waitFor((x) => x.message === 'udp6 hello', 'udp6 message')).sourceAddress).toBe('::1');
    const t = await got.waitFor((x) => x.message === 'tcp6 hello', 'tcp6 message');
    expect(t.sourceAddress).toBe('::1');
    expect(t.deviceId).toBeNull();
  });

  it('receives over TLS (RFC 5425) in both framings from a node TLS client', async () => {
    const sock = tls.connect({ host: '127.0.0.1', port: port('syslog-tls'), ca: cert.cert, servername: 'localhost' });
    await new Promise<void>((res, rej) => sock.once('secureConnect', res).once('error', rej));
    const m1 = '<134>1 2024-06-15T11:00:00.5+02:00 tlshost tlsapp 99 TLS1 [a@1 x="1"] over tls one';
    const m2 = '<134>Jun 15 11:00:00 tlshost tlsapp[5]: over tls two';
    sock.write(`${Buffer.byteLength(m1)} ${m1}`);
    sock.end(`${m2}\n`);
    const e1 = await got.waitFor((x) => x.message === 'over tls one', 'tls message 1');
    expect(e1).toMatchObject({ type: 'TLS1', reportedAt: Date.parse('2024-06-15T09:00:00.5Z') });
    expect(e1.params).toMatchObject({ transport: 'tls', hostname: 'tlshost', procId: '99', structuredData: { 'a@1': { x: '1' } } });
    const e2 = await got.waitFor((x) => x.message === 'over tls two', 'tls message 2');
    expect(e2.params).toMatchObject({ appName: 'tlsapp', procId: '5', transport: 'tls' });
  });

  it('counts garbage and truncated datagrams, stays up, and takes the next good message', async () => {
    const before = listener.counters();
    const s = dgram.createSocket('udp4');
    const send = (b: Buffer) => new Promise<void>((res, rej) => s.send(b, port('syslog-udp'), '127.0.0.1', (e) => (e ? rej(e) : res())));
    await send(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]));
    await send(Buffer.alloc(0));
    await send(Buffer.from('<13>1 2024-06-15T11:0'));
    await send(Buffer.from(`<13>Jun 15 11:00:00 h big: ${'z'.repeat(5000)}`));
    await send(Buffer.from('<13>Jun 15 11:00:00 h after: good after garbage'));
    s.close();
    await got.waitFor((x) => x.message === 'good after garbage', 'good message after garbage');
    await until(() => listener.counters().received - before.received >= 5, 'five datagrams counted');
    const after = listener.counters();
    expect(after.parse_errors - before.parse_errors).toBe(3);
    expect(after.truncated - before.truncated).toBe(1);
    const big = await got.waitFor((x) => x.type === 'big', 'truncated message');
    expect(big.params).toMatchObject({ truncated: true, originalBytes: 5027 });
    expect(Buffer.byteLength(big.message)).toBeLessThanOrEqual(MAX);
    const bin = got.events.find((x) => x.params.rawBase64 === Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]).toString('base64'));
    expect(bin?.params.parseError).toBe('missing <PRI>');
    expect(bin?.message).toContain('\uFFFD');
  });

  it('survives an oversized octet-counted TCP frame and a bogus length, then reads the next frame', async () => {
    const before = listener.counters();
    const sock = net.connect(port('syslog-tcp'), '127.0.0.1');
    await new Promise<void>((res) => sock.once('connect', res));
    const huge = `<13>1 - - hugeapp - - - ${'y'.repeat(10_000)}`;
    const ok = '<13>1 - - okapp - - - fine after huge';
    sock.write(`${huge.length} ${huge}`);
    sock.write('12345x not a length\n');
    sock.end(`${ok.length} ${ok}`);
    await got.waitFor((x) => x.message === 'fine after huge', 'frame after oversized one');
    const hugeEv = await got.waitFor((x) => x.type === 'hugeapp', 'oversized frame');
    expect(hugeEv.params).toMatchObject({ truncated: true, originalBytes: huge.length });
    const after = listener.counters();
    expect(after.framing_errors - before.framing_errors).toBe(1);
    expect(after.received_tcp - before.received_tcp).toBe(3);
  });

  it('hangs up on a peer that keeps sending bogus octet counts, and keeps serving others', async () => {
    const before = listener.counters();
    const sock = net.connect(port('syslog-tcp'), '127.0.0.1');
    await new Promise<void>((res) => sock.once('connect', res));
    const closed = new Promise<void>((res) => sock.once('close', () => res()));
    sock.on('error', () => undefined); // the server resets us
    sock.write('999x bogus\n'.repeat(150));
    await closed;
    await until(() => listener.counters().tcp_connections_closed_abusive - before.tcp_connections_closed_abusive === 1, 'abusive connection closed');
    await run('logger', ['-n', '127.0.0.1', '-P', String(port('syslog-tcp')), '--tcp', '--octet-count', '--rfc5424', '-t', 'polite', 'after the abuser']);
    await got.waitFor((x) => x.message === 'after the abuser', 'message after abusive connection');
  });

  it('exposes plain counters including the kernel drop counter', () => {
    const k = listener.counters();
    for (const key of ['received', 'parsed', 'parse_errors', 'truncated', 'dropped', 'kernel_rcvbuf_errors', 'tcp_connections']) expect(typeof k[key]).toBe('number');
    expect(k.received).toBe(k.parsed + k.parse_errors + k.queue_depth);
    expect(k.dropped).toBe(0);
  });
});
