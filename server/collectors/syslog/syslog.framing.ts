/**
 * RFC 6587 framing of syslog over a TCP/TLS stream, detected per frame (so
 * per connection in practice): a frame that starts with a digit is octet
 * counted (`LEN SP MSG`, RFC 5425/6587 3.4.1), anything else is
 * non-transparent (terminated by LF, RFC 6587 3.4.2; a CR before the LF is
 * dropped by the parser). Frames longer than `maxBytes` are cut: the first
 * `maxBytes` bytes are emitted with the original length, the rest skipped.
 */
export type FrameHandler = (frame: Buffer, originalBytes: number) => void;

const MAX_LEN_DIGITS = 10;

export class SyslogFramer {
  private pending: Buffer | null = null;
  /** Octet-counted bytes still to skip after a truncated frame. */
  private skip = 0;
  /** Non-transparent: drop bytes until the next LF (after a truncated frame). */
  private discardLine = false;
  framing: 'octet-counting' | 'non-transparent' | null = null;
  framingErrors = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onFrame: FrameHandler,
  ) {}

  push(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let i = 0;
    while (i < buf.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      if (this.discardLine) {
        const lf = buf.indexOf(0x0a, i);
        if (lf < 0) {
          i = buf.length;
          break;
        }
        this.discardLine = false;
        i = lf + 1;
        continue;
      }
      const c = buf[i]!;
      if (c >= 0x30 && c <= 0x39) {
        // Octet counting: digits, one space, then exactly LEN bytes.
        let j = i;
        while (j < buf.length && j - i <= MAX_LEN_DIGITS && buf[j]! >= 0x30 && buf[j]! <= 0x39) j++;
        if (j === buf.length && j - i <= MAX_LEN_DIGITS) break; // need more bytes
        if (buf[j] === 0x20 && j - i <= MAX_LEN_DIGITS) {
          const len = Number(buf.toString('latin1', i, j));
          this.framing = 'octet-counting';
          const start = j + 1;
          if (len > this.maxBytes) {
            if (buf.length - start < this.maxBytes) break; // wait for the part we keep
            this.onFrame(buf.subarray(start, start + this.maxBytes), len);
            i = start + this.maxBytes;
            this.skip = len - this.maxBytes;
            continue;
          }
          if (buf.length - start < len) break; // need more bytes
          this.onFrame(buf.subarray(start, start + len), len);
          i = start + len;
          continue;
        }
        // Digits not followed by a space: not a length; read it as a line.
        this.framingErrors++;
      }
      // Non-transparent framing.
      const lf = buf.indexOf(0x0a, i);
      if (lf < 0) {
        if (buf.length - i > this.maxBytes) {
          this.framing ??= 'non-transparent';
          this.onFrame(buf.subarray(i, i + this.maxBytes), buf.length - i);
          this.discardLine = true;
          i = buf.length;
        }
        break;
      }
      this.framing = 'non-transparent';
      if (lf - i > this.maxBytes) this.onFrame(buf.subarray(i, i + this.maxBytes), lf - i);
      else if (lf > i) this.onFrame(buf.subarray(i, lf), lf - i);
      i = lf + 1;
    }
    if (i < buf.length) this.pending = Buffer.from(buf.subarray(i));
  }

  /** The peer closed: whatever is left is one last (unterminated) message. */
  end(): void {
    const rest = this.pending;
    this.pending = null;
    if (rest && rest.length > 0 && this.skip === 0 && !this.discardLine) {
      const n = Math.min(rest.length, this.maxBytes);
      this.onFrame(rest.subarray(0, n), rest.length);
    }
  }
}
