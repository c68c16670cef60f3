import type { DeviceDto } from './dto.js';

/** Events the server pushes to console clients over socket.io. */
export interface ServerToClientEvents {
  'device.created': (device: DeviceDto) => void;
  'device.updated': (device: DeviceDto) => void;
  'device.deleted': (payload: { id: number }) => void;
  /** Listener and worker counters, every few seconds while someone is connected. */
  'status.counters': (counters: Record<string, number>) => void;
}

/** Requests a client may send; answered through the acknowledgement callback. */
export interface ClientToServerEvents {
  ping: (ack: (reply: { ok: true; time: number }) => void) => void;
}

export type SocketAck<T> = { ok: true; data: T } | { ok: false; code: string; message: string };
