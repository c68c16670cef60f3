import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { crcCombine, crcShift, deflatePiece, deflatePieceLater, GZIP_HEADER, GzipJoin } from '../../../server/metrics/gzip-join.js';

const dir = mkdtempSync(join(tmpdir(), 'gzip-join-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('one gzip stream joined from pieces compressed apart', () => {
  it("combines CRC-32s as zlib does (checked against zlib's crc32 over the joined data)", () => {
    const a = Buffer.from('ifHCInOctets{device="a"} 1\n'.repeat(333));
    for (const b of [Buffer.alloc(0), Buffer.from('x'), Buffer.from('ünïcødé\n'.repeat(4097))]) {
      expect(crcCombine(crc32(a), crc32(b), crcShift(b.length))).toBe(crc32(Buffer.concat([a, b])));
    }
    expect(crcCombine(0, crc32(a), crcShift(a.length))).toBe(crc32(a));
  });

  it('makes a stream that Node zlib and gzip(1) read whole, empty pieces and an empty stream included', async () => {
    const texts = ['# HELP x y\n', '', 'x{a="\\"q\\""} 1\n'.repeat(5000), 'ü\n', 'z 2\n'.repeat(70_000)];
    const j = new GzipJoin();
    const parts: Buffer[] = [GZIP_HEADER];
    for (const [i, t] of texts.entries()) {
      const p = i % 2 ? await deflatePieceLater(t, 6) : deflatePiece(t, 1);
      j.add(p);
      parts.push(p.data);
    }
    parts.push(j.end());
    const body = Buffer.concat(parts);
    const want = Buffer.from(texts.join(''));
    expect(gunzipSync(body).equals(want)).toBe(true);
    // A real gzip reader in another process: integrity check (CRC and length in the trailer) and the text.
    const file = join(dir, 'joined.gz');
    writeFileSync(file, body);
    execFileSync('gzip', ['-t', file]);
    expect(execFileSync('gzip', ['-dc', file]).equals(want)).toBe(true);
    // A damaged trailer is refused (the check can fail).
    const bad = Buffer.from(body);
    bad[bad.length - 6]! ^= 1;
    writeFileSync(file, bad);
    expect(() => execFileSync('gzip', ['-t', file], { stdio: 'pipe' })).toThrow();

    const empty = Buffer.concat([GZIP_HEADER, new GzipJoin().end()]);
    expect(gunzipSync(empty).length).toBe(0);
  });
});
