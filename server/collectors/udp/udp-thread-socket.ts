import { startWorker } from '../../worker-thread.js';
import type { Logger } from 'pino';
import { warnFallbackOnce, type BindUdpOptions, type BoundUdp } from './bind-udp.js';

/**
 * A UDP socket drained by its own thread (udp-receive.worker.ts). The main
 * thread gets datagrams in batches; `onMessage` runs once per datagram, in
 * arrival order. Use it where a burst must not be lost while the main thread
 * is busy: the worker only copies bytes, so it keeps the kernel buffer empty.
 */
export type ThreadMessageHandler = (msg: Buffer, address: string, port: number, receivedAt: number) => void;

export interface UdpThreadSocket {
  bound: Omit<BoundUdp, 'socket'> & {
    /** Nice value the receive thread runs at, or null when not raised. */
    priority: number | null;
    /** Why the requested priority was refused (e.g. EACCES without CAP_SYS_NICE). */
    priorityError: string | null;
  };
  close(): Promise<void>;
}

interface Batch {
  type: 'batch';
  block: ArrayBuffer;
  lens: ArrayBuffer;
  /** Distinct sender addresses of the batch; addrIdx[i] points into it. */
  addrList: string[];
  addrIdx: ArrayBuffer;
  ports: ArrayBuffer;
  at: ArrayBuffer;
}


export interface UdpThreadSocketOptions extends Omit<BindUdpOptions, 'logger'> {
  logger?: Logger;
  /** Nice value for the receive thread (-20..19; negative = more CPU under contention). 0/undefined leaves it. */
  priority?: number | null;
}

export function openUdpThreadSocket(opts: UdpThreadSocketOptions, onMessage: ThreadMessageHandler): Promise<UdpThreadSocket> {
  const { logger, ...data } = opts;
  const worker = startWorker(import.meta.url, 'udp-receive.worker', data);
  return new Promise((resolve, reject) => {
    let closed: (() => void) | null = null;
    worker.on('error', (err) => {
      logger?.error({ err }, 'UDP receive thread failed');
      reject(err);
    });
    worker.on('exit', () => closed?.());
    worker.on('message', (m: Batch | { type: string; [k: string]: unknown }) => {
      if (m.type === 'batch') {
        const b = m as Batch;
        const lens = new Uint32Array(b.lens);
        const at = new Float64Array(b.at);
        const idx = new Uint16Array(b.addrIdx);
        const ports = new Uint16Array(b.ports);
        let off = 0;
        for (let i = 0; i < lens.length; i++) {
          const len = lens[i]!;
          // A handler that throws must not cost the rest of the batch (nor, from this
          // listener, the process).
          try {
            onMessage(Buffer.from(b.block, off, len), b.addrList[idx[i]!]!, ports[i]!, at[i]!);
          } catch (err) {
            logger?.error({ err }, 'UDP message handler failed');
          }
          off += len;
        }
      } else if (m.type === 'ready') {
        // Once per process, not once per thread (IPv4 and IPv6 each have one).
        for (const w of (m.warnings as string[]) ?? []) warnFallbackOnce(logger, w, { host: opts.host, port: opts.port });
        resolve({
          bound: {
            boundPort: m.boundPort as number,
            fallback: m.fallback as boolean,
            recvBufferSize: m.recvBufferSize as number,
            message: (m.message as string | null) ?? null,
            priority: (m.priority as number | null) ?? null,
            priorityError: (m.priorityError as string | null) ?? null,
          },
          close: () =>
            new Promise<void>((res) => {
              closed = res;
              worker.postMessage({ type: 'close' });
              setTimeout(() => void worker.terminate().then(() => res()), 2000).unref();
            }),
        });
      } else if (m.type === 'bind-error') {
        void worker.terminate();
        reject(Object.assign(new Error(String(m.message)), { code: m.code }));
      } else if (m.type === 'socket-error') {
        logger?.error({ code: m.code, message: m.message }, 'UDP socket error (receive thread)');
      }
    });
  });
}
