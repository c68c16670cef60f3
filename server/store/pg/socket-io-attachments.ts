import type pg from 'pg';
import { CREATE_SOCKET_IO_ATTACHMENTS } from './cluster-queries.js';

/** Creates the table @socket.io/postgres-adapter keeps large packets in, when missing (every central node at start). */
export async function ensureSocketIoAttachments(pool: pg.Pool): Promise<void> {
  await pool.query(CREATE_SOCKET_IO_ATTACHMENTS);
}
