import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';

/**
 * A fixed, small set of real UDP sockets shared by any number of net-snmp
 * sessions.
 *
 * net-snmp's `Session` opens its own socket through `options.dgramModule.
 * createSocket(type)` and only ever calls `send`, `close`, `ref`, `unref`,
 * `bind` and `on('message'|'close'|'error')` on it. We hand each session a
 * {@link VirtualSocket} instead: sends go out through one of the shared real
 * sockets, and datagrams coming back are routed to the session whose target
 * (`address:port`) they come from. A session keeps its own request ids and v3
 * engine state, so many sessions (one per device) cost no descriptors.
 *
 * When two sessions talk to the same `address:port` (e.g. discovery trying two
 * credentials at once) both get the datagram; each ignores request ids it did
 * not send. A reply from an address nobody is waiting on is counted as stray.
 */
export interface SharedUdpStats {
  sockets: number;
  sessions: number;
  sent: number;
  received: number;
  stray: number;
  sendErrors: number;
}

type Family = 'udp4' | 'udp6';

interface RealSocket {
  socket: dgram.Socket;
  routes: Map<string, Set<VirtualSocket>>;
  refs: number;
  sessions: number;
}

const routeKey = (address: string, port: number) => `${address.toLowerCase()}|${port}`;

export class VirtualSocket extends EventEmitter {
  private readonly keys = new Set<string>();
  private closed = false;
  private refd = false;

  constructor(private readonly real: RealSocket, private readonly owner: SharedUdpTransport) {
    super();
    real.sessions++;
  }

  send(buf: Buffer, offset: number, length: number, port: number, address: string, cb?: (err: Error | null, bytes?: number) => void): void {
    if (this.closed) {
      cb?.(new Error('socket closed'));
      return;
    }
    const key = routeKey(address, port);
    if (!this.keys.has(key)) {
      this.keys.add(key);
      let set = this.real.routes.get(key);
      if (!set) this.real.routes.set(key, (set = new Set()));
      set.add(this);
    }
    this.owner.stats.sent++;
    this.real.socket.send(buf, offset, length, port, address, (err, bytes) => {
      if (err) this.owner.stats.sendErrors++;
      cb?.(err ?? null, bytes);
    });
  }

  /** Sessions bind only when asked for a source address/port; shared sockets are already bound. */
  bind(): this {
    return this;
  }

  ref(): this {
    if (!this.refd && !this.closed) {
      this.refd = true;
      if (this.real.refs++ === 0) this.real.socket.ref();
    }
    return this;
  }

  unref(): this {
    if (this.refd) {
      this.refd = false;
      if (--this.real.refs === 0) this.real.socket.unref();
    }
    return this;
  }

  close(): this {
    if (this.closed) return this;
    this.unref();
    this.closed = true;
    this.real.sessions--;
    for (const key of this.keys) {
      const set = this.real.routes.get(key);
      set?.delete(this);
      if (set && set.size === 0) this.real.routes.delete(key);
    }
    this.keys.clear();
    // net-snmp cancels the session's outstanding requests on 'close'.
    queueMicrotask(() => this.emit('close'));
    return this;
  }

  /** Called by the transport for a datagram from one of our targets. */
  deliver(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!this.closed) this.emit('message', msg, rinfo);
  }
}

export interface SharedUdpOptions {
  /** Real sockets per address family (default 2). */
  socketsPerFamily?: number;
  /** Receive buffer asked of the kernel (default 4 MiB; the kernel may cap it). */
  recvBufferSize?: number;
}

export class SharedUdpTransport {
  readonly stats: SharedUdpStats = { sockets: 0, sessions: 0, sent: 0, received: 0, stray: 0, sendErrors: 0 };
  private readonly pools: Record<Family, RealSocket[]> = { udp4: [], udp6: [] };
  private readonly size: number;
  private readonly recvBufferSize: number;
  private closed = false;

  constructor(opts: SharedUdpOptions = {}) {
    this.size = Math.max(1, opts.socketsPerFamily ?? 2);
    this.recvBufferSize = opts.recvBufferSize ?? 4 * 1024 * 1024;
  }

  /** The object to pass as net-snmp's `dgramModule` option. */
  get dgramModule(): { createSocket(type: string): VirtualSocket } {
    return { createSocket: (type: string) => this.createSocket(type === 'udp6' ? 'udp6' : 'udp4') };
  }

  createSocket(family: Family): VirtualSocket {
    if (this.closed) throw new Error('transport closed');
    const pool = this.pools[family];
    if (pool.length < this.size) pool.push(this.open(family));
    // Least-loaded real socket.
    let best = pool[0]!;
    for (const r of pool) if (r.sessions < best.sessions) best = r;
    return new VirtualSocket(best, this);
  }

  private open(family: Family): RealSocket {
    const socket = dgram.createSocket({ type: family, recvBufferSize: this.recvBufferSize });
    const real: RealSocket = { socket, routes: new Map(), refs: 0, sessions: 0 };
    socket.on('message', (msg, rinfo) => {
      this.stats.received++;
      const set = real.routes.get(routeKey(rinfo.address, rinfo.port));
      if (!set || set.size === 0) {
        this.stats.stray++;
        return;
      }
      for (const v of set) v.deliver(msg, rinfo);
    });
    // A send error on a shared socket (e.g. ICMP unreachable surfaced as
    // ECONNREFUSED on some platforms) must not kill every session.
    socket.on('error', () => {
      this.stats.sendErrors++;
    });
    socket.bind(0);
    socket.unref();
    this.stats.sockets++;
    return real;
  }

  sessionCount(): number {
    let n = 0;
    for (const f of ['udp4', 'udp6'] as const) for (const r of this.pools[f]) n += r.sessions;
    return n;
  }

  close(): void {
    this.closed = true;
    for (const f of ['udp4', 'udp6'] as const) {
      for (const r of this.pools[f]) {
        for (const set of r.routes.values()) for (const v of [...set]) v.close();
        try {
          r.socket.close();
        } catch {
          /* already closed */
        }
      }
      this.pools[f] = [];
    }
  }
}
