import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';

const SENDER = fileURLToPath(new URL('./paced-udp-sender.cjs', import.meta.url));

export interface SendResult {
  sent: number;
  elapsedMs: number;
}

export interface SenderOptions {
  /** A nice value: raises the sender when allowed (see runPacedSender). */
  priority?: number;
  /** Local source addresses; packet i of the file is sent from from[i % from.length]. */
  from?: string[];
  /** Start at this packet of the file (a run continuing where the last one stopped). */
  offset?: number;
}

export interface RunningSender {
  /** Resolves when the sender has sent everything, or once stopped with what it sent. */
  done: Promise<SendResult>;
  /** SIGTERM: the sender reports what it sent so far and exits. */
  stop(): void;
}

/** Writes packets in the sender's format ([u16 length][bytes] each). */
export function writePacketFile(file: string, packets: Buffer[]): void {
  writeFileSync(file, Buffer.concat(packets.flatMap((p) => [Buffer.from([p.length >> 8, p.length & 0xff]), p])));
}

/** Starts one sender process: `rate` packets/s from `file` to 127.0.0.1:port for `ms` (or until stopped). */
export function startPacedSender(file: string, port: number, rate: number, ms: number, opts: SenderOptions = {}): RunningSender {
  const extra = [...(opts.from?.length ? [`--from=${opts.from.join(',')}`] : []), ...(opts.offset ? [`--offset=${opts.offset}`] : [])];
  const child = spawn(process.execPath, [SENDER, file, String(port), String(rate), String(ms), ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  if (opts.priority && child.pid !== undefined) {
    try {
      setPriority(child.pid, opts.priority);
    } catch {
      // Not allowed (no CAP_SYS_NICE): the sender runs at normal priority.
    }
  }
  const done = new Promise<SendResult>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    // 'close', not 'exit': the exit can be reported before the last stdout bytes are read.
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as SendResult) : reject(new Error(`sender exited ${code}`))));
  });
  return { done, stop: () => void child.kill('SIGTERM') };
}

/**
 * One sender process: `rate` packets/s from `file` to 127.0.0.1:port for `ms`.
 * `priority` (a nice value) raises the sender when allowed, so a receiver that
 * takes all the CPU cannot slow its own load down: it has to keep up or lose.
 */
export function runPacedSender(file: string, port: number, rate: number, ms: number, priority = 0): Promise<SendResult> {
  return startPacedSender(file, port, rate, ms, { priority }).done;
}

/**
 * `senders` processes at rate/senders each (one Node process cannot send much
 * beyond ~150,000 datagrams/s). Achieved rate = all sent / the longest sender's time.
 */
export async function runPacedSenders(file: string, port: number, rate: number, ms: number, senders = 1, priority = 0): Promise<SendResult> {
  const rs = await Promise.all(Array.from({ length: senders }, () => runPacedSender(file, port, rate / senders, ms, priority)));
  return { sent: rs.reduce((a, r) => a + r.sent, 0), elapsedMs: Math.max(...rs.map((r) => r.elapsedMs)) };
}
