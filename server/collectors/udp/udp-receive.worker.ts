/**
 * UDP receive thread: binds one socket (bindUdp: big buffer, privileged-port
 * fallback) and does nothing but drain it, so the kernel buffer empties even
 * while the main thread is parsing or descheduled. Datagrams are copied into
 * one transferable block every few milliseconds (or per 1,000) and posted to the main
 * thread. Protocol: see udp-thread-socket.ts.
 */
import type dgram from 'node:dgram';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { bindUdp, type BindUdpOptions } from './bind-udp.js';

const port = parentPort!;
const { priority, ...opts } = workerData as Omit<BindUdpOptions, 'logger'> & { priority?: number | null };

/**
 * Raises this thread's scheduling priority (a nice value; on Linux it is per
 * thread), like rsyslog's imudp SchedulingPriority: under CPU contention the
 * thread that empties the kernel buffer runs first and parsing/storing waits
 * in the bounded queue. Needs root or CAP_SYS_NICE; refused is reported, not fatal.
 */
function raisePriority(): { applied: number | null; error: string | null } {
  if (priority === undefined || priority === null || priority === 0) return { applied: null, error: null };
  try {
    setPriority(priority);
    return { applied: priority, error: null };
  } catch (err) {
    return { applied: null, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}
const prio = raisePriority();
const MAX_BATCH = 1000;
/**
 * A batch is posted at most this long after its first datagram. Posting every
 * loop turn instead meant one message per few datagrams at moderate rates,
 * which cost more than the receiving itself in both threads.
 */
const FLUSH_MS = 5;

// The batch being filled. Per datagram only typed-array slots and an address
// index: the sender addresses go over once per batch (a flood comes from few
// senders), so posting does not clone a thousand strings.
let chunks: Buffer[] = [];
let addrIdx = new Uint16Array(MAX_BATCH);
let ports = new Uint16Array(MAX_BATCH);
let times = new Float64Array(MAX_BATCH);
let addrList: string[] = [];
let addrMap = new Map<string, number>();
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
  const m = { type: 'batch', block: block.buffer, lens: lens.buffer, addrList, addrIdx: addrIdx.buffer, ports: ports.buffer, at: times.buffer };
  port.postMessage(m, [block.buffer, lens.buffer, addrIdx.buffer, ports.buffer, times.buffer]);
  chunks = [];
  addrIdx = new Uint16Array(MAX_BATCH);
  ports = new Uint16Array(MAX_BATCH);
  times = new Float64Array(MAX_BATCH);
  addrList = [];
  addrMap = new Map();
  bytes = 0;
}

const warnings: string[] = [];
let socket: dgram.Socket | null = null;
try {
  const b = await bindUdp({ ...opts, logger: { warn: (_o: unknown, msg?: string) => void warnings.push(String(msg ?? _o)) } as never });
  socket = b.socket;
  socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
    const i = chunks.length;
    chunks.push(msg);
    let a = addrMap.get(rinfo.address);
    if (a === undefined) {
      a = addrList.push(rinfo.address) - 1;
      addrMap.set(rinfo.address, a);
    }
    addrIdx[i] = a;
    ports[i] = rinfo.port;
    times[i] = Date.now();
    bytes += msg.length;
    if (chunks.length >= MAX_BATCH) flush();
    else if (!scheduled) {
      scheduled = true;
      setTimeout(flush, FLUSH_MS);
    }
  });
  socket.on('error', (err) => port.postMessage({ type: 'socket-error', message: err.message, code: (err as NodeJS.ErrnoException).code }));
  port.postMessage({ type: 'ready', boundPort: b.boundPort, fallback: b.fallback, recvBufferSize: b.recvBufferSize, message: b.message, warnings, priority: prio.applied, priorityError: prio.error });
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
