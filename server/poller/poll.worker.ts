import { parentPort, workerData } from 'node:worker_threads';
import { SnmpClient, type SnmpClientOptions } from '../collectors/snmp/snmp.client.js';
import { collectDevice } from '../collectors/snmp/snmp.collect.js';
import type { WorkerRequest, WorkerReply } from './worker-pool.js';

/**
 * Worker thread entry: one SnmpClient (a few shared UDP sockets) per worker,
 * polls whatever the pool sends. Never throws back: failures travel as data.
 */
const client = new SnmpClient((workerData as { client?: SnmpClientOptions } | undefined)?.client ?? {});
const port = parentPort!;

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'close') {
    client.close();
    port.close();
    return;
  }
  if (msg.type === 'forget') {
    if (msg.current) client.forgetIfChanged(msg.deviceId, msg.current);
    else client.forget(msg.deviceId);
    return;
  }
  if (msg.type === 'sessions') {
    port.postMessage({ id: msg.id, sessions: client.transport.sessionCount() } satisfies WorkerReply);
    return;
  }
  collectDevice(client, msg.target, msg.options).then(
    (result) => port.postMessage({ id: msg.id, result } satisfies WorkerReply),
    (e: unknown) => port.postMessage({ id: msg.id, error: String((e as Error)?.message ?? e) } satisfies WorkerReply),
  );
});
