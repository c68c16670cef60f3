import * as snmp from 'net-snmp';
import type { Varbind } from 'net-snmp';

/** Pure helpers turning net-snmp varbind values into plain values. */

const T = snmp.ObjectType;

export function isMissing(vb: Varbind | undefined): boolean {
  return !vb || vb.type === T.NoSuchObject || vb.type === T.NoSuchInstance || vb.type === T.EndOfMibView || vb.type === T.Null;
}

/**
 * Compares two dotted OIDs numerically: <0, 0, >0. Scans both strings arc by
 * arc without splitting them (it runs for every varbind of every walk: the
 * split version was the poll workers' largest cost after the socket).
 */
export function oidCompare(a: string, b: string): number {
  if (a === b) return 0;
  const la = a.length;
  const lb = b.length;
  let i = 0;
  let j = 0;
  for (;;) {
    let x = 0;
    let y = 0;
    let c: number;
    while (i < la && (c = a.charCodeAt(i)) !== 46) {
      x = x * 10 + (c - 48);
      i++;
    }
    while (j < lb && (c = b.charCodeAt(j)) !== 46) {
      y = y * 10 + (c - 48);
      j++;
    }
    if (x !== y) return x - y;
    const endA = i >= la;
    const endB = j >= lb;
    if (endA || endB) return endA && endB ? 0 : endA ? -1 : 1;
    i++;
    j++;
  }
}

export const inSubtree = (root: string, oid: string) => oid.startsWith(root + '.');

export function toNumber(vb: Varbind | undefined): number | null {
  if (isMissing(vb)) return null;
  const v = vb!.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v)) {
    if (vb!.type === T.Counter64) return Number(bufToBigInt(v));
    // Opaque floats / numeric strings (UCD laLoad is a DisplayString).
    const n = Number(v.toString('latin1').trim());
    return Number.isFinite(n) && v.length > 0 ? n : null;
  }
  if (typeof v === 'string') {
    const n = Number(v.trim());
    return Number.isFinite(n) && v.trim() !== '' ? n : null;
  }
  return null;
}

export function bufToBigInt(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + b.toString('hex'));
}

export function toBigInt(vb: Varbind | undefined): bigint | null {
  if (isMissing(vb)) return null;
  const v = vb!.value;
  if (Buffer.isBuffer(v)) return bufToBigInt(v);
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  if (typeof v === 'bigint') return v;
  return null;
}

const printable = (b: Buffer) => {
  for (const c of b) if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return false;
  return true;
};

export const hexColon = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** OctetString as text when printable (trailing NULs dropped), else colon hex. */
export function toText(vb: Varbind | undefined): string | null {
  if (isMissing(vb)) return null;
  const v = vb!.value;
  if (Buffer.isBuffer(v)) {
    let end = v.length;
    while (end > 0 && v[end - 1] === 0) end--;
    const b = v.subarray(0, end);
    if (printable(b)) return b.toString('utf8');
    return hexColon(v);
  }
  if (v === null || v === undefined) return null;
  return String(v);
}

/** OctetString as colon hex (MAC addresses, chassis ids). */
export function toHex(vb: Varbind | undefined): string | null {
  if (isMissing(vb)) return null;
  const v = vb!.value;
  if (Buffer.isBuffer(v)) return v.length ? hexColon(v) : null;
  return v === null || v === undefined ? null : String(v);
}
