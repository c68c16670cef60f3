import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ListenerStatus } from '../../../server/contracts/dto.js';

/** Two consecutive ports free for UDP and TCP on 127.0.0.1. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ok = await Promise.all([base, base + 1].flatMap((p) => [
      new Promise<boolean>((res) => {
        const s = dgram.createSocket('udp4');
        s.once('error', () => res(false));
        s.bind(p, '127.0.0.1', () => s.close(() => res(true)));
      }),
      new Promise<boolean>((res) => {
        const s = net.createServer();
        s.once('error', () => res(false));
        s.listen(p, '127.0.0.1', () => s.close(() => res(true)));
      }),
    ]));
    if (ok.every(Boolean)) return base;
  }
}

describe('privileged-port fallback', () => {
  it('binds 1514-style fallback ports with a warning when 514/162 are refused (EACCES)', async () => {
    const fb = await freePortPair();
    const child = fileURLToPath(new URL('./privileged-fallback.child.ts', import.meta.url));
    const node = [process.execPath, '--import', 'tsx', child, String(fb)];
    // As root, drop to nobody so the kernel refuses ports below 1024.
    const [cmd, ...args] = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(cmd!, args, { timeout: 30_000, cwd: fileURLToPath(new URL('../../..', import.meta.url)) }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
    );
    const { statuses, warnings } = JSON.parse(out.trim().split('\n').at(-1)!) as { statuses: ListenerStatus[]; warnings: string[] };
    // Found by what they are, not by name, so listener names may change.
    const by = (n: 'syslog-udp' | 'syslog-tcp' | 'trap-udp') => {
      const [kind, protocol] = n.split('-') as [string, string];
      return statuses.find((s) => s.name.startsWith(kind) && s.protocol === protocol && s.address === '127.0.0.1')!;
    };
    const fallbackLines = (ws: string[]) => ws.filter((w) => /fallback|instead/.test(w));
    let unprivilegedStart = 1024;
    try {
      unprivilegedStart = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    } catch {
      // not Linux: ports below 1024 are privileged
    }
    if (unprivilegedStart <= 162) {
      // This host lets anyone bind 162/514 (some container runtimes): no EACCES, so no fallback.
      for (const s of statuses) expect(s.state === 'listening' || /EADDRINUSE/.test(s.message ?? '')).toBe(true);
      expect(fallbackLines(warnings)).toHaveLength(0);
      return;
    }
    expect(by('syslog-udp')).toMatchObject({ state: 'fallback', requestedPort: 514, boundPort: fb });
    expect(by('syslog-tcp')).toMatchObject({ state: 'fallback', requestedPort: 514, boundPort: fb });
    expect(by('trap-udp')).toMatchObject({ state: 'fallback', requestedPort: 162, boundPort: fb + 1 });
    expect(by('syslog-udp').message).toMatch(/EACCES|CAP_NET_BIND_SERVICE/);
    // One warning per refused port (not per socket or retry).
    expect(fallbackLines(warnings)).toHaveLength(3);
  });
});
