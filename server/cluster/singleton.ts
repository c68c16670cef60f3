import pg from 'pg';
import type { Logger } from '../log/logger.js';
import { SESSION_ALIVE, SESSION_KEEPALIVES, TRY_JOB_LOCK, UNLOCK_JOB } from '../store/pg/cluster-queries.js';

/** Something that runs on one node at a time: started when this node gets its lock, stopped when it loses it. */
export interface SingletonJob {
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

/**
 * Where singleton jobs register. `register` returns an unregister function (stops the job if it runs here
 * and gives its lock back). `held()` lists the jobs this node runs now.
 */
export interface Singletons {
  register(name: string, job: SingletonJob): () => Promise<void>;
  held(): string[];
  counters(): Record<string, number>;
  close(): Promise<void>;
}

const JOB_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;
const checkName = (name: string) => {
  if (!JOB_NAME.test(name)) throw new Error(`singleton job name "${name.slice(0, 120)}": use 1-100 letters, digits, "_", ".", ":" or "-"`);
};
/** Counter key of a job: `holds_<name>` with anything but letters, digits and "_" as "_". */
const holdsKey = (name: string) => `holds_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

/** One process on SQLite: every job starts here when it registers, as before there were several nodes. */
export class LocalSingletons implements Singletons {
  private readonly jobs = new Map<string, SingletonJob>();
  constructor(private readonly log?: Logger) {}
  register(name: string, job: SingletonJob): () => Promise<void> {
    checkName(name);
    if (this.jobs.has(name)) throw new Error(`singleton job ${name} is registered twice`);
    this.jobs.set(name, job);
    // At once, as the job was started before there were singletons.
    const failed = (err: unknown) => this.log?.error({ err, job: name }, 'singleton job failed to start');
    try {
      void Promise.resolve(job.start()).catch(failed);
    } catch (err) {
      failed(err);
    }
    return async () => {
      if (this.jobs.get(name) !== job) return;
      this.jobs.delete(name);
      await job.stop();
    };
  }
  held(): string[] {
    return [...this.jobs.keys()];
  }
  counters(): Record<string, number> {
    const out: Record<string, number> = { held: this.jobs.size };
    for (const name of this.jobs.keys()) out[holdsKey(name)] = 1;
    return out;
  }
  async close(): Promise<void> {
    for (const [name, job] of [...this.jobs].reverse()) {
      this.jobs.delete(name);
      await job.stop();
    }
  }
}

/** First key of the two-key advisory lock space that singleton jobs use ("NW" 0x0001); the second is the job name's hash. */
export const SINGLETON_LOCK_CLASS = 0x4e570001;

/** FNV-1a of the name's UTF-8 bytes as a signed 32-bit integer (the second advisory lock key). Stable across versions, unlike hashtext(). */
export function jobLockKey(name: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(name, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export interface PgSingletonsOptions {
  /** postgres:// URL of the store. */
  url: string;
  log?: Logger;
  /** Node name, shown as the lock connection's application_name (`netwatch-singletons:<node>`). */
  node?: string;
  /** A job this node does not hold is tried again after this long plus up to `retryJitterMs` (default 5000 + 2000). */
  retryMs?: number;
  retryJitterMs?: number;
  /** The holder checks its lock connection every `retryMs`; an answer slower than this counts as a lost connection (default 5000). */
  checkTimeoutMs?: number;
}

interface Entry {
  name: string;
  key: number;
  job: SingletonJob;
  held: boolean;
}

/**
 * Singleton jobs across central nodes: a job name is a PostgreSQL session advisory lock
 * (`pg_try_advisory_lock(SINGLETON_LOCK_CLASS, jobLockKey(name))`), held on one dedicated
 * connection per node. The node holding a job's lock runs the job; the others try again every
 * 5–7 s. When the holder dies its session ends and PostgreSQL releases its locks; the next try of
 * another node takes over. When the holder's connection drops (error, end, a check that gets no
 * answer in time) it stops every job at once, before anything else: a job never runs here without
 * the lock. Then it reconnects and competes again.
 *
 * A holder cut off from PostgreSQL without its socket closing (host gone, network split) is found
 * by TCP keepalives that the lock session asks the server for (5 s idle, 3 s × 3 probes: about 14 s),
 * and by this node's own check (every `retryMs`, `checkTimeoutMs` to answer), which stops its jobs
 * sooner than the server lets another node take them.
 */
export class PgSingletons implements Singletons {
  private readonly jobs = new Map<string, Entry>();
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client | null> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly stats = { rounds: 0, acquired: 0, lost: 0, released: 0, connects: 0, connection_errors: 0, job_errors: 0 };

  constructor(private readonly opts: PgSingletonsOptions) {}

  /** Connects and takes what it can; then keeps trying in the background. */
  async start(): Promise<void> {
    await this.serial(() => this.round());
    this.schedule();
  }

  register(name: string, job: SingletonJob): () => Promise<void> {
    checkName(name);
    if (this.jobs.has(name)) throw new Error(`singleton job ${name} is registered twice`);
    const entry: Entry = { name, key: jobLockKey(name), job, held: false };
    this.jobs.set(name, entry);
    if (!this.closed) void this.serial(() => this.round());
    return () =>
      this.serial(async () => {
        if (this.jobs.get(name) !== entry) return;
        this.jobs.delete(name);
        if (!entry.held) return;
        await this.stopJob(entry);
        await this.client?.query(UNLOCK_JOB, [SINGLETON_LOCK_CLASS, entry.key]).catch(() => undefined);
        this.stats.released++;
      });
  }

  held(): string[] {
    return [...this.jobs.values()].filter((e) => e.held).map((e) => e.name);
  }

  counters(): Record<string, number> {
    const out: Record<string, number> = { ...this.stats, held: 0, connected: this.client ? 1 : 0 };
    for (const e of this.jobs.values()) {
      out[holdsKey(e.name)] = e.held ? 1 : 0;
      if (e.held) out.held!++;
    }
    return out;
  }

  /** Stops the jobs held here and ends the lock session (PostgreSQL releases the locks with it). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.serial(async () => {
      for (const e of this.jobs.values()) if (e.held) await this.stopJob(e);
      const c = this.client;
      this.client = null;
      if (c) {
        c.removeAllListeners('end');
        await c.end().catch(() => undefined);
      }
    });
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn).catch((err: unknown) => this.opts.log?.error({ err }, 'singleton round failed'));
    this.chain = next;
    return next;
  }

  private schedule(): void {
    if (this.closed) return;
    const wait = (this.opts.retryMs ?? 5000) + Math.random() * (this.opts.retryJitterMs ?? 2000);
    this.timer = setTimeout(() => void this.serial(() => this.round()).finally(() => this.schedule()), wait);
    this.timer.unref();
  }

  /** One round: connect if needed, check the session of the jobs held, try the locks of the others. */
  private async round(): Promise<void> {
    try {
      await this.tryAll();
    } finally {
      this.stats.rounds++;
    }
  }

  private async tryAll(): Promise<void> {
    if (this.closed) return;
    const c = this.client ?? (await this.connect());
    if (!c) return;
    if (this.held().length > 0) {
      try {
        await c.query({ text: SESSION_ALIVE, query_timeout: this.opts.checkTimeoutMs ?? 5000 } as pg.QueryConfig);
      } catch (err) {
        this.opts.log?.warn({ err }, 'singleton lock connection does not answer: stopping the jobs held here');
        await this.dropped(c);
        return;
      }
    }
    for (const e of this.jobs.values()) {
      if (e.held || this.client !== c) continue;
      let got = false;
      try {
        const r = await c.query<{ ok: boolean }>(TRY_JOB_LOCK, [SINGLETON_LOCK_CLASS, e.key]);
        got = r.rows[0]?.ok === true;
      } catch (err) {
        this.opts.log?.warn({ err, job: e.name }, 'singleton lock attempt failed');
        await this.dropped(c);
        return;
      }
      if (!got) continue;
      if (this.jobs.get(e.name) !== e || this.closed) {
        await c.query(UNLOCK_JOB, [SINGLETON_LOCK_CLASS, e.key]).catch(() => undefined);
        continue;
      }
      e.held = true;
      this.stats.acquired++;
      this.opts.log?.info({ job: e.name }, 'this node runs the singleton job now');
      try {
        await e.job.start();
      } catch (err) {
        this.stats.job_errors++;
        this.opts.log?.error({ err, job: e.name }, 'singleton job failed to start; its lock is given back');
        e.held = false;
        await this.stopJob(e);
        await c.query(UNLOCK_JOB, [SINGLETON_LOCK_CLASS, e.key]).catch(() => undefined);
      }
    }
  }

  private connect(): Promise<pg.Client | null> {
    this.connecting ??= (async () => {
      const c = new pg.Client({
        connectionString: this.opts.url,
        application_name: `netwatch-singletons:${(this.opts.node ?? String(process.pid)).slice(0, 40)}`,
        keepAlive: true,
        keepAliveInitialDelayMillis: 5000,
        connectionTimeoutMillis: 10_000,
      });
      // An error or end of the session: stop every job held here at once (synchronously started, see dropped()).
      c.on('error', (err) => {
        this.opts.log?.warn({ err }, 'singleton lock connection failed: stopping the jobs held here');
        void this.dropped(c);
      });
      c.on('end', () => void this.dropped(c));
      try {
        await c.connect();
        // The server drops a silent client's session (and its locks) after ~14 s instead of the OS default of hours.
        await c.query(SESSION_KEEPALIVES);
      } catch (err) {
        this.stats.connection_errors++;
        this.opts.log?.warn({ err }, 'cannot open the singleton lock connection; trying again');
        c.removeAllListeners('end');
        await c.end().catch(() => undefined);
        return null;
      }
      this.stats.connects++;
      if (this.closed) {
        await c.end().catch(() => undefined);
        return null;
      }
      this.client = c;
      return c;
    })().finally(() => (this.connecting = null));
    return this.connecting;
  }

  /** The lock session of `c` is gone or unusable: no job may run here on it. Stops them (at once, not in the queue). */
  private async dropped(c: pg.Client): Promise<void> {
    if (this.client !== c) return;
    this.client = null;
    this.stats.connection_errors++;
    const lost = [...this.jobs.values()].filter((e) => e.held);
    for (const e of lost) {
      e.held = false;
      this.stats.lost++;
    }
    await Promise.all(lost.map((e) => this.stopJob(e)));
    c.removeAllListeners('end');
    c.on('error', () => undefined);
    await c.end().catch(() => undefined);
  }

  private async stopJob(e: Entry): Promise<void> {
    e.held = false;
    try {
      await e.job.stop();
      this.opts.log?.info({ job: e.name }, 'singleton job stopped here');
    } catch (err) {
      this.stats.job_errors++;
      this.opts.log?.error({ err, job: e.name }, 'singleton job failed to stop');
    }
  }
}
