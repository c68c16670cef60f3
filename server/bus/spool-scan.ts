import { chmodSync, closeSync, openSync, readSync, statSync } from 'node:fs';
import type { Logger } from '../log/logger.js';
import { MAX_RECORD_BODY_BYTES, RECORD_HEADER_BYTES, decodeHeader, decodeRecord } from './spool-record.js';

/** What a segment file of the spool (BatchSpool, batch-spool.ts) holds, as its check on open found it. */
export interface SegmentScan {
  /** Bytes of whole, valid records from the start. */
  validBytes: number;
  fileBytes: number;
  /** Where a torn or corrupt record starts, if one does. */
  tornAt: number | undefined;
  reason: string;
  pendingRecords: number;
  pendingBytes: number;
  /** The cursor's offset, on a record boundary. */
  cursorOffset: number;
}

/** Reads a segment record by record, checking each; where it stops is where the valid data ends. */
export function scanSegment(file: string, cursorOffset: number, log: Logger | undefined): SegmentScan {
  chmodSync(file, 0o600);
  const fileBytes = statSync(file).size;
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(RECORD_HEADER_BYTES);
  let offset = 0;
  let pendingRecords = 0;
  let pendingBytes = 0;
  let cursorAt = -1;
  let tornAt: number | undefined;
  let reason = '';
  try {
    while (offset < fileBytes) {
      if (offset === cursorOffset) cursorAt = offset;
      const left = fileBytes - offset;
      if (readSync(fd, head, 0, RECORD_HEADER_BYTES, offset) < RECORD_HEADER_BYTES) {
        (tornAt = offset), (reason = 'short header');
        break;
      }
      const h = decodeHeader(head, MAX_RECORD_BODY_BYTES);
      if (!h.ok) {
        (tornAt = offset), (reason = h.reason);
        break;
      }
      const size = RECORD_HEADER_BYTES + h.bodyBytes;
      // The length was checked against the maximum, and against what the file holds before allocating.
      if (size > left) {
        (tornAt = offset), (reason = 'short record');
        break;
      }
      const buf = Buffer.allocUnsafe(size);
      readSync(fd, buf, 0, size, offset);
      const r = decodeRecord(buf);
      if (!r.ok) {
        (tornAt = offset), (reason = r.reason);
        break;
      }
      if (offset >= cursorOffset) {
        pendingRecords++;
        pendingBytes += size;
      }
      offset += size;
    }
  } finally {
    closeSync(fd);
  }
  if (offset === cursorOffset) cursorAt = offset;
  // A cursor not on a record boundary (it cannot be, unless the file changed): replay the whole segment.
  if (cursorAt < 0 && cursorOffset > 0) {
    log?.warn({ file, cursorOffset }, 'spool cursor is not on a record boundary; replaying the segment');
    return scanSegment(file, 0, log);
  }
  return { validBytes: offset, fileBytes, tornAt, reason, pendingRecords, pendingBytes, cursorOffset: cursorAt < 0 ? 0 : cursorAt };
}
