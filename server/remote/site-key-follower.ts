import { setTimeout as sleep } from 'node:timers/promises';
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import type { NatsLink } from '../bus/nats-link.js';
import type { Logger } from '../log/logger.js';

/**
 * A collector's follower of its site's key in one of the centre's KV buckets (assignments, trap users): each value
 * (the current one first, then every change) goes to `take`. The bucket is the centre's: until it exists, it looks
 * again every 5 s. Starts once the NATS link has started; `halt()` stops following at once, `stop()` also waits for the loop.
 */
export class SiteKeyFollower {
  private readonly stopped = new AbortController();
  private running: Promise<void> | undefined;
  private iterator: { stop(): void } | undefined;

  constructor(private readonly deps: { link: NatsLink; bucket: string; site: string; what: string; log: Logger; take: (entry: KvWatchEntry) => void }) {}

  start(linkStarted: Promise<boolean>): void {
    this.running = linkStarted.then((ok) => (ok ? this.run() : undefined)).catch((err: unknown) => this.deps.log.error({ err }, `${this.deps.what} watcher stopped`));
  }

  halt(): void {
    this.stopped.abort();
    this.iterator?.stop();
  }

  async stop(): Promise<void> {
    this.halt();
    await this.running;
  }

  private async run(): Promise<void> {
    const { log, what, site } = this.deps;
    for (let attempt = 0; !this.stopped.signal.aborted; attempt++) {
      try {
        const kv: KV = await new Kvm(this.deps.link.jetstream()).open(this.deps.bucket);
        await kv.status();
        const it = await kv.watch({ key: site });
        this.iterator = it;
        if (this.stopped.signal.aborted) it.stop();
        log.info({ site }, `following the ${what} the centre gives this site`);
        for await (const entry of it) this.deps.take(entry);
        return;
      } catch (err) {
        if (this.stopped.signal.aborted) return;
        if (attempt % 12 === 0) log.warn({ err }, `the ${what} bucket is not there yet (the centre makes it); looking again every 5 s`);
        await sleep(5000, undefined, { signal: this.stopped.signal }).catch(() => undefined);
      }
    }
  }
}
