/**
 * Syslog parse speed: messages/s through parseSyslog (pure, one core) for the
 * real-world corpus mix and for a typical ~200 B RFC 5424 line. The reference
 * is the cost of just decoding the same buffers to strings (Buffer#toString),
 * the floor any parser pays.
 *
 *   npx tsx test/bench/syslog-parse.bench.ts
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseSyslog } from '../../server/collectors/syslog/syslog.parser.js';

const corpus = JSON.parse(readFileSync(new URL('../fixtures/syslog/corpus.json', import.meta.url), 'utf8')) as { cases: { raw?: string; rawBase64?: string }[] };
const mixed = corpus.cases.map((c) => (c.rawBase64 !== undefined ? Buffer.from(c.rawBase64, 'base64') : Buffer.from(c.raw ?? '')));
// 1,024 distinct ms-precision timestamps, so the parser's same-second cache does not flatter the figure.
const rfc5424 = Array.from({ length: 1024 }, (_, i) =>
  Buffer.from(`<134>1 2024-06-15T11:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z edge-router-7.example.net bench 4242 SEQ [meta@32473 seq="${i}" site="dc1"] %LINK-3-UPDOWN: Interface GigabitEthernet0/7, changed state to down (bench message padding)`),
);
const rfc3164 = [Buffer.from('<187>000123: router1: Jun 15 11:59:00.123 UTC: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down')];

/** Messages per second of CPU time (robust on a shared, loaded machine) and per wall second. */
function rate(bufs: Buffer[], fn: (b: Buffer) => unknown, ms = 1500): { cpu: number; wall: number } {
  for (let i = 0; i < 20_000; i++) fn(bufs[i % bufs.length]!); // warm up
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 5000; i++) fn(bufs[(n + i) % bufs.length]!);
    n += 5000;
    t = performance.now();
  }
  const c = process.cpuUsage(c0);
  return { cpu: Math.round((n / (c.user + c.system)) * 1e6), wall: Math.round((n / (t - t0)) * 1000) };
}

const origin = { receivedAt: Date.now(), sourceAddress: '127.0.0.1' };
for (const [name, bufs] of [['corpus-mix', mixed], ['rfc5424-200B', rfc5424], ['cisco-3164', rfc3164]] as const) {
  const v = rate(bufs, (b) => parseSyslog(b, origin));
  const r = rate(bufs, (b) => b.toString('utf8'));
  process.stdout.write(JSON.stringify({
    bench: 'syslog-parse', case: name, metric: 'msg_per_cpu_s', value: v.cpu, wallMsgPerS: v.wall, reference: r.cpu, referenceName: 'Buffer#toString only',
    ratio: Math.round((v.cpu / r.cpu) * 1000) / 1000, target: name === 'rfc5424-200B' ? '> 300000' : undefined, loadAvg1m: Math.round(loadavg()[0]! * 100) / 100,
  }) + '\n');
}
