import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, credsAuthenticator, nanos, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { Logger } from '../log/logger.js';
import type { Config } from '../config/config.schema.js';
import { STREAM_NAME, STREAM_SUBJECTS, siteProblem } from './nats-subjects.js';

/** How to reach NATS and what the NETWATCH stream looks like. `natsLinkOptions(config)` builds it from the config. */
export interface NatsLinkOptions {
  /** nats:// or tls:// URLs of one cluster. */
  servers: string[];
  /** This process's site (subject token); validated. */
  site: string;
  /** NATS credentials file (JWT + nkey seed). */
  credsFile?: string;
  /** PEM CA file that signs the NATS servers' certificates (implies TLS). */
  tlsCaFile?: string;
  /** Byte limit of the stream; when full a publish is refused (the collector spools) instead of old data being dropped. */
  streamMaxBytes: number;
  /** A batch republished with the same msgId within this window is stored once. */
  duplicateWindowMs: number;
  /** Client name shown by the NATS server's monitoring. */
  name?: string;
  /** Pause between reconnect attempts (default 2000 ms). */
  reconnectWaitMs?: number;
  log?: Logger;
}

export function natsLinkOptions(config: Config, log?: Logger): NatsLinkOptions {
  if (!config.natsUrl) throw new Error('natsUrl (NMS_NATS_URL) is not set');
  return {
    servers: config.natsUrl.split(',').map((s) => s.trim()).filter(Boolean),
    site: config.site,
    credsFile: config.natsCredsFile,
    tlsCaFile: config.natsTlsCa,
    streamMaxBytes: config.natsStreamMaxBytes,
    duplicateWindowMs: config.natsDuplicateWindowSeconds * 1000,
    name: `netwatch-${config.site}`,
    log,
  };
}

/** The stream every site publishes into: file storage, kept until the centre acks (work queue), refused when full. */
export function streamConfig(opts: Pick<NatsLinkOptions, 'streamMaxBytes' | 'duplicateWindowMs'>): Partial<StreamConfig> & { name: string } {
  return {
    name: STREAM_NAME,
    subjects: [...STREAM_SUBJECTS],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.New,
    max_bytes: opts.streamMaxBytes,
    duplicate_window: nanos(opts.duplicateWindowMs),
    num_replicas: 1,
  };
}

/**
 * One NATS connection that reconnects forever, and the NETWATCH stream made
 * sure of on start and after every reconnect (a NATS server that lost its
 * store gets it back). Used by `NatsBatchPublisher` and `NatsBatchConsumer`.
 *
 * Counters: `connected` (0/1), `connect_failures` (before the first connection),
 * `disconnects`, `reconnects`, `stream_errors`.
 */
export class NatsLink {
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  private isConnected = false;
  private stopping = false;
  private disconnects = 0;
  private reconnects = 0;
  private streamErrors = 0;
  private statusLoop: Promise<void> | undefined;
  private abortStart: AbortController | undefined;
  private connectFailures = 0;

  constructor(readonly opts: NatsLinkOptions) {
    const problem = siteProblem(opts.site);
    if (problem) throw new Error(`site: ${problem}`);
    if (opts.servers.length === 0) throw new Error('natsUrl: no NATS server given');
  }

  get site(): string {
    return this.opts.site;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /**
   * Resolves once connected (it keeps trying while NATS is unreachable; stop() ends that) and the
   * stream exists; rejects on a config problem (unreadable creds file) or when the stream cannot be made.
   */
  async start(): Promise<void> {
    if (this.nc) return;
    this.stopping = false;
    const abort = new AbortController();
    this.abortStart = abort;
    const options: NodeConnectionOptions = {
      servers: this.opts.servers,
      name: this.opts.name ?? `netwatch-${this.opts.site}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.opts.reconnectWaitMs ?? 2000,
      pingInterval: 10_000,
      maxPingOut: 3,
    };
    if (this.opts.credsFile) {
      let creds: Uint8Array;
      try {
        creds = readFileSync(this.opts.credsFile);
      } catch (err) {
        throw new Error(`natsCredsFile: cannot read ${this.opts.credsFile}: ${(err as Error).message}`, { cause: err });
      }
      options.authenticator = credsAuthenticator(creds);
    }
    if (this.opts.tlsCaFile || this.opts.servers.some((s) => s.startsWith('tls://'))) {
      options.tls = this.opts.tlsCaFile ? { caFile: this.opts.tlsCaFile } : {};
    }
    const nc = await this.connectFirst(options, abort.signal);
    this.nc = nc;
    this.isConnected = true;
    this.statusLoop = this.watchStatus(nc);
    try {
      this.js = jetstream(nc);
      this.jsm = await jetstreamManager(nc);
      await this.ensureStream();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** The first connection: tried again every `reconnectWaitMs` until it succeeds or stop() is called. */
  private async connectFirst(options: NodeConnectionOptions, signal: AbortSignal): Promise<NatsConnection> {
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw new Error('NATS link stopped before it connected');
      try {
        const nc = await connect(options);
        if (!signal.aborted) return nc;
        await nc.close();
      } catch (err) {
        this.connectFailures++;
        if (attempt % 30 === 0) this.opts.log?.warn({ err, servers: this.opts.servers }, 'cannot connect to NATS; trying again');
        await sleep(this.opts.reconnectWaitMs ?? 2000, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.abortStart?.abort();
    const nc = this.nc;
    this.nc = undefined;
    this.js = undefined;
    this.jsm = undefined;
    this.isConnected = false;
    if (!nc) return;
    await nc.drain().catch(() => nc.close());
    await this.statusLoop;
  }

  jetstream(): JetStreamClient {
    if (!this.js) throw new Error('NATS link is not started');
    return this.js;
  }

  manager(): JetStreamManager {
    if (!this.jsm) throw new Error('NATS link is not started');
    return this.jsm;
  }

  /**
   * Core NATS publish (no JetStream, no ack: fire and forget). Returns false when not
   * connected or the client refused it (too big, closing); never throws.
   */
  publishCore(subject: string, data: Uint8Array): boolean {
    if (!this.nc || !this.isConnected) return false;
    try {
      this.nc.publish(subject, data);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Core NATS subscription (kept across reconnects by the client); `onMessage` gets each
   * message's subject and payload, a throw in it is caught and logged. Returns the unsubscribe.
   */
  subscribeCore(subject: string, onMessage: (subject: string, data: Uint8Array) => void): () => void {
    if (!this.nc) throw new Error('NATS link is not started');
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) {
          this.opts.log?.warn({ err, subject }, 'NATS subscription error');
          return;
        }
        try {
          onMessage(msg.subject, msg.data);
        } catch (e) {
          this.opts.log?.error({ err: e, subject }, 'NATS subscriber failed');
        }
      },
    });
    return () => {
      try {
        sub.unsubscribe();
      } catch {
        // already closed with the connection
      }
    };
  }

  /** Largest message the connected server accepts (bytes). */
  maxPayload(): number {
    return this.nc?.info?.max_payload ?? 1024 * 1024;
  }

  counters(): Record<string, number> {
    return { connected: this.isConnected ? 1 : 0, connect_failures: this.connectFailures, disconnects: this.disconnects, reconnects: this.reconnects, stream_errors: this.streamErrors };
  }

  /** Creates the stream, or brings its subjects, byte limit and duplicate window to the configured ones. */
  async ensureStream(): Promise<void> {
    const jsm = this.manager();
    const want = streamConfig(this.opts);
    try {
      let info;
      try {
        info = await jsm.streams.info(STREAM_NAME);
      } catch (err) {
        if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
        await jsm.streams.add(want);
        this.opts.log?.info({ stream: STREAM_NAME, maxBytes: want.max_bytes }, 'created the NATS stream');
        return;
      }
      const have = info.config;
      if (have.retention !== want.retention) {
        this.opts.log?.warn({ stream: STREAM_NAME, retention: have.retention }, `stream ${STREAM_NAME} exists with retention ${have.retention}, not ${want.retention}; left as it is`);
      }
      const sameSubjects = [...(have.subjects ?? [])].sort().join(',') === [...want.subjects!].sort().join(',');
      if (!sameSubjects || have.max_bytes !== want.max_bytes || have.duplicate_window !== want.duplicate_window || have.discard !== want.discard) {
        await jsm.streams.update(STREAM_NAME, { subjects: want.subjects, max_bytes: want.max_bytes, duplicate_window: want.duplicate_window, discard: want.discard });
        this.opts.log?.info({ stream: STREAM_NAME, maxBytes: want.max_bytes }, 'updated the NATS stream');
      }
    } catch (err) {
      this.streamErrors++;
      throw new Error(`NATS stream ${STREAM_NAME}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    const log = this.opts.log;
    void nc.closed().then((err) => {
      this.isConnected = false;
      if (err && !this.stopping) log?.error({ err }, 'NATS connection closed');
    });
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.isConnected = false;
        this.disconnects++;
        log?.warn({ server: s.server }, 'NATS disconnected; reconnecting');
      } else if (s.type === 'reconnect') {
        this.isConnected = true;
        this.reconnects++;
        log?.info({ server: s.server }, 'NATS reconnected');
        this.ensureStream().catch((err) => log?.error({ err }, 'could not make sure of the NATS stream after a reconnect'));
      } else if (s.type === 'error') {
        log?.warn({ err: s.error }, 'NATS server error');
      }
    }
  }
}
