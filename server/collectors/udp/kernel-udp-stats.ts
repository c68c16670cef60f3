import { readFileSync } from 'node:fs';

/**
 * The kernel's UDP drop counters for this network namespace: datagrams dropped
 * because a socket's receive buffer was full (`RcvbufErrors`). They are
 * host-wide (all UDP sockets), not per socket: a rise while we are the only
 * busy receiver means we were too slow. Returns -1 when unreadable (not Linux).
 */
export interface KernelUdpStats {
  udp4RcvbufErrors: number;
  udp6RcvbufErrors: number;
  udp4InErrors: number;
  udp6InErrors: number;
}

/** Parses the `Udp:` header/value line pair of /proc/net/snmp. */
export function parseProcNetSnmp(text: string): { rcvbufErrors: number; inErrors: number } {
  const lines = text.split('\n').filter((l) => l.startsWith('Udp: '));
  if (lines.length < 2) return { rcvbufErrors: -1, inErrors: -1 };
  const names = lines[0]!.trim().split(/\s+/);
  const values = lines[1]!.trim().split(/\s+/);
  const get = (n: string) => {
    const i = names.indexOf(n);
    return i > 0 && values[i] !== undefined ? Number(values[i]) : -1;
  };
  return { rcvbufErrors: get('RcvbufErrors'), inErrors: get('InErrors') };
}

/** Parses `Udp6RcvbufErrors  N` (or another Udp6 counter) from /proc/net/snmp6. */
export function parseProcNetSnmp6(text: string, counter: 'Udp6RcvbufErrors' | 'Udp6InErrors' = 'Udp6RcvbufErrors'): number {
  const m = new RegExp(`^${counter}\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : -1;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function readKernelUdpStats(): KernelUdpStats {
  const v4 = parseProcNetSnmp(readOr('/proc/net/snmp'));
  const v6 = readOr('/proc/net/snmp6');
  return {
    udp4RcvbufErrors: v4.rcvbufErrors,
    udp4InErrors: v4.inErrors,
    udp6RcvbufErrors: parseProcNetSnmp6(v6, 'Udp6RcvbufErrors'),
    udp6InErrors: parseProcNetSnmp6(v6, 'Udp6InErrors'),
  };
}
