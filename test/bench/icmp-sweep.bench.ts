/**
 * ICMP sweep of 1,000 loopback addresses (127.0.1.1 ... 127.0.4.232):
 * IcmpPinger.pingMany (fping batch, one echo per host) ÷ `fping -c1 -i1`
 * over the same list, same run, median of 5 alternating runs. Also counts
 * false losses (a loopback address always answers). Target ratio ≤ 1.25.
 */
import { spawn } from 'node:child_process';
import { IcmpPinger } from '../../server/collectors/icmp/icmp.pinger.js';

const addrs: string[] = [];
for (let i = 0; addrs.length < 1000; i++) addrs.push(`127.0.${1 + Math.floor(i / 250)}.${(i % 250) + 1}`);

function refRun(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('/usr/bin/fping', ['-c1', '-i1', '-q', ...addrs], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', () => resolve(performance.now() - t0));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pinger = new IcmpPinger();
const ours: number[] = [];
const ref: number[] = [];
let falseLosses = 0;
for (let run = 0; run < 5; run++) {
  const order = run % 2 === 0 ? ['ours', 'ref'] : ['ref', 'ours'];
  for (const who of order) {
    if (who === 'ref') ref.push(await refRun());
    else {
      const t0 = performance.now();
      const res = await pinger.pingMany(addrs, { count: 1, intervalMs: 1, periodMs: 1, timeoutMs: 500 });
      ours.push(performance.now() - t0);
      falseLosses += res.filter((r) => r.received === 0).length;
    }
  }
}
const o = median(ours);
const r = median(ref);
console.log(JSON.stringify({ bench: 'icmp-sweep', hosts: addrs.length, backend: pinger.backend, ours_ms: Math.round(o), fping_ms: Math.round(r), ratio: Math.round((o / r) * 100) / 100, false_losses: falseLosses, target_ratio: 1.25 }));
