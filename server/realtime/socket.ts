import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server, type ServerOptions } from 'socket.io';
import { fromOtherNode } from '../cluster/cluster-bridge.js';
import type { AuthService, AuthUser } from '../auth/auth.service.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../contracts/realtime.js';
import type { StoredEvent } from '../contracts/events.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log/logger.js';
import { SESSION_COOKIE } from '../api/auth.middleware.js';
import { isSameOriginRequest } from '../api/same-origin.js';

interface SocketData {
  user: AuthUser;
  /** The session or API token the socket authenticated with, re-checked on revocation. */
  token: string;
}

export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

export interface RealtimeDeps {
  auth: AuthService;
  bus: EventBus;
  log: Logger;
  counters: () => Record<string, number>;
  countersIntervalMs?: number;
  /** The host a request was sent to (Host, or X-Forwarded-Host from a trusted proxy); default: Host. */
  requestHost?: (req: IncomingMessage) => string | undefined;
  /** Safety net behind the revocation event: every socket's token is re-checked this often (expiry too). */
  recheckIntervalMs?: number;
  /**
   * Several central nodes: the socket.io adapter that carries every push to the browsers of every node
   * (@socket.io/postgres-adapter). Each node pushes what happened on it; counters stay per node.
   */
  adapter?: ServerOptions['adapter'];
}

/**
 * socket.io on the HTTP server. A client authenticates with its session cookie
 * (or `auth: { token }`); everything it receives comes from the bus, here only.
 * A browser may connect only from the console's own origin (a WebSocket is not
 * subject to CORS, and the session cookie rides along from any page of the site).
 * A socket whose session or token ends is disconnected at once.
 */
export function attachRealtime(http: HttpServer, deps: RealtimeDeps): { io: RealtimeServer; close(): Promise<void> } {
  const requestHost = deps.requestHost ?? ((req: IncomingMessage) => req.headers.host);
  const io: RealtimeServer = new Server(http, {
    serveClient: false,
    cors: { origin: false },
    ...(deps.adapter ? { adapter: deps.adapter } : {}),
    allowRequest: (req, callback) => {
      const ok = isSameOriginRequest(req.headers, requestHost(req));
      if (!ok) deps.log.warn({ origin: req.headers.origin, site: req.headers['sec-fetch-site'] }, 'refused a cross-site socket.io connection');
      callback(ok ? null : 'cross-site connection refused', ok);
    },
  });
  const ROOM = 'users';

  io.use((socket, next) => {
    let user: AuthUser | undefined;
    let token: string | undefined;
    try {
      const auth: unknown = socket.handshake.auth;
      const given = auth && typeof auth === 'object' && Object.hasOwn(auth, 'token') ? (auth as { token: unknown }).token : undefined;
      const fromAuth = typeof given === 'string' ? given : undefined;
      token = fromAuth ?? cookieValue(socket.handshake.headers.cookie, SESSION_COOKIE);
      user = token ? deps.auth.authenticate(token) : undefined;
    } catch (err) {
      deps.log.warn({ err }, 'socket authentication failed');
    }
    if (!user || !token) return next(new Error('unauthorized'));
    socket.data.user = user;
    socket.data.token = token;
    next();
  });

  /** Disconnects the sockets (of one user, or all) whose token no longer authenticates. */
  const recheck = (userId?: number) => {
    for (const socket of io.sockets.sockets.values()) {
      if (userId !== undefined && socket.data.user?.id !== userId) continue;
      const user = socket.data.token ? deps.auth.authenticate(socket.data.token) : undefined;
      if (user) socket.data.user = user;
      else socket.disconnect(true);
    }
  };
  const recheckTimer = setInterval(() => {
    try {
      recheck();
    } catch (err) {
      deps.log.error({ err }, 'cannot re-check socket sessions');
    }
  }, deps.recheckIntervalMs ?? 30_000);
  recheckTimer.unref();

  io.on('connection', (socket) => {
    void socket.join(ROOM);
    socket.on('ping', (ack) => {
      try {
        if (typeof ack === 'function') ack({ ok: true, time: Date.now() });
      } catch (err) {
        deps.log.warn({ err }, 'ping acknowledgement failed');
      }
    });
  });

  const clustered = deps.adapter !== undefined;
  /** A change another node made: that node pushed it to every browser already (through the adapter). */
  const mine = (p: object) => !fromOtherNode.has(p);
  /** Whether a push can reach anyone: a browser here, or (clustered) on another node. */
  const anyone = () => clustered || (io.sockets.adapter.rooms.get(ROOM)?.size ?? 0) > 0;
  const unsubscribe = [
    deps.bus.subscribe('device.created', (d) => mine(d) && io.to(ROOM).emit('device.created', d)),
    deps.bus.subscribe('device.updated', (d) => mine(d) && io.to(ROOM).emit('device.updated', d)),
    deps.bus.subscribe('device.deleted', (d) => mine(d) && io.to(ROOM).emit('device.deleted', d)),
    deps.bus.subscribe('alarm.changed', (a) => io.to(ROOM).emit('alarm.changed', a)),
    deps.bus.subscribe('device.status', (s) => io.to(ROOM).emit('device.status', s)),
    // Every central node hears every heartbeat and times collectors out itself, so it pushes those changes to its own
    // browsers only (one push per browser, not one per node). A forget is one node's API call: pushed to every browser.
    deps.bus.subscribe('collector.changed', (c) => (c.forgotten ? io.to(ROOM) : io.local.to(ROOM)).emit('collector.changed', c)),
    deps.bus.subscribe('discovery.progress', (j) => io.to(ROOM).emit('discovery.progress', j)),
    deps.bus.subscribe('topology.changed', () => io.to(ROOM).emit('topology.changed')),
    deps.bus.subscribe('inventory.changed', (c) => io.to(ROOM).emit('inventory.changed', c)),
    deps.bus.subscribe('auth.revoked', ({ userId }) => recheck(userId)),
  ];

  // Events go out at most every 100 ms, at most 1,000 per push (the newest): a quiet
  // stream is pushed at once, a flood is batched ten times a second.
  let pending: StoredEvent[] = [];
  let skipped = 0;
  let lastPush = 0;
  let pushTimer: NodeJS.Timeout | null = null;
  const MAX_PUSH = 1000;
  const PUSH_EVERY_MS = 100;
  const push = () => {
    pushTimer = null;
    if (pending.length === 0) return;
    lastPush = Date.now();
    const batch = pending.length > MAX_PUSH ? pending.slice(-MAX_PUSH) : pending;
    skipped += pending.length - batch.length;
    pending = [];
    // Runs from a timer too: a failure (say, an event socket.io cannot encode) is logged, never fatal.
    try {
      io.to(ROOM).emit('events.new', batch);
      if (skipped) {
        io.to(ROOM).emit('events.overflow', skipped);
        skipped = 0;
      }
    } catch (err) {
      deps.log.error({ err, count: batch.length }, 'cannot push events');
    }
  };
  unsubscribe.push(
    deps.bus.subscribe('events.stored', (batch) => {
      if (!anyone()) return;
      for (const e of batch) pending.push(e);
      if (pending.length > 4 * MAX_PUSH) {
        skipped += pending.length - MAX_PUSH;
        pending = pending.slice(-MAX_PUSH);
      }
      if (pushTimer) return;
      const wait = lastPush + PUSH_EVERY_MS - Date.now();
      if (wait <= 0) push();
      else {
        pushTimer = setTimeout(push, wait);
        pushTimer.unref();
      }
    }),
  );

  const timer = setInterval(() => {
    if ((io.sockets.adapter.rooms.get(ROOM)?.size ?? 0) === 0) return;
    try {
      // This node's counters to this node's browsers only.
      io.local.to(ROOM).emit('status.counters', deps.counters());
    } catch (err) {
      deps.log.error({ err }, 'cannot push counters');
    }
  }, deps.countersIntervalMs ?? 5000);
  timer.unref();

  return {
    io,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        clearInterval(recheckTimer);
        if (pushTimer) clearTimeout(pushTimer);
        unsubscribe.forEach((u) => u());
        // Only this node's sockets (clustered, io.disconnectSockets would reach every node's).
        io.local.disconnectSockets(true);
        if (clustered) void Promise.resolve(io.of('/').adapter.close()).catch((err: unknown) => deps.log.warn({ err }, 'closing the socket.io adapter failed'));
        // io.close() would also close the HTTP server; the caller owns that.
        io.engine.close();
        resolve();
      }),
  };
}
