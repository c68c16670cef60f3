/**
 * What the events module needs of the store, on either engine: the
 * main-thread events repository (`events`: the part of EventRepository the
 * engine and the writer call synchronously), the event store thread (`sink`)
 * and where the writer's ids come from (`nextId`). The events module does
 *
 *   const { events, sink, nextId } = await openEventsOn(backend, storeOptions);
 *   new EventWriter(events, { sink: { rows: sink, nextId }, ... });
 *   createEventEngine({ events, ... });
 *
 * and cannot tell the engines apart. On SQLite that is today's wiring
 * (EventRepository on the main connection, the store thread on the file,
 * ids counting up from the newest stored). On PostgreSQL, `events` is
 * PgMainEvents on a synchronous PgDb and ids come in blocks from the store
 * thread, so several central nodes write to one database.
 */
import type { StoredEvent } from '../../contracts/events.js';
import type { Db } from '../database.js';
import { EventRepository, toEvent, type EventRow } from '../event.repository.js';
import { openEventStoreThread, type EventStoreOptions, type EventStoreThread } from '../event-store-thread.js';
import { openPgDb } from './pg-db.js';

export type EventsBackend = { sqlite: { db: Db; file: string } } | { postgresUrl: string };

export interface OpenedEvents {
  /** The main thread's events repository (on PostgreSQL: PgMainEvents, typed as EventRepository; see there what it serves). */
  events: EventRepository;
  /** The event store thread (EventWriter's `sink.rows`). */
  sink: EventStoreThread;
  /** EventWriter's `sink.nextId`. */
  nextId: number | (() => number);
  /** Closes the store thread (after the writer is closed) and what `events` holds open. */
  close(): Promise<void>;
}

const COLUMNS = 'id, received_at, reported_at, source, source_address, device_id, severity, type, message, params';

/**
 * EventRepository's main-thread part on PostgreSQL, synchronous (PgDb: one
 * blocking round trip per call, as better-sqlite3 is): `get`, `idRange`,
 * `batchStored` with the same results. Lists and searches are reads
 * (`reads.run('events.query')`, served by the reader threads); writes,
 * retention and ids belong to the event store thread: those methods throw
 * and say where to go instead.
 */
export class PgMainEvents {
  constructor(private readonly db: Db) {}

  get(id: number): StoredEvent | undefined {
    if (!Number.isSafeInteger(id)) return undefined;
    const r = this.db.prepare<[number], EventRow>(`SELECT ${COLUMNS} FROM events WHERE id = ? LIMIT 1`).get(id);
    return r && toEvent(r);
  }

  idRange(): { minId: number | null; maxId: number | null } {
    return this.db.prepare<[], { minId: number | null; maxId: number | null }>('SELECT (SELECT min(id) FROM events) AS "minId", (SELECT max(id) FROM events) AS "maxId"').get()!;
  }

  batchStored(key: string): boolean {
    return this.db.prepare<[string]>('SELECT 1 AS one FROM remote_batches WHERE msg_id = ?').get(key) !== undefined;
  }

  nextId(): never {
    throw new Error('on PostgreSQL event ids come in blocks from the event store thread (EventStoreThread.nextId)');
  }

  insertBatch(): never {
    throw new Error('on PostgreSQL events are written by the event store thread (EventWriter with a sink)');
  }

  query(): never {
    throw new Error("on PostgreSQL events are listed by the reader threads (reads.run('events.query'))");
  }

  maintenance(): never {
    throw new Error('on PostgreSQL retention runs on the event store thread');
  }

  deleteOlderThan(): never {
    return this.maintenance();
  }

  deleteBeyondCap(): never {
    return this.maintenance();
  }

  explain(): never {
    throw new Error('EXPLAIN QUERY PLAN is SQLite only');
  }
}

// Every public member of EventRepository exists on PgMainEvents (else the cast in openEventsOn would lie): a compile error names the missing one.
type Missing = Exclude<keyof EventRepository, keyof PgMainEvents>;
const complete: [Missing] extends [never] ? true : Missing = true;
void complete;

export async function openEventsOn(backend: EventsBackend, options: EventStoreOptions = {}): Promise<OpenedEvents> {
  if ('sqlite' in backend) {
    const events = new EventRepository(backend.sqlite.db);
    const sink = await openEventStoreThread(backend.sqlite.file, options);
    return { events, sink, nextId: events.nextId(), close: () => sink.close() };
  }
  // The store thread first: it applies the migrations before anything else uses the database.
  const sink = await openEventStoreThread({ postgresUrl: backend.postgresUrl }, options);
  const db = openPgDb(backend.postgresUrl);
  const nextId = sink.nextId!;
  return {
    events: new PgMainEvents(db) as unknown as EventRepository,
    sink,
    nextId,
    async close() {
      await sink.close();
      db.close();
    },
  };
}
