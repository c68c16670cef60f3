import type dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { ListenerStatus } from '../../contracts/dto.js';
import type { NormalizedEvent } from '../../contracts/events.js';
import { bindUdp, DEFAULT_RECV_BUFFER } from '../udp/bind-udp.js';
import { DEFAULT_INTAKE_QUEUE_BYTES, IntakeQueue, QUEUED_MESSAGE_OVERHEAD } from '../udp/intake-queue.js';
import { readKernelUdpStats } from '../udp/kernel-udp-stats.js';
import { listenTcp, plainAddress } from '../udp/listen-tcp.js';
import { openUdpThreadSocket, type UdpThreadSocket } from '../udp/udp-thread-socket.js';
import { SyslogFramer } from './syslog.framing.js';
import { DEFAULT_MAX_MESSAGE_BYTES, parseSyslog, unparsedSyslog } from './syslog.parser.js';
import { assertTimeZone } from './syslog.time.js';
import type { EventSink, IntakeListener } from '../intake-listener.js';

export type { EventSink } from '../intake-listener.js';

export interface SyslogListenerOptions {
  /** UDP port (0 = any free port; null = no UDP). */
  udpPort: number | null;
  /** TCP port (0 = any; null = no TCP). */
  tcpPort: number | null;
  /** TLS port, used only when `tls` is set (null = none). */
  tlsPort?: number | null;
  /** PEM certificate and key: the PEM text, or a path to a PEM file. */
  tls?: { cert: string | Buffer; key: string | Buffer } | null;
  /** IPv4 address to listen on (null = no IPv4). Default 0.0.0.0. */
  host?: string | null;
  /** IPv6 address to listen on (null = no IPv6). Default ::. */
  host6?: string | null;
  maxMessageBytes?: number;
  /** IANA zone for timestamps without offset. Default UTC. */
  timeZone?: string;
  logger: Logger;
  /** Source address -> device id, called once per message off the receive path. */
  resolveDevice?: (address: string) => number | null;
  /** Receive buffer asked of the kernel (default 16 MiB). */
  recvBufferSize?: number;
  /**
   * Memory that messages waiting to be parsed may hold (bytes plus ~192 per
   * message; default 128 MiB); more are dropped and counted. A burst is held
   * here while the receive thread has the CPU.
   */
  queueBytes?: number;
  /** Messages waiting to be parsed at most (default: bounded by `queueBytes` only). */
  queueCapacity?: number;
  /** Messages parsed and handed to the sink per tick (default 2,000). */
  batchSize?: number;
  /** Used when binding a privileged port fails with EACCES. Defaults: 1514 (UDP/TCP), 6514 is unprivileged. */
  fallbackPort?: number;
  /** Concurrent TCP/TLS connections at most (default 1,000). */
  maxConnections?: number;
  /**
   * Drain each UDP socket in its own thread (udp-thread-socket.ts), so bursts
   * are not lost while the main thread parses or is descheduled. Default false.
   */
  receiveThread?: boolean;
  /**
   * Nice value for the UDP receive threads (default -20: they get the CPU first
   * under contention, also against other busy processes on the host; their CPU
   * use is bounded by the arrival rate, as they only copy datagrams; parsing and
   * storing wait in the bounded queue). Needs root
   * or CAP_SYS_NICE; when refused the thread runs at normal priority and the
   * listener status says so. 0 = leave it.
   */
  receivePriority?: number;
  /** A TCP/TLS connection silent this long is closed (default 15 minutes). */
  idleTimeoutMs?: number;
}

/** Framing errors (digits not followed by a space) a connection may make before it is closed. */
const MAX_FRAMING_ERRORS = 100;

/** Bind errors that mean "this host has no IPv6", not "something is wrong". */
function ipv6Missing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL' || code === 'EPROTONOSUPPORT';
}

/** PEM text as is; anything else is read as a file path. */
function pem(v: string | Buffer): string | Buffer {
  return Buffer.isBuffer(v) || v.includes('-----BEGIN') ? v : readFileSync(v);
}

export type SyslogListener = IntakeListener;

type Transport = 'udp' | 'tcp' | 'tls';
interface Raw {
  buf: Buffer;
  address: string | null;
  at: number;
  transport: Transport;
  originalBytes?: number;
}

export function createSyslogListener(opts: SyslogListenerOptions, sink: EventSink): SyslogListener {
  const log = opts.logger;
  const timeZone = opts.timeZone ?? 'UTC';
  assertTimeZone(timeZone);
  const maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const parseOpts = { maxMessageBytes: maxBytes, timeZone };
  const fallbackPort = opts.fallbackPort ?? 1514;
  const hosts = [opts.host === undefined ? '0.0.0.0' : opts.host, opts.host6 === undefined ? '::' : opts.host6].filter((h): h is string => !!h);

  // Counter names are snake_case: they are Prometheus labels and the dashboard reads them.
  const c = {
    received: 0, received_udp: 0, received_tcp: 0, received_tls: 0, parsed: 0, parse_errors: 0, parser_exceptions: 0, truncated: 0,
    sink_errors: 0, tcp_connections: 0, tcp_connections_rejected: 0, tcp_connections_closed_abusive: 0, framing_errors: 0, tls_errors: 0, socket_errors: 0,
  };
  let recvBufferBytes = 0;

  const queue = new IntakeQueue<Raw>({
    capacity: opts.queueCapacity,
    capacityBytes: opts.queueBytes ?? DEFAULT_INTAKE_QUEUE_BYTES,
    sizeOf: (r) => r.buf.length + QUEUED_MESSAGE_OVERHEAD,
    batchSize: opts.batchSize ?? 2000,
    process(batch) {
      const events: NormalizedEvent[] = new Array(batch.length);
      for (let k = 0; k < batch.length; k++) {
        const r = batch[k]!;
        let deviceId: number | null = null;
        if (opts.resolveDevice && r.address) {
          try {
            deviceId = opts.resolveDevice(r.address);
          } catch (err) {
            log.warn({ err, address: r.address }, 'resolveDevice failed');
          }
        }
        const origin = { receivedAt: r.at, sourceAddress: r.address, deviceId, transport: r.transport, originalBytes: r.originalBytes };
        let ev: NormalizedEvent;
        try {
          ev = parseSyslog(r.buf, origin, parseOpts);
        } catch (err) {
          // One message must never cost its batch: keep it as text, flagged and counted.
          c.parser_exceptions++;
          log.warn({ err, address: r.address }, 'syslog parser threw; message kept as a parse error');
          ev = unparsedSyslog(r.buf, origin, err, parseOpts);
        }
        if (ev.params.parseError) c.parse_errors++;
        else c.parsed++;
        if (ev.params.truncated) c.truncated++;
        events[k] = ev;
      }
      try {
        sink(events);
      } catch (err) {
        c.sink_errors++;
        log.error({ err, lost: events.length }, 'syslog sink threw; batch lost');
      }
    },
    onError(err, lost) {
      log.error({ err, lost }, 'syslog batch failed');
    },
  });

  const udpSockets: dgram.Socket[] = [];
  const threadSockets: UdpThreadSocket[] = [];
  const servers: net.Server[] = [];
  const connections = new Set<net.Socket>();
  let statuses: ListenerStatus[] = [];
  let running = false;

  function onUdp(msg: Buffer, rinfo: dgram.RemoteInfo) {
    c.received++;
    c.received_udp++;
    queue.push({ buf: msg, address: plainAddress(rinfo.address), at: Date.now(), transport: 'udp' });
  }

  function onStream(sock: net.Socket, transport: Transport) {
    if (connections.size >= (opts.maxConnections ?? 1000)) {
      c.tcp_connections_rejected++;
      sock.destroy();
      return;
    }
    connections.add(sock);
    c.tcp_connections++;
    const address = plainAddress(sock.remoteAddress);
    const framer = new SyslogFramer(maxBytes, (frame, originalBytes) => {
      c.received++;
      if (transport === 'tls') c.received_tls++;
      else c.received_tcp++;
      // Copy: the frame is a view into a chunk the framer may keep.
      queue.push({ buf: Buffer.from(frame), address, at: Date.now(), transport, originalBytes: originalBytes > frame.length ? originalBytes : undefined });
    });
    let seenFramingErrors = 0;
    sock.on('data', (chunk: Buffer) => {
      try {
        framer.push(chunk);
      } catch (err) {
        // A framing bug of ours must cost this connection at most, never the process.
        c.socket_errors++;
        log.error({ err, address }, 'syslog framing failed; connection closed');
        sock.destroy();
        return;
      }
      if (framer.framingErrors !== seenFramingErrors) {
        c.framing_errors += framer.framingErrors - seenFramingErrors;
        seenFramingErrors = framer.framingErrors;
        // A peer that keeps sending bogus lengths is not a syslog sender: hang up.
        if (seenFramingErrors > MAX_FRAMING_ERRORS) {
          c.tcp_connections_closed_abusive++;
          log.warn({ address, framingErrors: seenFramingErrors }, 'syslog connection closed: too many framing errors');
          sock.destroy();
        }
      }
    });
    sock.on('end', () => {
      try {
        framer.end();
      } catch (err) {
        c.socket_errors++;
        log.error({ err, address }, 'syslog framing failed at end of connection');
      }
    });
    sock.on('error', (err) => {
      c.socket_errors++;
      log.debug({ err, address }, 'syslog connection error');
    });
    sock.on('close', () => connections.delete(sock));
    sock.setTimeout(opts.idleTimeoutMs ?? 15 * 60_000, () => sock.destroy());
  }

  async function startUdp(host: string, port: number): Promise<ListenerStatus> {
    const type = host.includes(':') ? 'udp6' : 'udp4';
    const name = type === 'udp6' ? 'syslog-udp6' : 'syslog-udp';
    try {
      if (opts.receiveThread) {
        const priority = opts.receivePriority ?? -20;
        const t = await openUdpThreadSocket({ type, host, port, fallbackPort, recvBufferSize: opts.recvBufferSize ?? DEFAULT_RECV_BUFFER, logger: log, priority }, (msg, address, _port, at) => {
          c.received++;
          c.received_udp++;
          queue.push({ buf: msg, address: plainAddress(address), at, transport: 'udp' });
        });
        threadSockets.push(t);
        recvBufferBytes = Math.max(recvBufferBytes, t.bound.recvBufferSize);
        const prio = t.bound.priority !== null ? `, priority ${t.bound.priority}` : t.bound.priorityError ? `, priority ${priority} refused (${t.bound.priorityError}: needs root or CAP_SYS_NICE)` : '';
        if (t.bound.priorityError) log.warn({ name, priority, error: t.bound.priorityError }, 'syslog receive thread priority not raised (needs root or CAP_SYS_NICE); bursts are more likely to be dropped under CPU contention');
        log.info({ name, host, port: t.bound.boundPort, recvBufferSize: t.bound.recvBufferSize, priority: t.bound.priority }, 'syslog UDP listening (receive thread)');
        return { name, protocol: 'udp', requestedPort: port, boundPort: t.bound.boundPort, address: host, state: t.bound.fallback ? 'fallback' : 'listening', message: t.bound.message ?? `receive buffer ${t.bound.recvBufferSize} bytes, receive thread${prio}` };
      }
      const b = await bindUdp({ type, host, port, fallbackPort, recvBufferSize: opts.recvBufferSize ?? DEFAULT_RECV_BUFFER, logger: log });
      b.socket.on('message', onUdp);
      b.socket.on('error', (err) => {
        c.socket_errors++;
        log.error({ err, name }, 'syslog UDP socket error');
      });
      udpSockets.push(b.socket);
      recvBufferBytes = Math.max(recvBufferBytes, b.recvBufferSize);
      log.info({ name, host, port: b.boundPort, recvBufferSize: b.recvBufferSize }, 'syslog UDP listening');
      return { name, protocol: 'udp', requestedPort: port, boundPort: b.boundPort, address: host, state: b.fallback ? 'fallback' : 'listening', message: b.message ?? `receive buffer ${b.recvBufferSize} bytes` };
    } catch (err) {
      if (type === 'udp6' && ipv6Missing(err)) {
        log.info({ err, name, host }, 'IPv6 not available; syslog listens on IPv4 only');
        return { name, protocol: 'udp', requestedPort: port, boundPort: null, address: host, state: 'disabled', message: 'IPv6 not available on this host' };
      }
      log.error({ err, name, host, port }, 'syslog UDP bind failed');
      return { name, protocol: 'udp', requestedPort: port, boundPort: null, address: host, state: 'failed', message: (err as Error).message };
    }
  }

  async function startStream(host: string, port: number, transport: 'tcp' | 'tls'): Promise<ListenerStatus> {
    const name = `syslog-${transport}${host.includes(':') ? '6' : ''}`;
    let server: net.Server;
    try {
      server = transport === 'tls'
        ? tls.createServer({ cert: pem(opts.tls!.cert), key: pem(opts.tls!.key) }, (s) => onStream(s, 'tls'))
        : net.createServer((s) => onStream(s, 'tcp'));
    } catch (err) {
      log.error({ err, name }, 'syslog TLS certificate/key unusable');
      return { name, protocol: transport, requestedPort: port, boundPort: null, address: host, state: 'failed', message: (err as Error).message };
    }
    if (transport === 'tls') {
      server.on('tlsClientError', (err) => {
        c.tls_errors++;
        log.debug({ err }, 'syslog TLS handshake failed');
      });
    }
    try {
      const r = await listenTcp(server, { host, port, fallbackPort: transport === 'tcp' ? fallbackPort : undefined, logger: log });
      server.on('error', (err) => log.error({ err, name }, 'syslog server error'));
      servers.push(server);
      log.info({ name, host, port: r.boundPort }, `syslog ${transport.toUpperCase()} listening`);
      return { name, protocol: transport, requestedPort: port, boundPort: r.boundPort, address: host, state: r.fallback ? 'fallback' : 'listening', message: r.message };
    } catch (err) {
      server.close();
      if (host.includes(':') && ipv6Missing(err)) {
        return { name, protocol: transport, requestedPort: port, boundPort: null, address: host, state: 'disabled', message: 'IPv6 not available on this host' };
      }
      log.error({ err, name, host, port }, `syslog ${transport.toUpperCase()} listen failed`);
      return { name, protocol: transport, requestedPort: port, boundPort: null, address: host, state: 'failed', message: (err as Error).message };
    }
  }

  return {
    async start() {
      if (running) return statuses;
      running = true;
      const out: ListenerStatus[] = [];
      for (const host of hosts) {
        if (opts.udpPort !== null) out.push(await startUdp(host, opts.udpPort));
        if (opts.tcpPort !== null) out.push(await startStream(host, opts.tcpPort, 'tcp'));
        if (opts.tls && opts.tlsPort !== null && opts.tlsPort !== undefined) out.push(await startStream(host, opts.tlsPort, 'tls'));
      }
      if (opts.udpPort === null) out.push({ name: 'syslog-udp', protocol: 'udp', requestedPort: 0, boundPort: null, address: '', state: 'disabled', message: null });
      if (opts.tcpPort === null) out.push({ name: 'syslog-tcp', protocol: 'tcp', requestedPort: 0, boundPort: null, address: '', state: 'disabled', message: null });
      if (!opts.tls) out.push({ name: 'syslog-tls', protocol: 'tls', requestedPort: opts.tlsPort ?? 0, boundPort: null, address: '', state: 'disabled', message: 'no certificate/key configured' });
      statuses = out;
      return out;
    },
    async stop() {
      if (!running) return;
      running = false;
      for (const s of udpSockets) s.close();
      udpSockets.length = 0;
      await Promise.all(threadSockets.splice(0).map((t) => t.close()));
      for (const conn of connections) conn.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((res) => s.close(() => res()))));
      servers.length = 0;
      // Hand on what was already received.
      queue.flush();
      statuses = statuses.map((s) => (s.state === 'disabled' ? s : { ...s, boundPort: null, state: 'disabled', message: 'stopped' }));
    },
    counters() {
      const k = readKernelUdpStats();
      return {
        ...c,
        dropped: queue.dropped,
        queue_depth: queue.length,
        queue_high_water: queue.highWater,
        queue_bytes: queue.bytes,
        queue_high_water_bytes: queue.highWaterBytes,
        open_connections: connections.size,
        recv_buffer_bytes: recvBufferBytes,
        // Host-wide (every UDP socket in this network namespace), -1 when unreadable.
        kernel_rcvbuf_errors: k.udp4RcvbufErrors,
        kernel_rcvbuf_errors6: k.udp6RcvbufErrors,
        kernel_in_errors: k.udp4InErrors,
        kernel_in_errors6: k.udp6InErrors,
      };
    },
    status: () => statuses,
  };
}
