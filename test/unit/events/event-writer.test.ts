import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NormalizedEvent, StoredEvent } from '../../../server/contracts/events.js';
import { normalizeAddress } from '../../../server/events/device-resolver.js';
import { submitDurably, type IntakeOutcome } from '../../../server/events/event-intake.js';
import { EventRetention } from '../../../server/events/event-retention.js';
import { EventWriter } from '../../../server/events/event-writer.js';
import { createLogger } from '../../../server/log/logger.js';
import { MIGRATIONS_DIR } from '../../../server/paths.js';
import { openDatabase } from '../../../server/store/database.js';
import { EventRepository } from '../../../server/store/event.repository.js';
import { openEventStoreThread, type EventRowSink } from '../../../server/store/event-store-thread.js';
import { migrate, readMigrations } from '../../../server/store/migrate.js';

const log = createLogger({ level: 'silent', format: 'json' });

function repo() {
  const file = join(mkdtempSync(join(tmpdir(), 'nw-ev-')), 'netwatch.db');
  const db = openDatabase(file);
  migrate(db, readMigrations(MIGRATIONS_DIR));
  return { db, file, events: new EventRepository(db) };
}

const ev = (i: number, over: Partial<NormalizedEvent> = {}): NormalizedEvent => ({
  receivedAt: 1_700_000_000_000 + i,
  reportedAt: null,
  source: 'syslog',
  sourceAddress: '127.0.0.1',
  deviceId: null,
  severity: 'info',
  type: 'test',
  message: `message ${i}`,
  params: { i },
  ...over,
});

describe('event writer', () => {
  it('stores pushed events in batches and hands each stored batch on with ids', () => {
    const { events } = repo();
    const batches: StoredEvent[][] = [];
    const w = new EventWriter(events, { flushIntervalMs: 10_000, batchSize: 100, maxQueue: 10_000, onStored: (b) => batches.push(b) }, log);
    for (let i = 0; i < 250; i++) w.push(ev(i));
    w.flush();
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat().map((e) => e.id)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(w.counters()).toMatchObject({ queued: 250, stored: 250, dropped: 0, backlog: 0 });
    w.close();
  });

  it('writes a backlog of full batches one batch per turn, every event once and in order', async () => {
    const { events } = repo();
    const batches: StoredEvent[][] = [];
    const w = new EventWriter(events, { flushIntervalMs: 10_000, batchSize: 100, maxQueue: 10_000, onStored: (b) => batches.push(b) }, log);
    for (let i = 0; i < 250; i++) w.push(ev(i));
    expect(batches).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(batches.map((b) => b.length)).toEqual([100]);
    // Pushed while the backlog drains: behind it.
    for (let i = 250; i < 260; i++) w.push(ev(i));
    for (let i = 0; i < 100 && batches.flat().length < 260; i++) await new Promise((r) => setImmediate(r));
    expect(batches.map((b) => b.length)).toEqual([100, 100, 60]);
    expect(batches.flat().map((e) => e.message)).toEqual(Array.from({ length: 260 }, (_, i) => `message ${i}`));
    expect(batches.flat().map((e) => e.id)).toEqual(Array.from({ length: 260 }, (_, i) => i + 1));
    expect(w.counters()).toMatchObject({ queued: 260, stored: 260, dropped: 0, backlog: 0 });
    await w.close();
  });

  it('keeps a keyed call in one batch and commits its key with its events, on the store thread and on this one', async () => {
    for (const thread of [true, false]) {
      const { events, file } = repo();
      const sink = thread ? await openEventStoreThread(file) : null;
      const batches: StoredEvent[][] = [];
      const w = new EventWriter(
        events,
        { flushIntervalMs: 10_000, batchSize: 10, maxQueue: 10_000, onStored: (b) => batches.push(b), ...(sink ? { sink: { rows: sink, nextId: events.nextId() } } : {}) },
        log,
      );
      for (let i = 0; i < 4; i++) w.push(ev(i));
      const keyed = submitDurably(w, Array.from({ length: 25 }, (_, i) => ev(100 + i)), 'site-a:boot:1');
      const plain = submitDurably(w, Array.from({ length: 3 }, (_, i) => ev(200 + i)));
      expect(w.committedBefore('site-a:boot:1')).toBe(false);
      w.flush();
      expect(await keyed).toBe('committed');
      expect(await plain).toBe('committed');
      // 4 plain + 25 keyed in one batch (not cut at 10), then the rest.
      expect(batches.map((b) => b.length), `thread ${thread}`).toEqual([29, 3]);
      expect(w.committedBefore('site-a:boot:1')).toBe(true);
      expect(w.committedBefore('site-a:boot:2')).toBe(false);
      await w.close();
      await sink?.close();
    }
  });

  it('counts drops beyond the queue bound instead of growing without limit', () => {
    const { events } = repo();
    const w = new EventWriter(events, { flushIntervalMs: 10_000, batchSize: 1000, maxQueue: 10, onStored: () => {} }, log);
    for (let i = 0; i < 15; i++) w.push(ev(i));
    expect(w.counters()).toMatchObject({ queued: 10, dropped: 5 });
    w.close();
    expect(w.counters().stored).toBe(10);
  });

  it('fills the device from the sender address', () => {
    const { events } = repo();
    const stored: StoredEvent[] = [];
    const w = new EventWriter(
      events,
      { flushIntervalMs: 10_000, batchSize: 10, maxQueue: 100, onStored: (b) => stored.push(...b), resolveDevice: (a) => (a === '127.0.0.9' ? 42 : null) },
      log,
    );
    w.push(ev(1, { sourceAddress: '127.0.0.9' }));
    w.push(ev(2, { sourceAddress: '127.0.0.8' }));
    w.close();
    expect(stored.map((e) => e.deviceId)).toEqual([42, null]);
  });

  it('keeps BigInt and binary params as text', () => {
    const { events } = repo();
    const [e] = events.insertBatch([ev(1, { params: { c64: 18446744073709551615n, raw: Buffer.from([0xff, 0x00]) } })]);
    expect(events.get(e!.id)!.params).toEqual({ c64: '18446744073709551615', raw: 'ff00' });
  });
});

describe('event writer with the event store thread', () => {
  it('assigns ids after the stored ones, commits on the thread and announces batches in order once committed', async () => {
    const { events, file } = repo();
    events.insertBatch([ev(0), ev(1)]);
    const sink = await openEventStoreThread(file);
    const batches: StoredEvent[][] = [];
    const w = new EventWriter(events, { flushIntervalMs: 10_000, batchSize: 1000, maxQueue: 10_000, sink: { rows: sink, nextId: events.nextId() }, onStored: (b) => batches.push(b) }, log);
    for (let i = 2; i < 2502; i++) w.push(ev(i, { params: { i, c64: 18446744073709551615n } }));
    w.flush();
    // Handed over, not yet announced: nothing is "stored" before the thread commits it.
    expect(w.counters()).toMatchObject({ stored: 0, backlog: 2500 });
    await w.close();
    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(batches.flat().map((e) => e.id)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 3));
    expect(w.counters()).toMatchObject({ stored: 2500, backlog: 0, write_errors: 0 });
    // Committed by the thread's connection, read back through the main one.
    expect(events.idRange()).toEqual({ minId: 1, maxId: 2502 });
    expect(events.get(2502)).toMatchObject({ message: 'message 2501', params: { i: 2501, c64: '18446744073709551615' } });
    await sink.close();
  });

  it('counts events handed to the thread against the queue bound', async () => {
    const { events } = repo();
    // A sink that never commits: what is in flight must still count, or memory grows without limit.
    const stuck: EventRowSink = { insert: () => new Promise<void>(() => {}), close: async () => {} };
    const w = new EventWriter(events, { flushIntervalMs: 10_000, batchSize: 5, maxQueue: 10, sink: { rows: stuck, nextId: 1 }, onStored: () => {} }, log);
    for (let i = 0; i < 10; i++) w.push(ev(i));
    w.flush();
    for (let i = 0; i < 5; i++) w.push(ev(i));
    expect(w.counters()).toMatchObject({ queued: 10, dropped: 5, backlog: 10, stored: 0 });
  });

  it('counts a batch the thread cannot write as write errors and goes on', async () => {
    const { events, file } = repo();
    const sink = await openEventStoreThread(file);
    const stored: StoredEvent[] = [];
    const w = new EventWriter(events, { flushIntervalMs: 10_000, batchSize: 10, maxQueue: 100, sink: { rows: sink, nextId: 1 }, onStored: (b) => stored.push(...b) }, log);
    // A row the schema refuses (severity is checked) fails its batch only.
    w.push(ev(1));
    w.flush();
    w.push(ev(2, { source: 'bogus' as never }));
    w.flush();
    w.push(ev(3));
    await w.close();
    expect(w.counters()).toMatchObject({ stored: 2, write_errors: 1 });
    expect(stored.map((e) => e.message)).toEqual(['message 1', 'message 3']);
    expect(events.query({ limit: 10 }).items.map((e) => e.message)).toEqual(['message 3', 'message 1']);
    await sink.close();
  });
});

describe('event writer: ids from a function (PostgreSQL id blocks)', () => {
  it('numbers events with what nextId() returns, and fails only the batch for which no id could be had', async () => {
    const { events, file } = repo();
    const sink = await openEventStoreThread(file);
    // Two blocks, as PostgreSQL hands them out (another writer owns the ids between), and one failure.
    const ids = [101, 102, 103, 5001, 5002, 'fail', 5003, 5004, 5005];
    const nextId = () => {
      const v = ids.shift();
      if (typeof v !== 'number') throw new Error('event id block: no answer');
      return v;
    };
    const stored: StoredEvent[] = [];
    const w = new EventWriter(events, { flushIntervalMs: 10_000, batchSize: 5, maxQueue: 100, sink: { rows: sink, nextId }, onStored: (b) => stored.push(...b) }, log);
    for (let i = 1; i <= 5; i++) w.push(ev(i));
    w.flush();
    w.push(ev(6)); // its id throws: this batch fails
    w.flush();
    for (let i = 7; i <= 9; i++) w.push(ev(i));
    await w.close();
    expect(stored.map((e) => [e.id, e.message])).toEqual([
      [101, 'message 1'], [102, 'message 2'], [103, 'message 3'], [5001, 'message 4'], [5002, 'message 5'],
      [5003, 'message 7'], [5004, 'message 8'], [5005, 'message 9'],
    ]);
    expect(w.counters()).toMatchObject({ stored: 8, write_errors: 1 });
    expect(events.get(5001)?.message).toBe('message 4');
    await sink.close();
  });
});

describe('event writer: one bad event never costs its batch', () => {
  it('stores a batch unclassified when classification throws, and without a device when the lookup throws', async () => {
    const { events, file } = repo();
    const sink = await openEventStoreThread(file);
    const stored: StoredEvent[] = [];
    const w = new EventWriter(events, {
      flushIntervalMs: 10_000, batchSize: 10, maxQueue: 100, sink: { rows: sink, nextId: 1 }, onStored: (b) => stored.push(...b),
      resolveDevice: (a) => {
        if (a === '192.0.2.66') throw new Error('lookup broke');
        return 4;
      },
      preprocess: (batch) => {
        if (batch.some((e) => e.message === 'poison')) throw new Error('classifier broke');
        return batch;
      },
    }, log);
    for (let i = 0; i < 5; i++) w.push(ev(i));
    w.push(ev(5, { message: 'poison', sourceAddress: '192.0.2.66' }));
    for (let i = 6; i < 10; i++) w.push(ev(i));
    await w.close();
    expect(stored).toHaveLength(10);
    expect(events.query({ limit: 20 }).items).toHaveLength(10);
    expect(stored.find((e) => e.message === 'poison')!.deviceId).toBeNull();
    expect(stored.find((e) => e.message === 'message 1')!.deviceId).toBe(4);
    expect(w.counters()).toMatchObject({ stored: 10, write_errors: 0, preprocess_errors: 10, resolve_errors: 1 });
    await sink.close();
  });

  it('stores events whose fields a sender bent out of shape (NaN times, non-string text) instead of failing the batch', async () => {
    const { events, file } = repo();
    const sink = await openEventStoreThread(file);
    const w = new EventWriter(events, { flushIntervalMs: 10_000, batchSize: 10, maxQueue: 100, sink: { rows: sink, nextId: 1 }, onStored: () => {} }, log);
    w.push(ev(1));
    w.push(ev(2, { reportedAt: Number.NaN, message: { text: 'object' } as never, type: 42 as never, deviceId: 1.5 }));
    w.push(ev(3));
    await w.close();
    const items = events.query({ limit: 10 }).items;
    expect(items.map((e) => e.message)).toEqual(['message 3', '[object Object]', 'message 1']);
    expect(items[1]).toMatchObject({ reportedAt: null, type: '42', deviceId: null });
    expect(w.counters()).toMatchObject({ stored: 3, write_errors: 0 });
    await sink.close();
  });
});

describe('event writer as an intake: settled only once committed', () => {
  it('settles a submit as committed only after the thread committed its events, readable from another connection', async () => {
    const { events, file } = repo();
    const sink = await openEventStoreThread(file);
    const w = new EventWriter(events, { flushIntervalMs: 10_000, batchSize: 1000, maxQueue: 10_000, sink: { rows: sink, nextId: 1 }, onStored: () => {} }, log);
    const seen: { outcome: IntakeOutcome; readable: number }[] = [];
    w.submit([ev(1), ev(2)], (outcome) => seen.push({ outcome, readable: events.query({ limit: 10 }).items.length }));
    w.flush();
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([]); // handed over is not committed
    await w.close();
    expect(seen).toEqual([{ outcome: 'committed', readable: 2 }]);
    await sink.close();
  });

  it('settles calls in order, a call spanning two batches after the second, a failed batch only its own calls', async () => {
    const { events, file } = repo();
    const sink = await openEventStoreThread(file);
    const w = new EventWriter(events, { flushIntervalMs: 10_000, batchSize: 3, maxQueue: 100, sink: { rows: sink, nextId: 1 }, onStored: () => {} }, log);
    const order: string[] = [];
    w.submit([ev(1), ev(2)], (o) => order.push(`a:${o}`)); // batch 1
    w.submit([ev(3), ev(4)], (o) => order.push(`b:${o}`)); // batches 1 and 2
    w.push(ev(5)); // batch 2, no callback
    w.submit([ev(6, { source: 'bogus' as never })], (o) => order.push(`c:${o}`)); // batch 2 fails: the schema refuses it
    w.submit([ev(7)], (o) => order.push(`d:${o}`)); // batch 3
    w.flush();
    expect(order).toEqual([]);
    await w.close();
    expect(order).toEqual(['a:committed', 'b:failed', 'c:failed', 'd:committed']);
    await sink.close();
  });

  it('refuses a whole call when the queue cannot take all of it, and settles it as dropped', async () => {
    const { events } = repo();
    const w = new EventWriter(events, { flushIntervalMs: 10_000, batchSize: 100, maxQueue: 3, onStored: () => {} }, log);
    const got: IntakeOutcome[] = [];
    w.submit([ev(1), ev(2)], (o) => got.push(o));
    w.submit([ev(3), ev(4)], (o) => got.push(o));
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(['dropped']);
    expect(w.counters()).toMatchObject({ queued: 2, dropped: 2 });
    await w.close();
    expect(got).toEqual(['dropped', 'committed']);
    expect(events.query({ limit: 10 }).items).toHaveLength(2);
  });

  it('settles events a rule discarded as committed (nothing to wait for), and refuses calls after close', async () => {
    const { events } = repo();
    const w = new EventWriter(events, { flushIntervalMs: 10_000, batchSize: 100, maxQueue: 100, preprocess: () => [], onStored: () => {} }, log);
    const discarded = submitDurably(w, [ev(1)]);
    w.flush();
    expect(await discarded).toBe('committed');
    await w.close();
    expect(await submitDurably(w, [ev(2)])).toBe('failed');
  });
});

describe('event queries', () => {
  it('filters by source, severity, device, text and time, newest first with a cursor', () => {
    const { events } = repo();
    events.insertBatch([
      ev(1, { source: 'trap', severity: 'warning', type: '1.3.6.1.6.3.1.1.5.3', message: 'linkDown ifIndex 3', deviceId: 1 }),
      ev(2, { source: 'syslog', severity: 'major', message: '%LINK-3-UPDOWN: Interface Gi0/1, changed state to down' }),
      ev(3, { source: 'syslog', severity: 'debug', message: 'noise 100%_done' }),
      ev(4, { source: 'icmp', severity: 'critical', message: 'device down', deviceId: 1 }),
    ]);
    expect(events.query({ limit: 10 }).items.map((e) => e.receivedAt % 10)).toEqual([4, 3, 2, 1]);
    expect(events.query({ limit: 10, source: ['trap', 'icmp'] }).items).toHaveLength(2);
    expect(events.query({ limit: 10, minSeverity: 'warning' }).items.map((e) => e.severity)).toEqual(['critical', 'major', 'warning']);
    expect(events.query({ limit: 10, deviceId: 1 }).items).toHaveLength(2);
    expect(events.query({ limit: 10, text: 'updown' }).items).toHaveLength(1);
    expect(events.query({ limit: 10, text: '100%_' }).items).toHaveLength(1);
    expect(events.query({ limit: 10, text: '%' }).items).toHaveLength(2);
    expect(events.query({ limit: 10, from: 1_700_000_000_002, to: 1_700_000_000_003 }).items).toHaveLength(2);
    const page1 = events.query({ limit: 3 });
    expect(page1.nextCursor).toBe(2);
    const page2 = events.query({ limit: 3, beforeId: page1.nextCursor! });
    expect(page2.items.map((e) => e.id)).toEqual([1]);
    expect(page2.nextCursor).toBeNull();
  });
});

describe('event retention', () => {
  it('removes events past their age and beyond the row cap, in small batches', async () => {
    const { events } = repo();
    const now = 1_800_000_000_000;
    const old = Array.from({ length: 50 }, (_, i) => ev(i, { receivedAt: now - 40 * 86_400_000 }));
    const fresh = Array.from({ length: 30 }, (_, i) => ev(i, { receivedAt: now - 1000 }));
    events.insertBatch([...old, ...fresh]);
    const r = new EventRetention(events, { maxAgeMs: 30 * 86_400_000, maxRows: 20, batch: 7 }, log);
    expect(await r.runOnce(now)).toBe(60);
    const left = events.query({ limit: 100 }).items;
    expect(left).toHaveLength(20);
    expect(left.every((e) => e.receivedAt === now - 1000)).toBe(true);
  });
});

describe('address normalisation', () => {
  it('maps IPv4-mapped IPv6 to IPv4 and canonicalises IPv6', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(normalizeAddress('FE80::1')).toBe('fe80::1');
  });
});
