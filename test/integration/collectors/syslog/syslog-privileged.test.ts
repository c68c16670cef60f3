import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ListenerStatus } from '../../../../server/contracts/dto.js';
import { ipv6Available } from '../../../../server/collectors/udp/bind-udp.js';

/** A port free for UDP and TCP on 127.0.0.1 (and ::1 when asked). */
async function freePort(v6: boolean): Promise<number> {
  const hosts = v6 ? ['127.0.0.1', '::1'] : ['127.0.0.1'];
  for (;;) {
    const p = 20_000 + Math.floor(Math.random() * 30_000);
    const ok = await Promise.all(hosts.flatMap((h) => [
      new Promise<boolean>((res) => {
        const s = dgram.createSocket(h.includes(':') ? 'udp6' : 'udp4');
        s.once('error', () => res(false));
        s.bind(p, h, () => s.close(() => res(true)));
      }),
      new Promise<boolean>((res) => {
        const s = net.createServer();
        s.once('error', () => res(false));
        s.listen(p, h, () => s.close(() => res(true)));
      }),
    ]));
    if (ok.every(Boolean)) return p;
  }
}

function unprivilegedPortStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
  } catch {
    return 1024;
  }
}

describe('syslog on 514 as an unprivileged user', () => {
  it('falls back to the fallback port on every socket (receive threads too) and says so once per port and protocol', async () => {
    const v6 = await ipv6Available();
    const fb = await freePort(v6);
    const child = fileURLToPath(new URL('./syslog-privileged.child.ts', import.meta.url));
    const node = [process.execPath, '--import', 'tsx', child, String(fb), v6 ? 'v6' : 'v4'];
    // As root, drop to nobody so the kernel refuses ports below 1024.
    const [cmd, ...args] = process.getuid?.() === 0 ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...node] : node;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(cmd!, args, { timeout: 45_000, cwd: fileURLToPath(new URL('../../../..', import.meta.url)) }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
    );
    const { statuses, warnings } = JSON.parse(out.trim().split('\n').at(-1)!) as { statuses: ListenerStatus[]; warnings: string[] };
    const active = statuses.filter((s) => s.state !== 'disabled');
    if (unprivilegedPortStart() <= 514) {
      // This host lets anyone bind 514 (some container runtimes): nothing to fall back from.
      expect(warnings.filter((w) => / instead$/.test(w))).toHaveLength(0);
      return;
    }
    expect(active.map((s) => s.name).sort()).toEqual((v6 ? ['syslog-tcp', 'syslog-tcp6', 'syslog-udp', 'syslog-udp6'] : ['syslog-tcp', 'syslog-udp']).sort());
    for (const s of active) expect(s).toMatchObject({ state: 'fallback', requestedPort: 514, boundPort: fb });
    expect(active.find((s) => s.name === 'syslog-udp')!.message).toBe(`cannot bind 514/udp (needs root or CAP_NET_BIND_SERVICE), listening on ${fb} instead`);
    expect(warnings.filter((w) => / instead$/.test(w)).sort()).toEqual([
      `cannot bind 514/tcp (needs root or CAP_NET_BIND_SERVICE), listening on ${fb} instead`,
      `cannot bind 514/udp (needs root or CAP_NET_BIND_SERVICE), listening on ${fb} instead`,
    ]);
  });
});
