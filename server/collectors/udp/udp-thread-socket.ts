import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
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
  bound: Omit<BoundUdp, 'socket'>;
  close(): Promise<void>;
}

interface Batch {
  type: 'batch';
  block: ArrayBuffer;
  lens: ArrayBuffer;
  addrs: string[];
  ports: number[];
  at: ArrayBuffer;
}

function startWorker(workerData: unknown): Worker {
  const fromTs = import.meta.url.endsWith('.ts');
  const url = new URL(fromTs ? './udp-receive.worker.ts' : './udp-receive.worker.js', import.meta.url);
  if (!fromTs) return new Worker(url, { workerData });
  // From TypeScript sources (vitest, tsx) the worker first registers tsx's loader.
  const req = createRequire(import.meta.url);
  const pkgPath = req.resolve('tsx/package.json');
  const pkg = req(pkgPath) as { exports: Record<string, { import: { default: string } }> };
  const tsxApi = new URL(pkg.exports['./esm/api']!.import.default, pathToFileURL(pkgPath)).href;
  return new Worker(`import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true, workerData });
}

export function openUdpThreadSocket(opts: Omit<BindUdpOptions, 'logger'> & { logger?: Logger }, onMessage: ThreadMessageHandler): Promise<UdpThreadSocket> {
  const { logger, ...data } = opts;
  const worker = startWorker(data);
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
        let off = 0;
        for (let i = 0; i < lens.length; i++) {
          const len = lens[i]!;
          onMessage(Buffer.from(b.block, off, len), b.addrs[i]!, b.ports[i]!, at[i]!);
          off += len;
        }
      } else if (m.type === 'ready') {
        // Once per process, not once per thread (IPv4 and IPv6 each have one).
        for (const w of (m.warnings as string[]) ?? []) warnFallbackOnce(logger, w, { host: opts.host, port: opts.port });
        resolve({
          bound: { boundPort: m.boundPort as number, fallback: m.fallback as boolean, recvBufferSize: m.recvBufferSize as number, message: (m.message as string | null) ?? null },
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
