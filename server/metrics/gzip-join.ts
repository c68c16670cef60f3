/**
 * One gzip stream (RFC 1952, a single member) joined from pieces compressed apart: each piece is raw
 * DEFLATE (RFC 1951) ended with a sync flush (an empty stored block: byte-aligned, not final), so pieces
 * laid end to end are one valid DEFLATE stream (each only refers back into itself); the stream is closed
 * by an empty final block, and the member's CRC-32 is combined from the pieces' own CRCs (zlib's
 * crc32_combine, GF(2) polynomial arithmetic) without reading their data again. A single member, not a
 * series of members, because not every reader takes the latter (curl 7.88 stops after the first one).
 */
import { constants, crc32, deflateRaw, deflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';

/** A piece of the stream: its DEFLATE bytes and what the trailer needs of its text. */
export interface DeflatePiece {
  readonly data: Buffer;
  /** CRC-32 of the uncompressed text. */
  readonly crc: number;
  /** Uncompressed length in bytes. */
  readonly len: number;
  /** x^(8·len) mod P: what combines a CRC before the piece with the piece's own. */
  readonly op: number;
}

const POLY = 0xedb88320;

/** a·b mod P (reflected bit order), as zlib's multmodp. */
function multmodp(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

const X2N: number[] = [];
{
  let p = 0x40000000; // x^1
  X2N.push(p);
  for (let n = 1; n < 32; n++) X2N.push((p = multmodp(p, p)));
}

/** x^(8·len) mod P (zlib's crc32_combine_gen). */
export function crcShift(len: number): number {
  let p = 0x80000000; // x^0
  let k = 3;
  for (let n = len; n > 0; n = Math.floor(n / 2), k++) if (n % 2) p = multmodp(X2N[k & 31]!, p);
  return p >>> 0;
}

/** CRC-32 of A‖B from CRC(A), CRC(B) and crcShift(|B|) (zlib's crc32_combine_op). */
export function crcCombine(crcA: number, crcB: number, opB: number): number {
  return (multmodp(opB, crcA) ^ crcB) >>> 0;
}

const pieceOf = (text: Buffer, data: Buffer): DeflatePiece => ({ data, crc: crc32(text), len: text.length, op: crcShift(text.length) });
const deflateLater = promisify(deflateRaw);

/**
 * zlib's state for each call: a 4 KiB window and a small hash (memLevel 4) instead of 32 KiB and 8.
 * A piece is a few KiB of lines that repeat the labels of the line before, so it compresses about as
 * well, and setting the state up (allocated and cleared per call) costs ~6× less: ~40 µs instead of
 * ~190 – 270 µs for one family of 48 interfaces. Any inflater (window 32 KiB) reads it.
 */
const SMALL_STATE = { windowBits: 12, memLevel: 4 } as const;

/** `text` as a piece (synchronous: small pieces made when a poll lands). */
export function deflatePiece(text: string | Buffer, level: number): DeflatePiece {
  const b = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  // zlib hands back a view of its 16 KiB output buffer: copied to its own size, or each piece of a
  // few hundred bytes would keep 16 KiB alive (415 MB instead of 18 MB at 1,000 devices).
  return pieceOf(b, Buffer.from(deflateRawSync(b, { level, ...SMALL_STATE, finishFlush: constants.Z_SYNC_FLUSH })));
}

/** `text` as a piece, compressed on libuv's thread pool (made per scrape: not kept). */
export async function deflatePieceLater(text: string | Buffer, level: number): Promise<DeflatePiece> {
  const b = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return pieceOf(b, await deflateLater(b, { level, finishFlush: constants.Z_SYNC_FLUSH }));
}

/** The gzip header: deflate, no name, no time, OS unknown. */
export const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/** Keeps the CRC-32 and length of the pieces written so far; `end` gives the bytes that close the stream. */
export class GzipJoin {
  private crc = 0;
  private len = 0;
  add(p: DeflatePiece): void {
    this.crc = crcCombine(this.crc, p.crc, p.op);
    this.len = (this.len + p.len) % 0x100000000;
  }
  /** An empty final block (fixed Huffman: BFINAL 1, BTYPE 01, end-of-block), then CRC-32 and ISIZE. */
  end(): Buffer {
    const b = Buffer.alloc(10);
    b[0] = 0x03;
    b[1] = 0x00;
    b.writeUInt32LE(this.crc, 2);
    b.writeUInt32LE(this.len, 6);
    return b;
  }
}
