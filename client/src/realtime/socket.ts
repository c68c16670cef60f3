import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@contracts/realtime';

/**
 * The console's one socket.io connection, authenticated by the session cookie.
 * It is opened after login and closed on logout; socket.io reconnects on its own
 * after network trouble. Stores subscribe with `onServerEvent`, which returns the
 * unsubscribe function. Listeners survive reconnects and re-logins because they
 * are kept on this module, not on a particular socket.
 */
export type ConsoleSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ServerEventName = keyof ServerToClientEvents;
export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

type AnyListener = (...args: never[]) => void;

let socket: ConsoleSocket | null = null;
const listeners = new Map<ServerEventName, Set<AnyListener>>();
const stateListeners = new Set<(state: ConnectionState) => void>();
let state: ConnectionState = 'disconnected';
let onAuthLost: (() => void) | null = null;

function setState(next: ConnectionState): void {
  if (next === state) return;
  state = next;
  for (const l of stateListeners) l(next);
}

function bind(s: ConsoleSocket, event: ServerEventName): void {
  // One forwarding handler per event name on the socket; it fans out to listeners.
  (s.on as (ev: string, fn: (...args: unknown[]) => void) => void)(event, (...args: unknown[]) => {
    for (const l of listeners.get(event) ?? []) (l as (...a: unknown[]) => void)(...args);
  });
}

/** Opens the connection (no-op when open). */
export function connectSocket(): void {
  if (socket) return;
  const s: ConsoleSocket = io({ path: '/socket.io/', withCredentials: true, reconnection: true, reconnectionDelayMax: 10_000 });
  socket = s;
  setState('connecting');
  for (const event of listeners.keys()) bind(s, event);
  s.on('connect', () => setState('connected'));
  s.on('disconnect', (reason) => {
    setState('connecting');
    // The server closed this socket (its session or token was revoked, or the server is
    // stopping). socket.io does not retry that by itself: try again; a refused handshake
    // ('unauthorized' below) sends the user to the login page.
    if (reason === 'io server disconnect') s.connect();
  });
  s.io.on('reconnect_attempt', () => setState('connecting'));
  s.on('connect_error', (err) => {
    // The server refuses the handshake when the session is gone; retrying will not help.
    if (err.message === 'unauthorized') {
      disconnectSocket();
      onAuthLost?.();
    } else {
      setState('connecting');
    }
  });
}

/** Closes the connection (on logout). Listeners stay registered for the next login. */
export function disconnectSocket(): void {
  if (!socket) return;
  socket.removeAllListeners();
  socket.io.removeAllListeners();
  socket.disconnect();
  socket = null;
  setState('disconnected');
}

/** Subscribes to one server event; returns the function that unsubscribes. */
export function onServerEvent<E extends ServerEventName>(event: E, listener: ServerToClientEvents[E]): () => void {
  let set = listeners.get(event);
  if (!set) {
    set = new Set();
    listeners.set(event, set);
    if (socket) bind(socket, event);
  }
  set.add(listener as AnyListener);
  return () => {
    set.delete(listener as AnyListener);
  };
}

/** Follows the connection state; returns the function that stops following. */
export function onConnectionState(listener: (state: ConnectionState) => void): () => void {
  stateListeners.add(listener);
  listener(state);
  return () => {
    stateListeners.delete(listener);
  };
}

/** What to do when the server refuses the socket because the session ended. */
export function setSocketAuthLostHandler(handler: (() => void) | null): void {
  onAuthLost = handler;
}
