import { parentPort } from 'node:worker_threads';
import { SnmpClient } from '../collectors/snmp/snmp.client.js';
import type { RmonWorkerReply, RmonWorkerRequest } from './rmon-thread.js';
import { RmonReadError, walkRmonHistory, walkRmonTables } from './rmon-walk.js';

/**
 * RMON reads off the main thread: one SnmpClient (one UDP socket per family, sessions cached per
 * device), walks and parses what the RmonThread sends. Never throws back: failures travel as data.
 */
const client = new SnmpClient({ socketsPerFamily: 1 });
const port = parentPort!;

port.on('message', (msg: RmonWorkerRequest) => {
  if (msg.type === 'close') {
    client.close();
    port.close();
    return;
  }
  if (msg.type === 'forget') {
    client.forget(msg.target);
    return;
  }
  const work = msg.type === 'tables' ? walkRmonTables(client, msg.req) : walkRmonHistory(client, msg.req, msg.control);
  work.then(
    (result) => port.postMessage({ id: msg.id, result } satisfies RmonWorkerReply),
    (e: unknown) =>
      port.postMessage({
        id: msg.id,
        error: e instanceof RmonReadError ? { kind: e.kind, message: e.message } : { kind: 'failed', message: `RMON read failed: ${String((e as Error)?.message ?? e).slice(0, 300)}` },
      } satisfies RmonWorkerReply),
  );
});
