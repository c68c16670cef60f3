import { isIP } from 'node:net';

/** `::ffff:192.0.2.1` -> `192.0.2.1`; IPv6 lower-cased and compressed by URL parsing. */
export function normalizeAddress(address: string): string {
  let a = address.trim();
  if (a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  if (isIP(a) === 6) {
    try {
      a = new URL(`http://[${a}]/`).hostname.slice(1, -1);
    } catch {
      a = a.toLowerCase();
    }
  }
  return a;
}
