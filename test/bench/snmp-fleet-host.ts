/**
 * Child process for snmp-capacity.bench: hosts N simulated 24-port agents
 * (system group + ifTable + ifXTable HC) on 127.88.x.y, prints
 * `{"port":P,"addresses":[...]}` once listening, runs until stdin closes.
 */
import { startFleet } from '../integration/snmp/sim-fleet.js';

const n = Number(process.argv[2] ?? 1000);
const fleet = await startFleet(
  Array.from({ length: n }, (_, i) => ({ sysName: `sim-${i}`, ports: 24, bytesPerSec: 125_000, hc: true })),
  88,
);
const t0 = Date.now();
// Counters move with real time so every poll sees fresh values.
const tick = setInterval(() => {
  const t = (Date.now() - t0) / 1000;
  for (const a of fleet.agents) a.setTime(t);
}, 20_000);
console.log(JSON.stringify({ port: fleet.port, addresses: fleet.agents.map((a) => a.spec.address) }));
process.stdin.resume();
process.stdin.on('end', async () => {
  clearInterval(tick);
  await fleet.close();
  process.exit(0);
});
