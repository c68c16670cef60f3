import type dgram from 'node:dgram';
import * as snmp from 'net-snmp';
import type { Logger } from 'pino';
import type { AuthProtocol, ListenerStatus, PrivProtocol } from '../../contracts/dto.js';
import type { NormalizedEvent } from '../../contracts/events.js';
import type { EventIntake } from '../../events/event-intake.js';
import type { IntakeListener } from '../intake-listener.js';
import { bindUdp, DEFAULT_RECV_BUFFER } from '../udp/bind-udp.js';
import { DEFAULT_INTAKE_QUEUE_BYTES, IntakeQueue } from '../udp/intake-queue.js';
import { readKernelUdpStats } from '../udp/kernel-udp-stats.js';
import { plainAddress } from '../udp/listen-tcp.js';
import { FeedSocket } from './feed-socket.js';
import { InformAcks, informKey, type InformAcksOptions, type InformEntry } from './inform-acks.js';
import { trapToEvent, unconvertedTrap, type TrapPdu } from './trap.convert.js';

/** A USM user traps/informs may come from (same protocols as polling). */
export interface TrapUser {
  name: string;
  level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
  authProtocol?: AuthProtocol;
  authKey?: string;
  privProtocol?: PrivProtocol;
  privKey?: string;
}

export interface TrapReceiverOptions {
  /** UDP port (0 = any free port). */
  port: number;
  /** IPv4 address (null = no IPv4). Default 0.0.0.0. */
  host?: string | null;
  /** IPv6 address (null = no IPv6). Default ::. */
  host6?: string | null;
  /** Communities accepted on v1/v2c. Default ['public']. */
  communities?: string[];
  users?: TrapUser[];
  /** Our engine ID (hex) for informs, where the receiver is authoritative; random when unset. */
  engineID?: string;
  logger: Logger;
  resolveDevice?: (address: string) => number | null;
  /** OID -> dictionary name (`ifIndex.3`) for message texts; undefined when unknown (numeric is shown). */
  oidName?: (oid: string) => string | undefined;
  recvBufferSize?: number;
  /** Memory that traps waiting to be decoded may hold (bytes plus ~640 per trap; default 128 MiB); more are dropped and counted. */
  queueBytes?: number;
  /** Traps waiting to be decoded at most (default: bounded by `queueBytes` only). */
  queueCapacity?: number;
  batchSize?: number;
  /** Used when the port is refused with EACCES. Default 1162. */
  fallbackPort?: number;
  /**
   * At most one auth-failure event per source address per this many ms (default 10 s);
   * the rest are only counted (auth_failures, auth_failure_events_suppressed), so a scanner
   * trying communities cannot flood the event store. 0 = an event for every failure.
   */
  authFailureEventIntervalMs?: number;
  /** Duplicate detection of retransmitted INFORMs (see InformAcks). */
  informs?: InformAcksOptions;
  /** How long `stop` waits for INFORMs to be committed so their Responses still go out (default 5 s). */
  stopGraceMs?: number;
}

export interface TrapReceiver extends IntakeListener {
  /** Replaces the USM users (takes effect for the next message). */
  setUsers(users: TrapUser[]): void;
  setCommunities(communities: string[]): void;
}

/**
 * Memory a queued trap holds besides its bytes: Node's own Buffer (a backing
 * store per datagram), its rinfo object and the record. Measured ~700 bytes of
 * RSS per 120-byte datagram.
 */
const QUEUED_TRAP_OVERHEAD = 640;
/** BER of usmStatsUnknownUserNames.0 and usmStatsWrongDigests.0 (RFC 3414), as they appear in a Report PDU. */
const USM_UNKNOWN_USER = Buffer.from('060a2b060106030f0101030' + '0', 'hex');
const USM_WRONG_DIGEST = Buffer.from('060a2b060106030f0101050' + '0', 'hex');

function toNetSnmpUser(u: TrapUser): snmp.UserOptions {
  const level = snmp.SecurityLevel[u.level];
  const user: snmp.UserOptions = { name: u.name, level };
  if (u.level !== 'noAuthNoPriv') {
    user.authProtocol = snmp.AuthProtocols[u.authProtocol ?? 'sha'];
    user.authKey = u.authKey ?? '';
  }
  if (u.level === 'authPriv') {
    user.privProtocol = snmp.PrivProtocols[u.privProtocol ?? 'aes'];
    user.privKey = u.privKey ?? '';
  }
  return user;
}

type Failure = 'auth' | 'parse' | 'rejected';

/** Which of net-snmp's receive errors mean "bad credentials" (community, user, digest, keys). */
export function classifyError(err: Error & { code?: number }): { kind: Failure; user?: string; reason: string } {
  const msg = err.message ?? '';
  if (err.name === 'ProcessingError') return { kind: 'parse', reason: msg };
  if (/Local community not found/.test(msg)) return { kind: 'auth', reason: 'unknown community' };
  const u = /with user (\S+)|Local user (\S+) requires/.exec(msg);
  if (/Local user not found/.test(msg)) return { kind: 'auth', user: u?.[1], reason: 'unknown user' };
  if (/requires (authentication|privacy) but message does not provide it/.test(msg)) return { kind: 'auth', user: u?.[2], reason: 'security level too low' };
  const code = err.code;
  if (err.name === 'ResponseInvalidError' && (code === snmp.ResponseInvalidCode.EAuthFailure || code === snmp.ResponseInvalidCode.ECouldNotDecrypt)) {
    const info = (err as { info?: { user?: { name?: string } } }).info;
    return { kind: 'auth', user: info?.user?.name, reason: code === snmp.ResponseInvalidCode.EAuthFailure ? 'wrong digest' : 'could not decrypt' };
  }
  return { kind: 'rejected', reason: msg };
}

interface RawTrap {
  feed: FeedSocket;
  buf: Buffer;
  rinfo: dgram.RemoteInfo;
  at: number;
}

/**
 * Receives traps and INFORMs and hands their events to `intake`. An INFORM is
 * acknowledged (its Response sent) only once the intake reports its event
 * committed; see InformAcks.
 */
export function createTrapReceiver(opts: TrapReceiverOptions, intake: EventIntake): TrapReceiver {
  const log = opts.logger;
  // snake_case like the syslog listener's: the dashboard reads received, parsed, dropped, parse_errors, kernel_rcvbuf_errors.
  const c = { received: 0, parsed: 0, traps: 0, informs: 0, auth_failures: 0, auth_failure_events_suppressed: 0, parse_errors: 0, convert_errors: 0, rejected: 0, sink_errors: 0, socket_errors: 0, send_errors: 0 };
  const acks = new InformAcks(opts.informs);
  /** The INFORM in the message being handled: new (its event is in `current`) or a retransmission. */
  let inform: { entry: InformEntry; isNew: boolean } | null = null;
  const takeInform = () => {
    const i = inform;
    inform = null;
    return i;
  };
  let stopping = false;
  let feedList: FeedSocket[] = [];
  let recvBufferBytes = 0;
  let communities = opts.communities ?? ['public'];
  let users = opts.users ?? [];
  let receiver: snmp.Receiver | null = null;
  let statuses: ListenerStatus[] = [];
  let current: NormalizedEvent[] = [];
  let currentAt = 0;
  /** The caller's lookup must not cost us the trap: errors mean "unknown device". */
  const resolveDevice = opts.resolveDevice
    ? (address: string): number | null => {
        try {
          return opts.resolveDevice!(address);
        } catch (err) {
          log.warn({ err, address }, 'resolveDevice failed');
          return null;
        }
      }
    : undefined;

  const failureInterval = opts.authFailureEventIntervalMs ?? 10_000;
  /** Source address -> when its last auth-failure event was emitted. */
  const lastFailureEvent = new Map<string, number>();

  function authFailure(address: string | null, port: number | null, reason: string, user?: string) {
    if (failureInterval > 0) {
      const now = currentAt || Date.now();
      const key = address ?? '';
      const last = lastFailureEvent.get(key);
      if (last !== undefined && now - last < failureInterval) {
        c.auth_failure_events_suppressed++;
        return;
      }
      if (lastFailureEvent.size >= 10_000) {
        for (const [k, t] of lastFailureEvent) if (now - t >= failureInterval) lastFailureEvent.delete(k);
        if (lastFailureEvent.size >= 10_000) lastFailureEvent.clear();
      }
      lastFailureEvent.set(key, now);
    }
    current.push({
      receivedAt: currentAt || Date.now(), reportedAt: null, source: 'trap', sourceAddress: address,
      deviceId: address && resolveDevice ? resolveDevice(address) : null,
      severity: 'warning', type: 'snmp.authenticationFailure',
      message: `SNMP trap rejected from ${address ?? 'unknown'}: ${reason}${user ? ` (user ${user})` : ''}`,
      params: { reason, ...(user ? { user } : {}), udpAddress: address, udpPort: port },
    });
  }

  /** A reportable (INFORM) message with bad credentials gets a USM Report instead of reaching `onReceived`. */
  function noticeReport(args: unknown[]) {
    const buf = args[0];
    if (!Buffer.isBuffer(buf) || buf.length >= 512) return;
    const reason = buf.indexOf(USM_UNKNOWN_USER) >= 0 ? 'unknown user' : buf.indexOf(USM_WRONG_DIGEST) >= 0 ? 'wrong digest' : null;
    if (!reason) return;
    c.auth_failures++;
    authFailure(plainAddress(String(args[4])), Number(args[3]), reason);
  }

  function onReceived(error: Error | null, data?: { pdu: Record<string, unknown>; rinfo: { address: string; port: number } }) {
    if (error) {
      const rinfo = (error as { rinfo?: { address: string; port: number } }).rinfo;
      const f = classifyError(error as Error & { code?: number });
      if (f.kind === 'parse') c.parse_errors++;
      else if (f.kind === 'rejected') c.rejected++;
      else c.auth_failures++;
      log.debug({ err: error, from: rinfo?.address }, 'trap rejected');
      if (f.kind === 'auth') authFailure(plainAddress(rinfo?.address), rinfo?.port ?? null, f.reason, f.user);
      return;
    }
    if (!data) return;
    const pdu = data.pdu as unknown as TrapPdu;
    const receivedAt = currentAt || Date.now();
    const udpAddress = plainAddress(data.rinfo.address) ?? data.rinfo.address;
    let key: string | null = null;
    if (pdu.type === snmp.PduType.InformRequest) {
      key = informKey(pdu, data.rinfo);
      const prior = acks.lookup(key, receivedAt);
      if (prior) {
        c.informs++;
        inform = { entry: prior, isNew: false }; // a retransmission: no second event
        return;
      }
    }
    let event: NormalizedEvent;
    try {
      event = trapToEvent(pdu, { receivedAt, udpAddress, udpPort: data.rinfo.port, resolveDevice, oidName: opts.oidName });
      c.parsed++;
      if (key !== null) c.informs++;
      else c.traps++;
    } catch (err) {
      // Decoded and authenticated, but our conversion failed: keep what we know, flagged and counted
      // (an INFORM is still acknowledged once that event is stored).
      c.parse_errors++;
      c.convert_errors++;
      log.warn({ err, from: udpAddress }, 'trap conversion failed; stored as a parse error');
      event = unconvertedTrap(pdu, receivedAt, udpAddress, data.rinfo.port, err);
    }
    current.push(event);
    if (key !== null) inform = { entry: acks.begin(key, receivedAt), isNew: true };
  }

  const queue = new IntakeQueue<RawTrap>({
    capacity: opts.queueCapacity,
    capacityBytes: opts.queueBytes ?? DEFAULT_INTAKE_QUEUE_BYTES,
    sizeOf: (r) => r.buf.length + QUEUED_TRAP_OVERHEAD,
    batchSize: opts.batchSize ?? 1000,
    process(batch) {
      current = [];
      /** New INFORMs of this batch: their Responses go out once the batch's events are committed. */
      const held: InformEntry[] = [];
      for (const r of batch) {
        currentAt = r.at;
        takeInform();
        const sent: unknown[][] = [];
        r.feed.capture = sent;
        try {
          r.feed.emit('message', r.buf, r.rinfo);
        } catch (err) {
          c.parse_errors++;
          log.debug({ err }, 'trap processing failed');
          // Nothing answered now; an INFORM whose event was made is acknowledged on its retransmission once stored.
          const got = takeInform();
          if (got?.isNew) held.push(got.entry);
          continue;
        } finally {
          r.feed.capture = null;
        }
        const responses = sent.map((args) => ({ transmit: () => r.feed.transmit(args) }));
        const got = takeInform();
        if (got?.isNew) {
          got.entry.held.push(...responses);
          held.push(got.entry);
        } else if (got) acks.duplicate(got.entry, responses);
        else {
          for (const args of sent) noticeReport(args);
          for (const res of responses) res.transmit(); // USM Reports (discovery, bad credentials)
        }
      }
      currentAt = 0;
      const events = current;
      current = [];
      if (events.length === 0) return;
      try {
        intake.submit(events, held.length > 0 ? (outcome) => acks.settle(held, outcome) : undefined);
      } catch (err) {
        c.sink_errors++;
        log.error({ err, lost: events.length }, 'trap intake threw; batch lost');
        if (held.length > 0) acks.settle(held, 'failed');
      }
    },
  });

  function applyCredentials() {
    if (!receiver) return;
    const a = receiver.getAuthorizer();
    for (const old of a.getCommunities().slice()) a.deleteCommunity(old);
    for (const cm of communities) a.addCommunity(cm);
    for (const old of a.getUsers().slice()) a.deleteUser(old.name);
    for (const u of users) a.addUser(toNetSnmpUser(u));
  }

  return {
    async start() {
      if (receiver) return statuses;
      stopping = false;
      const hosts = [opts.host === undefined ? '0.0.0.0' : opts.host, opts.host6 === undefined ? '::' : opts.host6].filter((h): h is string => !!h);
      const feeds: Partial<Record<'udp4' | 'udp6', FeedSocket>> = {};
      feedList = [];
      const out: ListenerStatus[] = [];
      for (const host of hosts) {
        const type = host.includes(':') ? 'udp6' : 'udp4';
        const name = type === 'udp4' ? 'trap-udp' : 'trap-udp6';
        try {
          const b = await bindUdp({ type, host, port: opts.port, fallbackPort: opts.fallbackPort ?? 1162, recvBufferSize: opts.recvBufferSize ?? DEFAULT_RECV_BUFFER, logger: log });
          const feed = new FeedSocket(b.socket, (err) => {
            c.send_errors++;
            log.debug({ err }, 'trap receiver send failed');
          });
          b.socket.on('message', (buf: Buffer, rinfo: dgram.RemoteInfo) => {
            if (stopping) return;
            c.received++;
            queue.push({ feed, buf, rinfo, at: Date.now() });
          });
          b.socket.on('error', (err) => {
            c.socket_errors++;
            log.error({ err, name }, 'trap socket error');
          });
          feeds[type] = feed;
          feedList.push(feed);
          recvBufferBytes = Math.max(recvBufferBytes, b.recvBufferSize);
          log.info({ name, host, port: b.boundPort, recvBufferSize: b.recvBufferSize }, 'trap receiver listening');
          out.push({ name, protocol: 'udp', requestedPort: opts.port, boundPort: b.boundPort, address: host, state: b.fallback ? 'fallback' : 'listening', message: b.message ?? `receive buffer ${b.recvBufferSize} bytes` });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (type === 'udp6' && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL' || code === 'EPROTONOSUPPORT')) {
            log.info({ err, name, host }, 'IPv6 not available; traps are received on IPv4 only');
            out.push({ name, protocol: 'udp', requestedPort: opts.port, boundPort: null, address: host, state: 'disabled', message: 'IPv6 not available on this host' });
            continue;
          }
          log.error({ err, name, host, port: opts.port }, 'trap bind failed');
          out.push({ name, protocol: 'udp', requestedPort: opts.port, boundPort: null, address: host, state: 'failed', message: (err as Error).message });
        }
      }
      const sockets = (Object.keys(feeds) as ('udp4' | 'udp6')[]).map((transport) => ({ transport, address: null, port: feeds[transport]!.address().port }));
      if (sockets.length > 0) {
        receiver = snmp.createReceiver(
          {
            sockets, includeAuthentication: true, engineID: opts.engineID,
            dgramModule: { createSocket: (type: string) => feeds[type as 'udp4' | 'udp6'] },
          },
          onReceived,
        );
        applyCredentials();
      }
      statuses = out;
      return out;
    },
    async stop() {
      if (!receiver) return;
      const r = receiver;
      receiver = null;
      stopping = true;
      queue.flush(); // hand on what already arrived
      // Acknowledged means stored: Responses go out as their events commit (the intake is still running),
      // and never without it. Past the grace period the rest stay unanswered and their senders retransmit.
      if (!(await acks.idle(opts.stopGraceMs ?? 5000))) log.warn({ waiting: acks.waiting }, 'stopping with INFORMs not yet committed: left unacknowledged');
      await Promise.all(feedList.map((f) => f.drained()));
      r.close();
      statuses = statuses.map((s) => ({ ...s, boundPort: null, state: 'disabled', message: 'stopped' }));
    },
    counters() {
      const k = readKernelUdpStats();
      return {
        ...c, ...acks.counters, dropped: queue.dropped, queue_depth: queue.length, queue_high_water: queue.highWater, queue_bytes: queue.bytes, queue_high_water_bytes: queue.highWaterBytes, recv_buffer_bytes: recvBufferBytes,
        // Host-wide (every UDP socket in this network namespace), -1 when unreadable.
        kernel_rcvbuf_errors: k.udp4RcvbufErrors, kernel_rcvbuf_errors6: k.udp6RcvbufErrors,
      };
    },
    status: () => statuses,
    setUsers(next) {
      users = next.slice();
      applyCredentials();
    },
    setCommunities(next) {
      communities = next.slice();
      applyCredentials();
    },
  };
}
