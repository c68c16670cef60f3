/**
 * Child process for snmp-capacity.bench (and others): hosts N simulated agents of
 * PORTS interfaces (argv[3], default 24; system group + ifTable + ifXTable HC) on 127.S.x.y (S: argv[4], default 88), prints
 * `{"port":P,"addresses":[...]}` once listening, runs until stdin closes.
 */
import { startFleet } from '../integration/snmp/sim-fleet.js';

const n = Number(process.argv[2] ?? 1000);
const ports = Number(process.argv[3] ?? 24);
const fleet = await startFleet(
  Array.from({ length: n }, (_, i) => ({ sysName: `sim-${i}`, ports, bytesPerSec: 125_000, hc: true })),
  Number(process.argv[4] ?? 88),
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
