/**
 * Event store thread: its own connection to the database, and nothing to do
 * but insert event rows (ids assigned by the main thread) one transaction per
 * batch, so the main thread parses, classifies and serves the API while SQLite
 * writes and syncs. Protocol: see event-store-thread.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './database.js';
import { EventRowInserter } from './event.repository.js';

const port = parentPort!;
const { file } = workerData as { file: string };

let inserter: EventRowInserter;
let db: ReturnType<typeof openDatabase>;
try {
  db = openDatabase(file);
  inserter = new EventRowInserter(db);
  port.postMessage({ type: 'ready' });
} catch (err) {
  port.postMessage({ type: 'open-error', message: (err as Error).message });
}

port.on('message', (m: { type: 'insert'; seq: number; rows: unknown[] } | { type: 'close' }) => {
  if (m.type === 'close') {
    db?.close();
    port.postMessage({ type: 'closed' });
    port.close();
    return;
  }
  try {
    inserter.insert(m.rows);
    port.postMessage({ type: 'stored', seq: m.seq });
  } catch (err) {
    port.postMessage({ type: 'failed', seq: m.seq, message: (err as Error).message });
  }
});
