import { readFileSync } from 'node:fs';

/** The polling host's IPv4 default gateway from /proc/net/route (Linux), or null. */
export function defaultGateway(path = '/proc/net/route'): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || f[1] !== '00000000') continue;
    const hex = f[2]!;
    if (!/^[0-9A-Fa-f]{8}$/.test(hex) || hex === '00000000') continue;
    // Little-endian: 0101A8C0 -> 192.168.1.1
    const n = Number.parseInt(hex, 16);
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
  }
  return null;
}
