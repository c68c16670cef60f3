/**
 * Child process for the poll-capacity-templates bench: hosts N simulated agents
 * (argv[2], default 1000) of PORTS interfaces (argv[3], default 24; system group,
 * ifTable, ifXTable HC) on 127.89.x.y, each also answering ENTITY-SENSOR (SENSORS
 * rows, argv[4], default 8), RMON etherStats (RMON rows, argv[5], default 8),
 * CISCO-PROCESS and CISCO-ENVMON tables (test/bench/lib/template-tables.ts).
 * argv[6]: the second octet of the addresses (default 89), so several hosts can run side by side.
 * Prints `{"port":P,"addresses":[...]}` once listening, runs until stdin closes.
 */
import { startFleet } from '../integration/snmp/sim-fleet.js';
import { addTemplateTables } from './lib/template-tables.js';

const n = Number(process.argv[2] ?? 1000);
const ports = Number(process.argv[3] ?? 24);
const sensors = Number(process.argv[4] ?? 8);
const rmonRows = Number(process.argv[5] ?? 8);
const subnet = Number(process.argv[6] ?? 89);
const fleet = await startFleet(
  Array.from({ length: n }, (_, i) => ({ sysName: `sim-${i}`, ports, bytesPerSec: 125_000, hc: true })),
  subnet,
);
const extra = fleet.agents.map((a) => addTemplateTables(a, { sensors, rmonRows }));
// The agents have been up an hour: their sysUpTime only moves every 20 s (the tick), and a young
// agent whose up-time stands still would look rebooted to the poller (counters reset, rediscovery).
const UP_S = 3600;
const t0 = Date.now() - UP_S * 1000;
fleet.agents.forEach((a, i) => {
  a.setTime(UP_S);
  extra[i]!.setTime(UP_S);
});
// Counters move with real time so every poll sees fresh values.
const tick = setInterval(() => {
  const t = (Date.now() - t0) / 1000;
  fleet.agents.forEach((a, i) => {
    a.setTime(t);
    extra[i]!.setTime(t);
  });
}, 20_000);
console.log(JSON.stringify({ port: fleet.port, addresses: fleet.agents.map((a) => a.spec.address) }));
process.stdin.resume();
process.stdin.on('end', async () => {
  clearInterval(tick);
  await fleet.close();
  process.exit(0);
});
