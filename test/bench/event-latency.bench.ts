/**
 * End-to-end latency: at a paced 1,000 syslog messages/s, the time from the
 * datagram being sent to the event reaching a socket.io client (the live
 * console's path: listener -> bus -> rules -> store -> socket push).
 * Reference: loopback UDP one-way time (send -> a plain dgram socket) in the
 * same run. Target p99 < 250 ms.
 */
import dgram from 'node:dgram';
import { io } from 'socket.io-client';
import { login, startTestServer } from '../helpers/server.js';

const RATE = 1000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

const srv = await startTestServer();
const port = ((await (await fetch(`${srv.url}/api/v1/health`)).json()) as { ports: { syslog: number } }).ports.syslog;
const { cookie } = await login(srv.url, 'admin', srv.adminPassword);
const socket = io(srv.url, { transports: ['websocket'], extraHeaders: { cookie } });
await new Promise<void>((resolve, reject) => {
  socket.once('connect', () => resolve());
  socket.once('connect_error', reject);
});

const sentAt = new Map<number, number>();
const latencies: number[] = [];
socket.on('events.new', (batch: { message: string }[]) => {
  const now = performance.now();
  for (const e of batch) {
    const m = /latency-probe (\d+)/.exec(e.message);
    if (!m) continue;
    const t = sentAt.get(Number(m[1]));
    if (t !== undefined) latencies.push(now - t);
  }
});

async function pace(send: (i: number) => void): Promise<number> {
  const total = RATE * SECONDS;
  const t0 = performance.now();
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * RATE) / 1000));
    while (i < due) send(i++);
    await new Promise((r) => setTimeout(r, 1));
  }
  return total;
}

const sender = dgram.createSocket('udp4');
const total = await pace((i) => {
  sentAt.set(i, performance.now());
  sender.send(`<134>1 ${new Date().toISOString()} bench app - PROBE - latency-probe ${i}`, port, '127.0.0.1');
});
for (let w = 0; w < 100 && latencies.length < total; w++) await new Promise((r) => setTimeout(r, 100));

// Reference: the same pacing, to a plain UDP socket in this process.
const ref: number[] = [];
const plain = dgram.createSocket('udp4');
const refSent = new Map<number, number>();
plain.on('message', (m) => {
  const t = refSent.get(Number(m.toString()));
  if (t !== undefined) ref.push(performance.now() - t);
});
await new Promise<void>((r) => plain.bind(0, '127.0.0.1', () => r()));
const refPort = plain.address().port;
await pace((i) => {
  refSent.set(i, performance.now());
  sender.send(String(i), refPort, '127.0.0.1');
});
await new Promise((r) => setTimeout(r, 500));

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? NaN) * 10) / 10;
};
console.log(
  JSON.stringify({
    bench: 'event-latency', metric: 'syslog_to_socket_p99_ms', value: pct(latencies, 0.99), p50: pct(latencies, 0.5), max: pct(latencies, 1),
    received: latencies.length, sent: total, rate: RATE, reference_udp_p99_ms: pct(ref, 0.99), target: '< 250',
  }),
);
socket.close();
sender.close();
plain.close();
await srv.stop();
