import { BATCH_KINDS, MSG_ID_PATTERN, type BatchKind } from './nats-subjects.js';

/**
 * The on-disk record of the collector's spool (`BatchSpool`). Pure.
 *
 *   header (12 bytes): magic "NWS1" | body length u32 LE | CRC-32 u32 LE of (length bytes + body)
 *   body:              kind index u8 | msgId length u8 | msgId (ASCII) | payload (the batch as JSON)
 *
 * A record is accepted only whole: magic, a length within `maxBodyBytes`, the
 * CRC, a known kind and a valid msgId. `decodeRecord` never allocates more than
 * the bytes it was given and never throws on bad input.
 */

export const RECORD_MAGIC = 0x3153574e; // "NWS1" little-endian
export const RECORD_HEADER_BYTES = 12;
/** Bigger than any NATS message (64 MiB is the server's hard maximum payload). */
export const MAX_RECORD_BODY_BYTES = 64 * 2 ** 20;

export interface SpoolRecord {
  kind: BatchKind;
  msgId: string;
  payload: Uint8Array;
}

export type HeaderResult =
  | { ok: true; bodyBytes: number }
  | { ok: false; reason: 'short' }
  | { ok: false; reason: 'magic' | 'length'; detail: string };

export type DecodeResult =
  | { ok: true; record: SpoolRecord; size: number }
  | { ok: false; reason: 'short' }
  | { ok: false; reason: 'magic' | 'length' | 'crc' | 'kind' | 'msgid'; detail: string };

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zlib and PNG); pass the previous result to continue over more bytes. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export function encodeRecord(kind: BatchKind, msgId: string, payload: Uint8Array): Buffer {
  const kindIndex = BATCH_KINDS.indexOf(kind);
  if (kindIndex < 0) throw new Error(`"${String(kind)}" is not a batch kind`);
  if (!MSG_ID_PATTERN.test(msgId)) throw new Error('msgId must be 1-128 printable ASCII characters without spaces');
  const bodyBytes = 2 + msgId.length + payload.length;
  if (bodyBytes > MAX_RECORD_BODY_BYTES) throw new Error(`a spool record holds at most ${MAX_RECORD_BODY_BYTES} bytes; this batch is ${payload.length}`);
  const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + bodyBytes);
  buf.writeUInt32LE(RECORD_MAGIC, 0);
  buf.writeUInt32LE(bodyBytes, 4);
  buf.writeUInt8(kindIndex, 12);
  buf.writeUInt8(msgId.length, 13);
  buf.write(msgId, 14, 'latin1');
  buf.set(payload, 14 + msgId.length);
  buf.writeUInt32LE(crc32(buf.subarray(RECORD_HEADER_BYTES), crc32(buf.subarray(4, 8))), 8);
  return buf;
}

/** Checks the 12-byte header only: how many body bytes follow, if the header is plausible. */
export function decodeHeader(buf: Uint8Array, maxBodyBytes = MAX_RECORD_BODY_BYTES): HeaderResult {
  if (buf.length < RECORD_HEADER_BYTES) return { ok: false, reason: 'short' };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, true);
  if (magic !== RECORD_MAGIC) return { ok: false, reason: 'magic', detail: `no record starts here (0x${magic.toString(16).padStart(8, '0')})` };
  const bodyBytes = view.getUint32(4, true);
  if (bodyBytes < 3 || bodyBytes > Math.min(maxBodyBytes, MAX_RECORD_BODY_BYTES)) return { ok: false, reason: 'length', detail: `record length ${bodyBytes} is out of range` };
  return { ok: true, bodyBytes };
}

/**
 * Decodes the record at the start of `buf` (which may hold more after it).
 * `short` means `buf` ends inside the record (a torn write when at a file's end).
 */
export function decodeRecord(buf: Uint8Array, maxBodyBytes = MAX_RECORD_BODY_BYTES): DecodeResult {
  const head = decodeHeader(buf, maxBodyBytes);
  if (!head.ok) return head;
  const size = RECORD_HEADER_BYTES + head.bodyBytes;
  if (buf.length < size) return { ok: false, reason: 'short' };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const body = buf.subarray(RECORD_HEADER_BYTES, size);
  const expected = view.getUint32(8, true);
  if (crc32(body, crc32(buf.subarray(4, 8))) !== expected) return { ok: false, reason: 'crc', detail: 'record checksum does not match' };
  const kind = BATCH_KINDS[body[0]!];
  if (kind === undefined) return { ok: false, reason: 'kind', detail: `unknown batch kind ${body[0]}` };
  const idLength = body[1]!;
  if (2 + idLength > body.length) return { ok: false, reason: 'msgid', detail: 'msgId runs past the record' };
  const msgId = Buffer.from(body.buffer, body.byteOffset + 2, idLength).toString('latin1');
  if (!MSG_ID_PATTERN.test(msgId)) return { ok: false, reason: 'msgid', detail: 'msgId is not printable ASCII' };
  return { ok: true, record: { kind, msgId, payload: body.subarray(2 + idLength) }, size };
}
