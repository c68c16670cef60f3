import { NatsLink, type NatsLinkOptions } from './nats-link.js';
import { MSG_ID_PATTERN, isBatchKind, subjectFor, type BatchKind } from './nats-subjects.js';

/** Why a batch was not stored; the caller keeps (spools) the batch and tries again later with the same msgId. */
export class NatsPublishError extends Error {
  constructor(
    /** `unavailable`: not connected; `refused`: NATS answered with an error (stream full, timeout, no JetStream); `invalid`: the batch cannot be sent as given. */
    readonly code: 'unavailable' | 'refused' | 'invalid',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'NatsPublishError';
  }
}

export interface PublishResult {
  /** Stream sequence of the stored batch. */
  seq: number;
  /** True when the stream already held a batch with this msgId (a republish): nothing new was stored. */
  duplicate: boolean;
}

export interface NatsPublisherOptions extends NatsLinkOptions {
  /** How long to wait for JetStream's ack of one batch (default 5000 ms). */
  ackTimeoutMs?: number;
}

const encoder = new TextEncoder();

/**
 * A remote collector's side: one JetStream message per batch on
 * `netwatch.<site>.<kind>`, a JSON array, with `Nats-Msg-Id: <msgId>`, so a
 * batch published again (after a lost ack, from a spool) is stored once while
 * it is within the stream's duplicate window.
 *
 *   const pub = new NatsBatchPublisher(natsLinkOptions(config, log));
 *   await pub.start();                 // resolves once connected (keeps trying)
 *   await pub.publishBatch('events', events, batchId);   // resolves on JetStream's ack
 *   pub.counters(); await pub.stop();
 *
 * `publishBatch` rejects with a `NatsPublishError` when the batch is not
 * known to be stored — at once while NATS is unreachable — and the caller
 * keeps it. Counters: `published` (attempts sent), `acked`, `duplicates`
 * (acked as already stored), `failed`, `bytes` (acked payload bytes), plus the link's.
 */
export class NatsBatchPublisher {
  readonly link: NatsLink;
  private published = 0;
  private acked = 0;
  private duplicates = 0;
  private failed = 0;
  private bytes = 0;

  constructor(private readonly opts: NatsPublisherOptions) {
    this.link = new NatsLink(opts);
  }

  start(): Promise<void> {
    return this.link.start();
  }

  stop(): Promise<void> {
    return this.link.stop();
  }

  async publishBatch(kind: BatchKind, batch: unknown[], msgId: string): Promise<PublishResult> {
    if (!isBatchKind(kind)) return this.fail('invalid', `"${String(kind)}" is not a batch kind`);
    if (!Array.isArray(batch)) return this.fail('invalid', 'a batch must be an array');
    if (typeof msgId !== 'string' || !MSG_ID_PATTERN.test(msgId)) return this.fail('invalid', 'msgId must be 1-128 printable ASCII characters without spaces');
    let data: Uint8Array;
    try {
      data = encoder.encode(JSON.stringify(batch));
    } catch (err) {
      return this.fail('invalid', `the batch cannot be encoded as JSON: ${(err as Error).message}`, err);
    }
    const max = this.link.maxPayload();
    if (data.length > max) return this.fail('invalid', `the batch is ${data.length} bytes, more than NATS accepts in one message (${max}); send smaller batches`);
    if (!this.link.connected) return this.fail('unavailable', 'NATS is not connected; the batch was not published');
    const subject = subjectFor(this.link.site, kind);
    this.published++;
    try {
      const ack = await this.link.jetstream().publish(subject, data, { msgID: msgId, timeout: this.opts.ackTimeoutMs ?? 5000 });
      this.acked++;
      if (ack.duplicate) this.duplicates++;
      else this.bytes += data.length;
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (err) {
      const code = this.link.connected ? 'refused' : 'unavailable';
      return this.fail(code, `publishing to ${subject} was not acknowledged: ${(err as Error).message}`, err);
    }
  }

  counters(): Record<string, number> {
    return { published: this.published, acked: this.acked, duplicates: this.duplicates, failed: this.failed, bytes: this.bytes, ...this.link.counters() };
  }

  private fail(code: NatsPublishError['code'], message: string, cause?: unknown): never {
    this.failed++;
    throw new NatsPublishError(code, message, cause === undefined ? undefined : { cause });
  }
}
