import { describe, expect, it } from 'vitest';
import { SyslogFramer } from '../../../../server/collectors/syslog/syslog.framing.js';

function frames(max: number, chunks: (string | Buffer)[], end = true) {
  const out: { text: string; originalBytes: number }[] = [];
  const f = new SyslogFramer(max, (b, n) => out.push({ text: b.toString('latin1'), originalBytes: n }));
  for (const c of chunks) f.push(Buffer.isBuffer(c) ? c : Buffer.from(c, 'latin1'));
  if (end) f.end();
  return { out, framer: f };
}

describe('RFC 6587 framing', () => {
  const a = '<13>1 - - a - - - first';
  const b = '<13>1 - - b - - - sec\nond';
  const stream = `${a.length} ${a}${b.length} ${b}`;

  it('splits octet-counted frames, even when LF is inside a message', () => {
    const { out, framer } = frames(1000, [stream]);
    expect(out.map((o) => o.text)).toEqual([a, b]);
    expect(framer.framing).toBe('octet-counting');
  });

  it('gives the same frames whatever the TCP segmentation', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const { out } = frames(1000, [stream.slice(0, cut), stream.slice(cut)]);
      expect(out.map((o) => o.text)).toEqual([a, b]);
    }
    const { out } = frames(1000, stream.split(''));
    expect(out.map((o) => o.text)).toEqual([a, b]);
  });

  it('splits newline-delimited frames and keeps an unterminated last one at close', () => {
    const { out, framer } = frames(1000, ['<13>one\n<13>tw', 'o\r\n\n<13>three']);
    expect(out.map((o) => o.text)).toEqual(['<13>one', '<13>two\r', '<13>three']);
    expect(framer.framing).toBe('non-transparent');
  });

  it('cuts an oversized octet-counted frame, skips its rest and resumes', () => {
    const big = `<13>1 - - big - - - ${'x'.repeat(300)}`;
    const ok = '<13>1 - - ok - - - ok';
    const { out } = frames(100, [`${big.length} ${big.slice(0, 50)}`, big.slice(50), `${ok.length} ${ok}`]);
    expect(out).toEqual([{ text: big.slice(0, 100), originalBytes: big.length }, { text: ok, originalBytes: ok.length }]);
  });

  it('cuts an oversized line without LF and resumes after the next LF', () => {
    const { out } = frames(10, ['<13>' + 'y'.repeat(30), 'y'.repeat(5) + '\n<13>next\n']);
    expect(out[0]!.text).toBe('<13>yyyyyy');
    expect(out[0]!.originalBytes).toBeGreaterThan(10);
    expect(out[1]).toEqual({ text: '<13>next', originalBytes: 8 });
  });

  it('reads digits without a following space as a line and counts a framing error', () => {
    const { out, framer } = frames(100, ['123abc\n5 <13>x']);
    expect(out.map((o) => o.text)).toEqual(['123abc', '<13>x']);
    expect(framer.framingErrors).toBe(1);
  });

  it('drops an incomplete octet-counted frame at close rather than inventing one', () => {
    const { out } = frames(100, ['50 <13>short']);
    expect(out).toEqual([{ text: '50 <13>short', originalBytes: 12 }]);
  });
});
