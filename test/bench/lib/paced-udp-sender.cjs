// Paced UDP sender for the intake benches, plain JS so it starts in ~50 ms.
//   node paced-udp-sender.cjs PACKETS_FILE PORT RATE DURATION_MS
// PACKETS_FILE holds packets as [u16 big-endian length][bytes], sent round-robin to 127.0.0.1:PORT.
// Pacing: every millisecond timer tick sends what is due by then (a burst of RATE/1000), then
// sleeps. It does not spin: a spinning sender eats a core the receiver under test needs, which
// real senders (other machines) never do. The socket is connected: an unconnected send resolves
// the address on every call, which cost ~20% more CPU per datagram (0.97 vs 0.79 s for 93,750).
// Prints {"sent":n,"elapsedMs":t} when done.
'use strict';
const dgram = require('node:dgram');
const fs = require('node:fs');

const [file, port, rate, ms] = process.argv.slice(2);
const raw = fs.readFileSync(file);
const pool = [];
for (let o = 0; o < raw.length; ) {
  const n = raw.readUInt16BE(o);
  pool.push(raw.subarray(o + 2, o + 2 + n));
  o += 2 + n;
}
const sock = dgram.createSocket('udp4');
sock.on('error', () => {});
const total = Math.round((Number(rate) * Number(ms)) / 1000);
let start = 0;
let sent = 0;
const tick = () => {
  const due = Math.min(total, Math.floor(((performance.now() - start) * Number(rate)) / 1000));
  while (sent < due) sock.send(pool[sent++ % pool.length]);
  if (sent < total) return void setTimeout(tick, 1);
  const elapsedMs = performance.now() - start;
  setTimeout(() => {
    sock.close();
    process.stdout.write(JSON.stringify({ sent, elapsedMs }));
  }, 50);
};
sock.connect(Number(port), '127.0.0.1', () => {
  start = performance.now();
  tick();
});
