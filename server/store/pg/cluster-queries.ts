/**
 * The SQL of the cluster pieces (server/cluster/*): advisory locks of singleton jobs, the change-notice
 * channel, the socket.io adapter's table. No table of ours is touched here; it is kept with the store's
 * SQL all the same.
 */

/** $1 = SINGLETON_LOCK_CLASS, $2 = the job's key. */
export const TRY_JOB_LOCK = 'SELECT pg_try_advisory_lock($1, $2) AS ok';
export const UNLOCK_JOB = 'SELECT pg_advisory_unlock($1, $2)';
/** The holder's check that its lock session still answers. */
export const SESSION_ALIVE = 'SELECT 1';
/** Server-side TCP keepalives of a lock or listen session: a silent client's session ends after ~14 s. */
export const SESSION_KEEPALIVES = 'SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 3; SET tcp_keepalives_count = 3';

/** The channel change notices travel on (LISTEN/NOTIFY). */
export const CHANGES_CHANNEL = 'netwatch_changes';
export const LISTEN_CHANGES = `LISTEN ${CHANGES_CHANNEL}`;
/** $1 = the notice's JSON text (under 8000 bytes). */
export const NOTIFY_CHANGE = `SELECT pg_notify('${CHANGES_CHANNEL}', $1)`;

/**
 * @socket.io/postgres-adapter keeps packets larger than NOTIFY's payload limit here (and deletes them
 * after `cleanupInterval`). Created at start-up when missing, as the adapter's README gives it.
 */
export const SOCKET_IO_ATTACHMENTS_TABLE = 'socket_io_attachments';
export const CREATE_SOCKET_IO_ATTACHMENTS = `CREATE TABLE IF NOT EXISTS ${SOCKET_IO_ATTACHMENTS_TABLE} (
  id bigserial UNIQUE,
  created_at timestamptz DEFAULT NOW(),
  payload bytea
)`;
