// Paced UDP sender for the intake benches, plain JS so it starts in ~50 ms.
//   node paced-udp-sender.cjs PACKETS_FILE PORT RATE DURATION_MS [--from=ADDR,ADDR,...] [--offset=N]
// PACKETS_FILE holds packets as [u16 big-endian length][bytes], sent round-robin to 127.0.0.1:PORT.
// --from: local source addresses (e.g. 127.0.1.1,127.0.1.2: any 127/8 address is local on Linux);
//   packet i of the file is always sent from address i % count, so a packet that names a device
//   comes from that device's address (the server resolves senders by address).
// --offset: the first packet sent is packet OFFSET % count (a run continues where the last stopped).
// Pacing: every millisecond timer tick sends what is due by then (a burst of RATE/1000), then
// sleeps. It does not spin: a spinning sender eats a core the receiver under test needs, which
// real senders (other machines) never do. The socket is connected: an unconnected send resolves
// the address on every call, which cost ~20% more CPU per datagram (0.97 vs 0.79 s for 93,750).
// Prints {"sent":n,"elapsedMs":t} when done, or at once on SIGTERM (then exits).
'use strict';
const dgram = require('node:dgram');
const fs = require('node:fs');

const args = process.argv.slice(2);
const flag = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const [file, port, rate, ms] = args.filter((a) => !a.startsWith('--'));
const from = (flag('from') ?? '127.0.0.1').split(',').filter(Boolean);
const offset = Number(flag('offset') ?? 0);

const raw = fs.readFileSync(file);
const pool = [];
for (let o = 0; o < raw.length; ) {
  const n = raw.readUInt16BE(o);
  pool.push(raw.subarray(o + 2, o + 2 + n));
  o += 2 + n;
}
const total = Math.round((Number(rate) * Number(ms)) / 1000);
let start = 0;
let end = 0;
let sent = 0;
let finished = false;
const socks = from.map(() => {
  const s = dgram.createSocket('udp4');
  s.on('error', () => {});
  return s;
});

function finish() {
  if (finished) return;
  finished = true;
  const elapsedMs = start ? (end || performance.now()) - start : 0;
  for (const s of socks) s.close();
  process.stdout.write(JSON.stringify({ sent, elapsedMs }));
}
process.on('SIGTERM', () => {
  finish();
  process.exitCode = 0;
});

const tick = () => {
  if (finished) return;
  const due = Math.min(total, Math.floor(((performance.now() - start) * Number(rate)) / 1000));
  while (sent < due) {
    const i = (offset + sent++) % pool.length;
    socks[i % socks.length].send(pool[i]);
  }
  if (sent < total) return void setTimeout(tick, 1);
  end = performance.now();
  setTimeout(finish, 50);
};

let ready = 0;
for (const [k, s] of socks.entries()) {
  s.bind({ address: from[k], port: 0 }, () =>
    s.connect(Number(port), '127.0.0.1', () => {
      if (++ready < socks.length) return;
      start = performance.now();
      tick();
    }),
  );
}
