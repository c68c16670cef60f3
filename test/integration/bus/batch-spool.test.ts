import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchSpool } from '../../../server/bus/batch-spool.js';
import type { SpoolRecord } from '../../../server/bus/spool-record.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const batch = (n: number) => enc.encode(JSON.stringify([{ n, msg: `event ${n}`, pad: 'x'.repeat(50) }]));

describe('BatchSpool on real files', () => {
  const dirs: string[] = [];
  const spools: BatchSpool[] = [];
  afterEach(async () => {
    for (const s of spools.splice(0)) await s.close().catch(() => undefined);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function tempDir(): string {
    const d = mkdtempSync(join(tmpdir(), 'nw-spool-'));
    dirs.push(d);
    return join(d, 'spool');
  }

  function openSpool(dir: string, maxBytes = 1 << 20, segmentBytes?: number): BatchSpool {
    const s = BatchSpool.open({ dir, maxBytes, segmentBytes });
    spools.push(s);
    return s;
  }

  async function drainAll(s: BatchSpool, limit = Infinity): Promise<SpoolRecord[]> {
    const out: SpoolRecord[] = [];
    while (out.length < limit) {
      const r = await s.peek();
      if (!r) break;
      out.push({ ...r, payload: new Uint8Array(r.payload) });
      await s.ack();
    }
    return out;
  }

  const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();
  const ns = (rs: SpoolRecord[]) => rs.map((r) => (JSON.parse(dec.decode(r.payload)) as { n: number }[])[0]!.n);

  it('gives back what was appended, oldest first, across segment files, with private file modes', async () => {
    const dir = tempDir();
    const s = openSpool(dir, 1 << 20, 1024);
    for (let i = 0; i < 50; i++) expect(await s.append(i % 2 ? 'samples' : 'events', `m-${i}`, batch(i))).toBe(true);
    expect(segments(dir).length).toBeGreaterThan(3);
    expect(s.counters()).toMatchObject({ spool_records: 50, appended: 50, overflow: 0 });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
    const got = await drainAll(s);
    expect(ns(got)).toEqual([...Array(50).keys()]);
    expect(got.map((r) => r.msgId)).toEqual([...Array(50).keys()].map((i) => `m-${i}`));
    expect(got[1]!.kind).toBe('samples');
    // All delivered: the segments are gone, a fresh empty one is used next.
    expect(s.counters()).toMatchObject({ spool_records: 0, spool_bytes: 0 });
    expect(segments(dir)).toHaveLength(0);
    expect(await s.append('events', 'm-50', batch(50))).toBe(true);
    expect(ns(await drainAll(s))).toEqual([50]);
  });

  it('resumes after a restart where delivery stopped, without redelivering acked records', async () => {
    const dir = tempDir();
    const s = openSpool(dir, 1 << 20, 2048);
    for (let i = 0; i < 40; i++) await s.append('events', `m-${i}`, batch(i));
    expect(ns(await drainAll(s, 15))).toEqual([...Array(15).keys()]);
    const peekedNotAcked = await s.peek();
    expect(peekedNotAcked!.msgId).toBe('m-15');
    await s.close();
    const again = openSpool(dir, 1 << 20, 2048);
    expect(again.counters()).toMatchObject({ spool_records: 25, torn_dropped: 0 });
    expect(ns(await drainAll(again))).toEqual([...Array(25).keys()].map((i) => i + 15));
  });

  it('cuts a torn last record off on open, counts it, and keeps and replays the records before it', async () => {
    const dir = tempDir();
    const s = openSpool(dir, 1 << 20);
    for (let i = 0; i < 10; i++) await s.append('events', `m-${i}`, batch(i));
    await s.close();
    const [file] = segments(dir);
    const full = statSync(join(dir, file!)).size;
    // As if the process died in the middle of writing the last record.
    truncateSync(join(dir, file!), full - 17);
    const again = openSpool(dir, 1 << 20);
    expect(again.counters()).toMatchObject({ spool_records: 9, torn_dropped: 1 });
    expect(ns(await drainAll(again))).toEqual([...Array(9).keys()]);
    // Appending goes on after the cut on a record boundary.
    await again.append('events', 'm-after', batch(99));
    expect(ns(await drainAll(again))).toEqual([99]);
  });

  it('keeps the good records before garbage at a segment end (a huge length, a bad checksum) without a crash', async () => {
    const dir = tempDir();
    const s = openSpool(dir, 1 << 20);
    for (let i = 0; i < 3; i++) await s.append('events', `m-${i}`, batch(i));
    await s.close();
    const file = join(dir, segments(dir)[0]!);
    const good = readFileSync(file);
    // A header claiming 4 GiB follows the good records.
    const huge = Buffer.from(good.subarray(0, 12));
    huge.writeUInt32LE(0xffffffff, 4);
    appendFileSync(file, huge);
    const a = openSpool(dir, 1 << 20);
    expect(a.counters()).toMatchObject({ spool_records: 3, torn_dropped: 1 });
    await a.close();
    // A whole record with one payload byte changed.
    const copy = Buffer.from(good.subarray(0, good.length / 3));
    copy[copy.length - 2]! ^= 1;
    appendFileSync(file, copy);
    const b = openSpool(dir, 1 << 20);
    expect(b.counters()).toMatchObject({ spool_records: 3, torn_dropped: 1 });
    expect(ns(await drainAll(b))).toEqual([0, 1, 2]);
  });

  it('refuses and counts new batches when full, keeps the old ones, and takes more once they are delivered', async () => {
    const dir = tempDir();
    const one = batch(0).length + 12 + 2 + 3;
    const s = openSpool(dir, one * 5 + 10, one * 2);
    const kept: boolean[] = [];
    for (let i = 0; i < 8; i++) kept.push(await s.append('events', `m-${i}`, batch(i)));
    expect(kept).toEqual([true, true, true, true, true, false, false, false]);
    expect(s.counters()).toMatchObject({ overflow: 3, spool_records: 5 });
    expect(s.counters().spool_bytes).toBeLessThanOrEqual(one * 5 + 10);
    expect(ns(await drainAll(s, 2))).toEqual([0, 1]);
    // The first segment (two records) was delivered and deleted: room for two more.
    await s.peek();
    expect(await s.append('events', 'm-8', batch(8))).toBe(true);
    expect(ns(await drainAll(s))).toEqual([2, 3, 4, 8]);
  });

  it('does not replay segments that were all delivered when the process stopped before deleting them', async () => {
    const dir = tempDir();
    const s = openSpool(dir, 1 << 20);
    for (let i = 0; i < 3; i++) await s.append('events', `m-${i}`, batch(i));
    const [file] = segments(dir);
    const bytes = readFileSync(join(dir, file!));
    expect(ns(await drainAll(s))).toEqual([0, 1, 2]);
    await s.close();
    // As if killed after the cursor moved on but before the delivered segment was deleted.
    writeFileSync(join(dir, file!), bytes);
    const again = openSpool(dir, 1 << 20);
    expect(again.counters()).toMatchObject({ spool_records: 0, spool_bytes: 0 });
    expect(await again.peek()).toBeUndefined();
    expect(segments(dir)).toEqual([]);
    await again.append('events', 'm-3', batch(3));
    expect(ns(await drainAll(again))).toEqual([3]);
  });

  it('replays from the oldest segment when the cursor file is damaged', async () => {
    const dir = tempDir();
    const s = openSpool(dir, 1 << 20);
    for (let i = 0; i < 5; i++) await s.append('events', `m-${i}`, batch(i));
    await drainAll(s, 2);
    await s.close();
    writeFileSync(join(dir, 'cursor'), Buffer.from('garbage garbage!'));
    const again = openSpool(dir, 1 << 20);
    expect(ns(await drainAll(again))).toEqual([0, 1, 2, 3, 4]);
  });
});
