import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs';

/** A free UDP port on 127.0.0.1 for a reference daemon. */
export function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

/** Counts one marker byte in a file that only grows, reading only what is new each call. */
export function markerCounter(file: string, marker: number): () => number {
  let seen = 0;
  let offset = 0;
  const buf = Buffer.alloc(1 << 20);
  return () => {
    if (!existsSync(file)) return 0;
    const size = statSync(file).size;
    if (size > offset) {
      const fd = openSync(file, 'r');
      while (offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset);
        if (n <= 0) break;
        for (let i = 0; i < n; i++) if (buf[i] === marker) seen++;
        offset += n;
      }
      closeSync(fd);
    }
    return seen;
  };
}

export interface FileReference {
  port: number;
  /** Messages written since the daemon was ready. */
  count(): number;
  busy(): boolean;
  stop(): Promise<void>;
}

/**
 * A reference daemon (rsyslogd, snmptrapd) already spawned, listening on `port`
 * and writing one `marker` byte per message to `out`. Ready once a probe
 * datagram shows up in the file (at most 10 s); counts from there. `stop` ends
 * it and removes `dir`.
 */
export async function fileReference(o: { child: ChildProcess; dir: string; out: string; port: number; marker: number; probe: Buffer }): Promise<FileReference> {
  const count = markerCounter(o.out, o.marker);
  const probe = dgram.createSocket('udp4');
  const t0 = Date.now();
  while (count() === 0 && Date.now() - t0 < 10_000) {
    probe.send(o.probe, o.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 100));
  }
  probe.close();
  await new Promise((r) => setTimeout(r, 300));
  const base = count();
  return {
    port: o.port,
    count: () => count() - base,
    busy: () => false,
    async stop() {
      o.child.kill('SIGTERM');
      await new Promise((r) => o.child.once('exit', r));
      rmSync(o.dir, { recursive: true, force: true });
    },
  };
}
