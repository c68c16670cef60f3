import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../log/logger.js';
import { CHANGES_CHANNEL, LISTEN_CHANGES, NOTIFY_CHANGE, SESSION_KEEPALIVES } from '../store/pg/cluster-queries.js';

/** What another node may have cached and must read again. */
export const CHANGE_KINDS = ['device', 'rules', 'maintenance', 'escalation', 'authRevoked', 'trapUsers', 'templates', 'mibs'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
const KINDS: ReadonlySet<string> = new Set(CHANGE_KINDS);
const OPS: ReadonlySet<string> = new Set(['created', 'updated', 'deleted']);

/**
 * A change made on one node: `kind`, and for a device or user its `id` (and for a device `op`).
 * `resync` is never sent: it is what a node gets after its listen session came back, since notices
 * sent meanwhile are lost: every cache is read again.
 */
export type ChangeNotice = { kind: ChangeKind; id?: number; op?: 'created' | 'updated' | 'deleted' } | { kind: 'resync' };

export interface ChangeNotices {
  /** Tells the other nodes (never this one). */
  publish(n: Exclude<ChangeNotice, { kind: 'resync' }>): void;
  /** Notices from the other nodes. */
  subscribe(handler: (n: ChangeNotice) => void): () => void;
}

export interface PgChangeNoticesOptions {
  url: string;
  log?: Logger;
  /** Wait before listening again after the session dropped (default 2000 ms). */
  reconnectMs?: number;
}

/**
 * Cache invalidation across central nodes over PostgreSQL LISTEN/NOTIFY on channel `netwatch_changes`,
 * one dedicated session per node (it also sends). The store being PostgreSQL is the one condition under
 * which there are several central nodes, so this needs no other peer (NATS is there only with remote
 * collectors). A notice is `{"n":node,"k":kind,"i":id,"o":op}`; a node drops its own, and what is not
 * a notice (anyone who can connect can NOTIFY) is counted in `invalid` and dropped. A notice is sent
 * after the change was committed, so the receiver reads the new state.
 *
 * Counters: `sent`, `received`, `invalid`, `send_errors`, `reconnects`, `listening`.
 */
export class PgChangeNotices implements ChangeNotices {
  readonly node = randomUUID();
  private client: pg.Client | null = null;
  private readonly handlers = new Set<(n: ChangeNotice) => void>();
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  private everListened = false;
  private sending: Promise<void> = Promise.resolve();
  private readonly stats = { sent: 0, received: 0, invalid: 0, send_errors: 0, reconnects: 0 };

  constructor(private readonly opts: PgChangeNoticesOptions) {}

  /** Resolves once listening (a failure here fails the node's start). */
  async start(): Promise<void> {
    await this.listen(true);
  }

  publish(n: Exclude<ChangeNotice, { kind: 'resync' }>): void {
    const c = this.client;
    const text = JSON.stringify({ n: this.node, k: n.kind, ...(n.id !== undefined ? { i: n.id } : {}), ...(n.op ? { o: n.op } : {}) });
    if (!c) {
      this.stats.send_errors++;
      return;
    }
    // One at a time on the session, in the order the changes were made.
    this.sending = this.sending.then(() =>
      c.query(NOTIFY_CHANGE, [text]).then(
        () => void this.stats.sent++,
        (err: unknown) => {
          this.stats.send_errors++;
          this.opts.log?.warn({ err, kind: n.kind }, 'cannot send a change notice to the other nodes');
        },
      ),
    );
  }

  subscribe(handler: (n: ChangeNotice) => void): () => void {
    this.handlers.add(handler);
    return () => void this.handlers.delete(handler);
  }

  counters(): Record<string, number> {
    return { ...this.stats, listening: this.client ? 1 : 0 };
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
    }
  }

  private async listen(first: boolean): Promise<void> {
    const c = new pg.Client({ connectionString: this.opts.url, application_name: 'netwatch-changes', keepAlive: true, keepAliveInitialDelayMillis: 5000, connectionTimeoutMillis: 10_000 });
    c.on('notification', (m) => {
      if (m.channel === CHANGES_CHANNEL) this.receive(m.payload);
    });
    c.on('error', (err) => this.opts.log?.warn({ err }, 'change notice session failed'));
    c.on('end', () => this.lost(c));
    try {
      await c.connect();
      await c.query(SESSION_KEEPALIVES);
      await c.query(LISTEN_CHANGES);
    } catch (err) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
      if (first) throw new Error(`cannot listen for change notices: ${(err as Error).message}`, { cause: err });
      this.opts.log?.warn({ err }, 'cannot listen for change notices; trying again');
      this.again();
      return;
    }
    if (this.closed) {
      await c.end().catch(() => undefined);
      return;
    }
    this.client = c;
    // Back after a gap: what changed meanwhile is not known, so everything is read again.
    if (this.everListened) this.deliver({ kind: 'resync' });
    this.everListened = true;
  }

  private lost(c: pg.Client): void {
    if (this.client !== c) return;
    this.client = null;
    this.opts.log?.warn('change notice session ended; listening again');
    this.again();
  }

  private again(): void {
    if (this.closed) return;
    this.stats.reconnects++;
    this.retry = setTimeout(() => void this.listen(false), this.opts.reconnectMs ?? 2000);
    this.retry.unref();
  }

  private receive(payload: string | undefined): void {
    let v: unknown;
    try {
      v = JSON.parse(payload ?? '');
    } catch {
      this.stats.invalid++;
      return;
    }
    const n = parseNotice(v);
    if (!n) {
      this.stats.invalid++;
      return;
    }
    if (n.node === this.node) return;
    this.stats.received++;
    this.deliver(n.notice);
  }

  private deliver(n: ChangeNotice): void {
    for (const h of this.handlers) {
      try {
        h(n);
      } catch (err) {
        this.opts.log?.error({ err, kind: n.kind }, 'change notice handler failed');
      }
    }
  }
}

/** A notice as sent by a node, or undefined. Reads own properties only (`__proto__` and the like are no keys here). */
export function parseNotice(v: unknown): { node: string; notice: ChangeNotice } | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const get = (k: string): unknown => (Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined);
  const node = get('n');
  const kind = get('k');
  const id = get('i');
  const op = get('o');
  if (typeof node !== 'string' || node.length > 64 || typeof kind !== 'string' || !KINDS.has(kind)) return undefined;
  if (id !== undefined && !(typeof id === 'number' && Number.isSafeInteger(id) && id > 0)) return undefined;
  if (op !== undefined && !(typeof op === 'string' && OPS.has(op))) return undefined;
  if (kind === 'device' && (id === undefined || op === undefined)) return undefined;
  if (kind === 'authRevoked' && id === undefined) return undefined;
  return { node, notice: { kind: kind as ChangeKind, ...(id !== undefined ? { id } : {}), ...(op !== undefined ? { op: op as 'created' } : {}) } };
}
