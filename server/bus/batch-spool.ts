import { chmodSync, closeSync, constants, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { fdatasync as fdatasyncCb, write as writeCb } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { BatchKind } from './nats-subjects.js';
import { RECORD_HEADER_BYTES, crc32, decodeHeader, decodeRecord, encodeRecord, type SpoolRecord } from './spool-record.js';
import { scanSegment } from './spool-scan.js';

export interface BatchSpoolOptions {
  /** The spool's own directory, e.g. `<dataDir>/spool` (made 0700). */
  dir: string;
  /** Bytes of segment files on disk at most; an append that would go over is refused (overflow). */
  maxBytes: number;
  /** A segment file is closed and a new one started past this size (default min(64 MiB, maxBytes / 4)). */
  segmentBytes?: number;
  log?: Logger;
}

interface Segment {
  seq: number;
  /** Bytes of whole, valid records (the file is never longer after open). */
  size: number;
}

const SEGMENT_RE = /^(\d{10})\.seg$/;
const CURSOR_FILE = 'cursor';
const CURSOR_MAGIC = 0x3143574e; // "NWC1"
const writeAt = promisify(writeCb);
const fdatasyncAsync = promisify(fdatasyncCb);
const segName = (seq: number) => `${String(seq).padStart(10, '0')}.seg`;

/**
 * The collector's bounded, crash-safe spool of batches not yet stored by NATS.
 * Append-only segment files of records (`spool-record.ts`: length + CRC-32 each)
 * in `dir`, read oldest first by one consumer:
 *
 *   const spool = BatchSpool.open({ dir, maxBytes });
 *   await spool.append('events', msgId, jsonBytes);   // false: full, refused and counted (overflow)
 *   const r = await spool.peek();                       // oldest record not yet delivered
 *   ... deliver r ...; await spool.ack();               // then the next one
 *   await spool.close();
 *
 * Durability: every append is written and `fdatasync`ed before it resolves
 * (a batch is ~1000 events, so that is one sync per ~1000 events). The
 * delivery cursor (segment, offset) is a 16-byte file with its own CRC,
 * rewritten in place and `fdatasync`ed after each ack; a torn cursor means
 * starting again at the oldest segment (redelivery is harmless: JetStream
 * deduplicates msgIds within its window). Segments wholly delivered are
 * deleted; when everything is delivered all segments go and a fresh one starts.
 *
 * Recovery on open: every segment is read and checked; a torn or corrupt tail
 * (a crash mid-append) is cut off and counted in `torn_dropped`, the records
 * before it are kept. When the spool is full new batches are refused and
 * counted in `overflow`; old ones are never dropped to make room.
 *
 * Counters: `spool_bytes` (segment bytes on disk), `spool_records` (not yet
 * delivered), `appended`, `overflow`, `torn_dropped`, `append_errors`.
 */
export class BatchSpool {
  private segments: Segment[] = [];
  private writeHandle: FileHandle | undefined;
  private readHandle: { seq: number; fh: FileHandle } | undefined;
  private readPos = { seq: 0, offset: 0 };
  private peeked: { size: number } | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private cursorFd: number;
  private pendingRecords = 0;
  private pendingBytes = 0;
  private appended = 0;
  private overflow = 0;
  private tornDropped = 0;
  private appendErrors = 0;
  private closed = false;
  private readonly segmentBytes: number;

  private constructor(private readonly opts: BatchSpoolOptions) {
    if (!Number.isSafeInteger(opts.maxBytes) || opts.maxBytes < 64) throw new Error('spoolMaxBytes must be a whole number of bytes, at least 64');
    this.segmentBytes = Math.max(64, Math.min(opts.segmentBytes ?? Math.min(64 * 2 ** 20, Math.floor(opts.maxBytes / 4)), 2 ** 31));
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    chmodSync(opts.dir, 0o700);
    const cursorFile = join(opts.dir, CURSOR_FILE);
    // Read-write, created when missing, never appending (it is rewritten in place at offset 0).
    this.cursorFd = openSync(cursorFile, constants.O_RDWR | constants.O_CREAT, 0o600);
    chmodSync(cursorFile, 0o600);
  }

  /** Opens (or creates) the spool in `opts.dir` and checks what is there; synchronous, for start-up. */
  static open(opts: BatchSpoolOptions): BatchSpool {
    const spool = new BatchSpool(opts);
    spool.recover();
    return spool;
  }

  get records(): number {
    return this.pendingRecords;
  }

  get bytesOnDisk(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  counters(): Record<string, number> {
    return {
      spool_bytes: this.bytesOnDisk,
      spool_records: this.pendingRecords,
      spool_pending_bytes: this.pendingBytes,
      appended: this.appended,
      overflow: this.overflow,
      torn_dropped: this.tornDropped,
      append_errors: this.appendErrors,
    };
  }

  /**
   * Appends one batch and syncs it to disk. Resolves false (counted in
   * `overflow`) when it does not fit in `maxBytes`; rejects when the disk write
   * fails (counted in `append_errors`; the spool stays consistent).
   */
  append(kind: BatchKind, msgId: string, payload: Uint8Array): Promise<boolean> {
    const record = encodeRecord(kind, msgId, payload);
    return this.serial(async () => {
      if (this.closed) throw new Error('the spool is closed');
      if (this.bytesOnDisk + record.length > this.opts.maxBytes) {
        this.overflow++;
        return false;
      }
      let last = this.segments.at(-1)!;
      if (last.size > 0 && last.size + record.length > this.segmentBytes) {
        await this.writeHandle?.close();
        this.writeHandle = undefined;
        last = { seq: last.seq + 1, size: 0 };
        this.segments.push(last);
      }
      this.writeHandle ??= await open(join(this.opts.dir, segName(last.seq)), 'a', 0o600);
      try {
        // 'a' mode: the write lands at the end, which is `last.size` (the file is never longer).
        const { bytesWritten } = await this.writeHandle.write(record, 0, record.length);
        if (bytesWritten !== record.length) throw new Error(`short write to the spool (${bytesWritten} of ${record.length} bytes)`);
        await this.writeHandle.datasync();
      } catch (err) {
        this.appendErrors++;
        // Cut the partial record off so the next append starts on a record boundary.
        await this.writeHandle.truncate(last.size).catch(() => undefined);
        throw err;
      }
      last.size += record.length;
      this.pendingRecords++;
      this.pendingBytes += record.length;
      this.appended++;
      return true;
    });
  }

  /** The oldest record not yet acked (the same one until `ack()`), or undefined when all were delivered. */
  async peek(): Promise<SpoolRecord | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const idx = this.segments.findIndex((s) => s.seq === this.readPos.seq);
      const seg = this.segments[idx];
      if (!seg) return undefined;
      if (this.readPos.offset >= seg.size) {
        const next = this.segments[idx + 1];
        if (!next) return undefined;
        await this.finishSegment(seg, next);
        continue;
      }
      const fh = await this.reader(seg.seq);
      const head = Buffer.alloc(RECORD_HEADER_BYTES);
      await fh.read(head, 0, RECORD_HEADER_BYTES, this.readPos.offset);
      const h = decodeHeader(head);
      const left = seg.size - this.readPos.offset;
      if (h.ok && RECORD_HEADER_BYTES + h.bodyBytes <= left) {
        const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + h.bodyBytes);
        await fh.read(buf, 0, buf.length, this.readPos.offset);
        const r = decodeRecord(buf);
        if (r.ok) {
          this.peeked = { size: r.size };
          return r.record;
        }
      }
      // Checked on open, so only a disk that changed under us gets here: skip the rest of the segment.
      this.tornDropped++;
      this.opts.log?.error({ segment: segName(seg.seq), offset: this.readPos.offset }, 'spool record unreadable; skipping the rest of its segment');
      this.readPos.offset = seg.size;
    }
  }

  /** Marks the record `peek()` returned as delivered and persists the cursor. */
  async ack(): Promise<void> {
    const p = this.peeked;
    if (!p) throw new Error('ack() without a record from peek()');
    this.peeked = undefined;
    this.readPos.offset += p.size;
    this.pendingRecords = Math.max(0, this.pendingRecords - 1);
    this.pendingBytes = Math.max(0, this.pendingBytes - p.size);
    await this.saveCursor();
    if (this.pendingRecords === 0) await this.serial(() => this.resetIfEmpty());
  }

  /** Waits for appends in progress, then closes the files. */
  async close(): Promise<void> {
    await this.serial(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.writeHandle?.close();
      this.writeHandle = undefined;
      await this.readHandle?.fh.close();
      this.readHandle = undefined;
      closeSync(this.cursorFd);
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async reader(seq: number): Promise<FileHandle> {
    if (this.readHandle?.seq !== seq) {
      await this.readHandle?.fh.close();
      this.readHandle = undefined;
      this.readHandle = { seq, fh: await open(join(this.opts.dir, segName(seq)), 'r') };
    }
    return this.readHandle.fh;
  }

  private async finishSegment(done: Segment, next: Segment): Promise<void> {
    if (this.readHandle?.seq === done.seq) {
      await this.readHandle.fh.close();
      this.readHandle = undefined;
    }
    this.readPos = { seq: next.seq, offset: 0 };
    await this.saveCursor();
    this.segments = this.segments.filter((s) => s !== done);
    await unlink(join(this.opts.dir, segName(done.seq))).catch((err) => this.opts.log?.warn({ err, segment: segName(done.seq) }, 'could not delete a delivered spool segment'));
  }

  /** Everything delivered (and no append since): delete all segments, start a fresh one. */
  private async resetIfEmpty(): Promise<void> {
    if (this.pendingRecords !== 0 || this.closed) return;
    const last = this.segments.at(-1)!;
    if (this.readPos.seq !== last.seq || this.readPos.offset !== last.size) return;
    await this.writeHandle?.close();
    this.writeHandle = undefined;
    await this.readHandle?.fh.close();
    this.readHandle = undefined;
    const fresh = { seq: last.seq + 1, size: 0 };
    this.readPos = { seq: fresh.seq, offset: 0 };
    await this.saveCursor();
    for (const s of this.segments) await unlink(join(this.opts.dir, segName(s.seq))).catch(() => undefined);
    this.segments = [fresh];
    this.pendingBytes = 0;
  }

  /** The cursor as 16 bytes: magic, segment, offset, CRC-32 of the 12 before. */
  private cursorBytes(): Buffer {
    const buf = Buffer.alloc(16);
    buf.writeUInt32LE(CURSOR_MAGIC, 0);
    buf.writeUInt32LE(this.readPos.seq, 4);
    buf.writeUInt32LE(this.readPos.offset, 8);
    buf.writeUInt32LE(crc32(buf.subarray(0, 12)), 12);
    return buf;
  }

  /** Off the event loop: replay acks one batch at a time while the collector keeps receiving. */
  private async saveCursor(): Promise<void> {
    if (this.closed) return;
    const buf = this.cursorBytes();
    await writeAt(this.cursorFd, buf, 0, 16, 0);
    await fdatasyncAsync(this.cursorFd);
  }

  private writeCursor(): void {
    const buf = this.cursorBytes();
    writeSync(this.cursorFd, buf, 0, 16, 0);
    fdatasyncSync(this.cursorFd);
  }

  private readCursor(): { seq: number; offset: number } | undefined {
    const buf = Buffer.alloc(16);
    const n = readSync(this.cursorFd, buf, 0, 16, 0);
    if (n !== 16 || buf.readUInt32LE(0) !== CURSOR_MAGIC || crc32(buf.subarray(0, 12)) !== buf.readUInt32LE(12)) return undefined;
    return { seq: buf.readUInt32LE(4), offset: buf.readUInt32LE(8) };
  }

  private recover(): void {
    const seqs = readdirSync(this.opts.dir)
      .map((f) => SEGMENT_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const cursor = this.readCursor();
    // Past every segment: all were delivered and the process stopped before deleting them.
    if (cursor && seqs.length > 0 && cursor.seq > seqs.at(-1)!) {
      for (const seq of seqs) unlinkSync(join(this.opts.dir, segName(seq)));
      seqs.length = 0;
    }
    if (seqs.length === 0) {
      const seq = cursor ? Math.max(cursor.seq, 1) : 1;
      this.segments = [{ seq, size: 0 }];
      this.readPos = { seq, offset: 0 };
      this.writeCursor();
      return;
    }
    // Segments before the cursor's were delivered (the process stopped before deleting them).
    let start = { seq: seqs[0]!, offset: 0 };
    if (cursor && seqs.includes(cursor.seq)) start = cursor;
    else if (cursor) this.opts.log?.warn({ cursor }, 'spool cursor points at no segment; replaying from the oldest one');
    for (const seq of seqs) {
      const file = join(this.opts.dir, segName(seq));
      if (seq < start.seq) {
        unlinkSync(file);
        continue;
      }
      const scan = scanSegment(file, seq === start.seq ? start.offset : 0, this.opts.log);
      if (scan.tornAt !== undefined) {
        this.tornDropped++;
        this.opts.log?.warn({ segment: segName(seq), offset: scan.tornAt, droppedBytes: scan.fileBytes - scan.tornAt, reason: scan.reason }, 'spool segment ends in a torn or corrupt record; cut off, the records before it kept');
        const fd = openSync(file, 'r+');
        try {
          ftruncateSync(fd, scan.tornAt);
          fdatasyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
      if (seq === start.seq) start = { seq, offset: scan.cursorOffset };
      this.segments.push({ seq, size: scan.validBytes });
      this.pendingRecords += scan.pendingRecords;
      this.pendingBytes += scan.pendingBytes;
    }
    this.readPos = { ...start };
    this.writeCursor();
    if (this.pendingRecords > 0) this.opts.log?.info({ records: this.pendingRecords, bytes: this.bytesOnDisk }, 'spool holds batches not yet delivered');
  }
}
