/**
 * Turns raw SNMP values into what an operator reads, using what the
 * dictionary knows about the object: enum labels (`down(2)`), DISPLAY-HINTs
 * (RFC 2579: `1x:` MAC, `255a`, DateAndTime, `d-2`), octet strings as text or
 * hex, TimeTicks as durations, IpAddress, BITS. Pure.
 */
import type { MibNode } from '../contracts/mib.js';

export type RawValue = number | bigint | string | Uint8Array | boolean | null | undefined;

export interface FormatOptions {
  /** Names OBJECT IDENTIFIER values (e.g. `oid => dictionary.resolve(oid).label`). */
  resolveOid?: (oid: string) => string;
}

type NodeInfo = Pick<MibNode, 'baseType' | 'enums' | 'displayHint' | 'units'> & Partial<Pick<MibNode, 'syntax'>>;

export function formatValue(value: RawValue, node: NodeInfo | null | undefined, opts: FormatOptions = {}): string {
  if (value === null || value === undefined) return '';
  const base = node?.baseType ?? null;
  const units = node?.units ? ` ${node.units}` : '';
  if (typeof value === 'boolean') return String(value);

  if (value instanceof Uint8Array) {
    if (base === 'BITS' || node?.syntax === 'BITS') return formatBits(value, node?.enums ?? null);
    if (base === 'IpAddress' || base === 'NetworkAddress') return value.length === 4 ? [...value].join('.') : toHex(value);
    if (base === 'Counter64') return bytesToBigInt(value).toString() + units;
    if (node?.displayHint) {
      const s = applyOctetHint(node.displayHint, value);
      if (s !== null) return s;
    }
    return octetsAsText(value);
  }

  if (typeof value === 'string') {
    if (base === 'OBJECT IDENTIFIER' && opts.resolveOid && /^\.?\d+(\.\d+)*$/.test(value)) return opts.resolveOid(value);
    return value;
  }

  // Numbers.
  const n = value;
  if (node?.enums && typeof n === 'number') {
    const label = node.enums[String(n)];
    return label ? `${label}(${n})` : String(n);
  }
  if (base === 'TimeTicks') return formatTimeTicks(Number(n));
  if (node?.displayHint && typeof n === 'number') {
    const s = applyIntegerHint(node.displayHint, n);
    if (s !== null) return s + units;
  }
  return String(n) + units;
}

/** Centiseconds -> `3 days, 04:05:06.07`. */
export function formatTimeTicks(ticks: number): string {
  const cs = Math.max(0, Math.floor(ticks));
  const days = Math.floor(cs / 8_640_000);
  const h = Math.floor((cs % 8_640_000) / 360_000);
  const m = Math.floor((cs % 360_000) / 6_000);
  const s = Math.floor((cs % 6_000) / 100);
  const c = cs % 100;
  const p = (x: number) => String(x).padStart(2, '0');
  const clock = `${p(h)}:${p(m)}:${p(s)}.${p(c)}`;
  return days ? `${days} day${days === 1 ? '' : 's'}, ${clock}` : clock;
}

/** Integer DISPLAY-HINT: `d`, `d-2` (fixed point), `x`, `o`, `b`. */
export function applyIntegerHint(hint: string, n: number): string | null {
  const m = /^([dxob])(?:-(\d+))?$/.exec(hint.trim());
  if (!m) return null;
  switch (m[1]) {
    case 'x':
      return n.toString(16);
    case 'o':
      return n.toString(8);
    case 'b':
      return n.toString(2);
    default: {
      const places = Number(m[2] ?? 0);
      if (!places) return String(n);
      const neg = n < 0;
      const digits = String(Math.abs(n)).padStart(places + 1, '0');
      return `${neg ? '-' : ''}${digits.slice(0, -places)}.${digits.slice(-places)}`;
    }
  }
}

interface HintSpec {
  star: boolean;
  len: number;
  fmt: string;
  sep: string;
  term: string;
}

function parseOctetHint(hint: string): HintSpec[] | null {
  const specs: HintSpec[] = [];
  let i = 0;
  while (i < hint.length) {
    let star = false;
    if (hint[i] === '*') {
      star = true;
      i++;
    }
    const lm = /^\d+/.exec(hint.slice(i));
    if (!lm) return null;
    i += lm[0].length;
    const fmt = hint[i++];
    if (!fmt || !'dxoat'.includes(fmt)) return null;
    let sep = '';
    let term = '';
    if (i < hint.length && !/[\d*]/.test(hint[i]!)) sep = hint[i++]!;
    if (star && i < hint.length && !/[\d*]/.test(hint[i]!)) term = hint[i++]!;
    specs.push({ star, len: Number(lm[0]), fmt, sep, term });
  }
  return specs.length ? specs : null;
}

/** RFC 2579 octet-string DISPLAY-HINT; the last spec repeats until the data ends. */
export function applyOctetHint(hint: string, data: Uint8Array): string | null {
  const specs = parseOctetHint(hint);
  if (!specs) return null;
  let out = '';
  let pos = 0;
  let si = 0;
  while (pos < data.length) {
    const spec = specs[Math.min(si, specs.length - 1)]!;
    si++;
    let repeat = 1;
    if (spec.star) repeat = data[pos++]!;
    for (let r = 0; r < repeat && pos < data.length; r++) {
      const chunk = data.subarray(pos, Math.min(pos + spec.len, data.length));
      pos += chunk.length;
      out += formatChunk(chunk, spec.fmt);
      const last = pos >= data.length;
      if (spec.star && r === repeat - 1) {
        if (spec.term && !last) out += spec.term;
      } else if (spec.sep && !last) out += spec.sep;
    }
    if (spec.len === 0) break; // malformed hint: avoid looping forever
  }
  return out;
}

function formatChunk(chunk: Uint8Array, fmt: string): string {
  switch (fmt) {
    case 'a':
      return String.fromCharCode(...chunk);
    case 't':
      return Buffer.from(chunk).toString('utf8');
    case 'x':
      return [...chunk].map((b) => b.toString(16).padStart(2, '0')).join('');
    case 'o':
      return bytesToBigInt(chunk).toString(8);
    default:
      return bytesToBigInt(chunk).toString(10);
  }
}

function bytesToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

const toHex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

/** Printable text (trailing NULs dropped) or hex. */
export function octetsAsText(b: Uint8Array): string {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  const body = b.subarray(0, end);
  const text = Buffer.from(body).toString('utf8');
  const printable = !text.includes('\uFFFD') && !/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text);
  return printable && (end > 0 || b.length === 0) ? text : toHex(b);
}

/** BITS: the labels of the set bits (bit 0 is the high bit of the first octet). */
export function formatBits(b: Uint8Array, enums: Record<string, string> | null): string {
  const set: string[] = [];
  for (let i = 0; i < b.length * 8; i++) {
    if (b[i >> 3]! & (0x80 >> (i & 7))) set.push(enums?.[String(i)] ? `${enums[String(i)]}(${i})` : String(i));
  }
  return set.join(' ');
}

export interface FormattedVarbind {
  oid: string;
  /** `IF-MIB::ifOperStatus.3`, or the numeric OID when unknown. */
  label: string;
  name: string | null;
  module: string | null;
  instance: string;
  /** Display text, e.g. `down(2)`. */
  value: string;
}

/** A varbind as an operator reads it, named through the dictionary (anything with `resolve`). */
export function formatVarbind(
  dict: { resolve(oid: string): { node: MibNode | null; instance: string; label: string } },
  oid: string,
  value: RawValue,
): FormattedVarbind {
  const r = dict.resolve(oid);
  const resolveOid = (o: string) => dict.resolve(o).label;
  return { oid, label: r.label, name: r.node?.name ?? null, module: r.node?.module ?? null, instance: r.instance, value: formatValue(value, r.node, { resolveOid }) };
}
