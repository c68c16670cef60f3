/**
 * INFORM acknowledgement latency: a real server process (its own data dir,
 * free ports), 16 net-snmp sessions sending v2c INFORMs at a paced total rate;
 * the time from sending an INFORM to its Response arriving. Since INFORMs are
 * acknowledged only once their event is committed, this is receive + queue +
 * the writer's interval (20 ms) + the store thread's commit.
 * BENCH_RATE (default 200/s), BENCH_SECONDS (default 10).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snmp from 'net-snmp';
import { startServerProcess } from '../helpers/server-process.js';

const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SESSIONS = 16;

const dataDir = mkdtempSync(join(tmpdir(), 'nw-bench-inform-'));
const srv = await startServerProcess(dataDir, { NMS_ADMIN_PASSWORD: 'bench-admin-pw' });
// Start measuring once the MIB dictionary has loaded (a cold compile takes the CPU for a while).
for (let i = 0; i < 1200 && !srv.output().includes('"MIBs: '); i++) await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => setTimeout(r, 1000));
const health = (await (await fetch(`${srv.url}/api/v1/health`)).json()) as { ports: { trap: number } };
const sessions = Array.from({ length: SESSIONS }, () =>
  snmp.createSession('127.0.0.1', 'public', { trapPort: health.ports.trap, version: snmp.Version2c, timeout: 5000, retries: 0 }),
);

const latencies: number[] = [];
let failed = 0;
let outstanding = 0;
const total = RATE * SECONDS;
const t0 = performance.now();
for (let i = 0; i < total; ) {
  const due = Math.min(total, Math.floor(((performance.now() - t0) * RATE) / 1000));
  for (; i < due; i++) {
    const sentAt = performance.now();
    outstanding++;
    const varbinds = [{ oid: '1.3.6.1.4.1.99.78.1', type: snmp.ObjectType.OctetString, value: `bench-${i}` }];
    (sessions[i % SESSIONS] as unknown as { inform: (oid: string, vbs: unknown[], cb: (err: Error | null) => void) => void }).inform('1.3.6.1.4.1.99.0.78', varbinds, (err) => {
      outstanding--;
      if (err) failed++;
      else latencies.push(performance.now() - sentAt);
    });
  }
  await new Promise((r) => setTimeout(r, 1));
}
while (outstanding > 0) await new Promise((r) => setTimeout(r, 20));

latencies.sort((a, b) => a - b);
const q = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN).toFixed(1));
process.stdout.write(
  `${JSON.stringify({ bench: 'inform-ack', rate: RATE, seconds: SECONDS, sessions: SESSIONS, sent: total, acknowledged: latencies.length, failed, p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), max_ms: q(1) })}\n`,
);
for (const s of sessions) s.close();
await srv.stop();
rmSync(dataDir, { recursive: true, force: true });
