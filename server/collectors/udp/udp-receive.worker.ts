/**
 * UDP receive thread: binds one socket (bindUdp: big buffer, privileged-port
 * fallback) and does nothing but drain it, so the kernel buffer empties even
 * while the main thread is parsing or descheduled. Datagrams are copied into
 * one transferable block per loop turn (or per 1,000) and posted to the main
 * thread. Protocol: see udp-thread-socket.ts.
 */
import type dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { bindUdp, type BindUdpOptions } from './bind-udp.js';

const port = parentPort!;
const opts = workerData as Omit<BindUdpOptions, 'logger'>;
const MAX_BATCH = 1000;

let chunks: Buffer[] = [];
let addrs: string[] = [];
let ports: number[] = [];
let times: number[] = [];
let bytes = 0;
let scheduled = false;

function flush(): void {
  scheduled = false;
  const n = chunks.length;
  if (n === 0) return;
  const block = new Uint8Array(bytes);
  const lens = new Uint32Array(n);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const c = chunks[i]!;
    block.set(c, off);
    off += c.length;
    lens[i] = c.length;
  }
  const at = Float64Array.from(times);
  port.postMessage({ type: 'batch', block: block.buffer, lens: lens.buffer, addrs, ports, at: at.buffer }, [block.buffer, lens.buffer, at.buffer]);
  chunks = [];
  addrs = [];
  ports = [];
  times = [];
  bytes = 0;
}

const warnings: string[] = [];
let socket: dgram.Socket | null = null;
try {
  const b = await bindUdp({ ...opts, logger: { warn: (_o: unknown, msg?: string) => void warnings.push(String(msg ?? _o)) } as never });
  socket = b.socket;
  socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
    chunks.push(msg);
    addrs.push(rinfo.address);
    ports.push(rinfo.port);
    times.push(Date.now());
    bytes += msg.length;
    if (chunks.length >= MAX_BATCH) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  socket.on('error', (err) => port.postMessage({ type: 'socket-error', message: err.message, code: (err as NodeJS.ErrnoException).code }));
  port.postMessage({ type: 'ready', boundPort: b.boundPort, fallback: b.fallback, recvBufferSize: b.recvBufferSize, message: b.message, warnings });
} catch (err) {
  port.postMessage({ type: 'bind-error', message: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
}

port.on('message', (m: { type: string }) => {
  if (m.type !== 'close') return;
  flush();
  const done = () => {
    port.postMessage({ type: 'closed' });
    port.close();
  };
  if (socket) socket.close(done);
  else done();
});
