/**
 * `openEventsOn`: the events module's store on either engine. A real
 * EventWriter writes through the store thread (ids from blocks on
 * PostgreSQL), and the main-thread repository then answers get, idRange and
 * batchStored the same way on both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent, StoredEvent } from '../../../server/contracts/events.js';
import { EventWriter } from '../../../server/events/event-writer.js';
import type { IntakeOutcome } from '../../../server/events/event-intake.js';
import { createLogger } from '../../../server/log/logger.js';
import { openEventsOn, type OpenedEvents } from '../../../server/store/pg/open-events.js';
import { newPgDatabase } from '../../helpers/store-engines.js';
import { postgresAvailable } from '../../helpers/postgres.js';
import { eventStore } from './event-store-helpers.js';

const log = createLogger({ level: 'silent', format: 'json' });
const NOW = Date.now();
const ev = (i: number): NormalizedEvent => ({
  receivedAt: NOW + i,
  reportedAt: null,
  source: 'syslog',
  sourceAddress: '192.0.2.9',
  deviceId: null,
  severity: 'warning',
  type: i % 2 ? '__proto__' : "O'Brien",
  message: `event ${i} "quoted" Zürich 🙂`,
  params: JSON.parse('{"__proto__": {"polluted": true}, "n": 1}') as Record<string, unknown>,
});

const engines = postgresAvailable() ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

describe.each(engines)('openEventsOn(%s)', (engine) => {
  let opened: OpenedEvents;
  let writer: EventWriter;
  const announced: StoredEvent[] = [];
  let closeSqlite = () => {};

  beforeAll(async () => {
    if (engine === 'sqlite') {
      const s = eventStore();
      closeSqlite = () => s.db.close();
      opened = await openEventsOn({ sqlite: { db: s.db, file: s.file } }, { maintenanceIntervalMs: 3_600_000 });
    } else {
      opened = await openEventsOn({ postgresUrl: await newPgDatabase() }, { maintenanceIntervalMs: 3_600_000 });
    }
    writer = new EventWriter(
      opened.events,
      { sink: { rows: opened.sink, nextId: opened.nextId }, flushIntervalMs: 5, batchSize: 100, maxQueue: 10_000, onStored: (s) => announced.push(...s) },
      log,
    );
  }, 60_000);
  afterAll(async () => {
    await writer?.close();
    await opened?.close();
    closeSqlite();
  });

  it('stores what the writer hands over and reads it back on the main thread', async () => {
    const outcome = await new Promise<IntakeOutcome>((resolve) => writer.submit(Array.from({ length: 250 }, (_, i) => ev(i)), resolve, 'batch-key-1'));
    expect(outcome).toBe('committed');
    expect(announced).toHaveLength(250);
    const ids = announced.map((e) => e.id);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
    expect(opened.events.idRange()).toEqual({ minId: ids[0], maxId: ids.at(-1) });
    const got = opened.events.get(ids[7]!)!;
    expect(got).toEqual({ ...announced[7], params: got.params });
    expect(JSON.stringify(got.params)).toBe(JSON.stringify(announced[7]!.params));
    expect(Object.prototype.hasOwnProperty.call(got.params, '__proto__')).toBe(true);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(opened.events.get(ids.at(-1)! + 1_000_000)).toBeUndefined();
    expect(writer.committedBefore('batch-key-1')).toBe(true);
    expect(writer.committedBefore("batch-key-1' OR '1'='1")).toBe(false);
  });

  it.skipIf(engine === 'sqlite')('says where writes, lists and ids go on PostgreSQL instead of running SQLite-only code', () => {
    expect(() => opened.events.nextId()).toThrow(/event store thread/);
    expect(() => opened.events.query({ limit: 1 })).toThrow(/reader threads/);
    expect(() => opened.events.insertBatch([])).toThrow(/event store thread/);
  });
});
