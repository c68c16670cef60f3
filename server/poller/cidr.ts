import { isIP } from 'node:net';

/** Host addresses of an IPv4 CIDR (network and broadcast left out below /31). */
export function expandCidr(cidr: string, maxHosts: number): string[] {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m || isIP(m[1]!) !== 4) throw new Error('expected an IPv4 CIDR such as 192.0.2.0/24');
  const prefix = Number(m[2]);
  if (prefix > 32) throw new Error('prefix length must be 0–32');
  const size = 2 ** (32 - prefix);
  const hosts = prefix >= 31 ? size : size - 2;
  if (hosts > maxHosts) throw new Error(`/${prefix} has ${hosts} hosts; at most ${maxHosts} per discovery`);
  const base = m[1]!.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const net = base - (base % size);
  const out: string[] = [];
  const first = prefix >= 31 ? net : net + 1;
  for (let i = 0; i < hosts; i++) {
    const n = first + i;
    out.push([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'));
  }
  return out;
}
