import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';

/**
 * The socket net-snmp's receiver sees. The real socket only queues datagrams;
 * batches later `emit('message')` here, so BER decoding, USM checks and
 * decryption run off the receive path. What net-snmp sends (INFORM Responses,
 * USM Reports) is collected in `capture` while it handles a message; the
 * receiver decides when it goes out (`transmit`): Reports at once, Responses
 * once the INFORM's event is committed.
 */
export class FeedSocket extends EventEmitter {
  capture: unknown[][] | null = null;
  constructor(
    readonly real: dgram.Socket,
    private readonly onSendError: (err: unknown) => void,
  ) {
    super();
  }
  bind(): this {
    return this; // already bound by bindUdp
  }
  /** net-snmp calls send(buffer, offset, length, port, address, cb) for INFORM responses and USM reports. */
  send(...args: unknown[]): void {
    if (this.capture) this.capture.push(args);
    else this.transmit(args);
  }
  private sending = 0;
  private drainWaiters: (() => void)[] = [];
  transmit(args: unknown[]): void {
    // Our callback instead of net-snmp's (which only prints errors): counted, and `drained` can wait for it.
    const a = typeof args.at(-1) === 'function' ? args.slice(0, -1) : args.slice();
    const done = (err?: unknown) => {
      this.sending--;
      if (err) this.onSendError(err);
      if (this.sending === 0) for (const w of this.drainWaiters.splice(0)) w();
    };
    this.sending++;
    try {
      (this.real.send as (...x: unknown[]) => void)(...a, (err: Error | null) => done(err));
    } catch (err) {
      done(err); // e.g. the socket is closed already
    }
  }
  /** Resolves once every datagram handed to `transmit` has left (sends complete asynchronously). */
  drained(): Promise<void> {
    return this.sending === 0 ? Promise.resolve() : new Promise((r) => this.drainWaiters.push(r));
  }
  close(cb?: () => void): void {
    try {
      this.real.close(cb);
    } catch {
      cb?.();
    }
  }
  address() {
    return this.real.address();
  }
}
