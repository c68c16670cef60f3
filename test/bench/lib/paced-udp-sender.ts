import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SENDER = fileURLToPath(new URL('./paced-udp-sender.cjs', import.meta.url));

export interface SendResult {
  sent: number;
  elapsedMs: number;
}

/** Writes packets in the sender's format ([u16 length][bytes] each). */
export function writePacketFile(file: string, packets: Buffer[]): void {
  writeFileSync(file, Buffer.concat(packets.flatMap((p) => [Buffer.from([p.length >> 8, p.length & 0xff]), p])));
}

/** One sender process: `rate` packets/s from `file` to 127.0.0.1:port for `ms`. */
export function runPacedSender(file: string, port: number, rate: number, ms: number): Promise<SendResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SENDER, file, String(port), String(rate), String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as SendResult) : reject(new Error(`sender exited ${code}`))));
  });
}

/**
 * `senders` processes at rate/senders each (one Node process cannot send much
 * beyond ~150,000 datagrams/s). Achieved rate = all sent / the longest sender's time.
 */
export async function runPacedSenders(file: string, port: number, rate: number, ms: number, senders = 1): Promise<SendResult> {
  const rs = await Promise.all(Array.from({ length: senders }, () => runPacedSender(file, port, rate / senders, ms)));
  return { sent: rs.reduce((a, r) => a + r.sent, 0), elapsedMs: Math.max(...rs.map((r) => r.elapsedMs)) };
}
