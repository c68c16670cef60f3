/**
 * Bounded FIFO between a receive callback and the code that parses and hands
 * on what was received. `push` is O(1) and never blocks; the consumer runs
 * later (setImmediate) in batches, so a socket's receive loop never waits on
 * parsing or on the sink. When the queue is full the item is dropped and
 * counted (visible overload, never a silent one).
 *
 * "Full" is a memory budget when `capacityBytes` is set: a count alone bounds
 * nothing useful when one message may be 200 bytes or 64 KiB (100,000 of the
 * latter are 6.5 GB), and it turns away a burst of small ones that would fit
 * in a few dozen MiB.
 */
export interface IntakeQueueOptions<T> {
  /** Items held at most; further pushes are dropped and counted. Default: no count bound. */
  capacity?: number;
  /** Memory held at most, as counted by `sizeOf`; further pushes are dropped and counted. */
  capacityBytes?: number;
  /** Bytes an item holds (payload plus its bookkeeping). Required with `capacityBytes`. */
  sizeOf?: (item: T) => number;
  /** Items handed to `process` per tick. */
  batchSize: number;
  process: (items: T[]) => void;
  /** Called with the error when `process` throws (the batch is lost, the queue keeps going). */
  onError?: (err: unknown, lost: number) => void;
}

export class IntakeQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private scheduled: NodeJS.Immediate | null = null;
  dropped = 0;
  /** Largest depth seen. */
  highWater = 0;
  /** Bytes held now (by `sizeOf`; 0 without it). */
  bytes = 0;
  /** Largest `bytes` seen. */
  highWaterBytes = 0;
  private readonly capacity: number;
  private readonly capacityBytes: number;
  private readonly sizeOf: ((item: T) => number) | null;

  constructor(private readonly opts: IntakeQueueOptions<T>) {
    if (opts.capacity === undefined && opts.capacityBytes === undefined) throw new Error('IntakeQueue needs capacity or capacityBytes');
    if (opts.capacityBytes !== undefined && !opts.sizeOf) throw new Error('IntakeQueue: capacityBytes needs sizeOf');
    this.capacity = opts.capacity ?? Infinity;
    this.capacityBytes = opts.capacityBytes ?? Infinity;
    this.sizeOf = opts.sizeOf ?? null;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): boolean {
    const size = this.sizeOf ? this.sizeOf(item) : 0;
    if (this.items.length - this.head >= this.capacity || this.bytes + size > this.capacityBytes) {
      this.dropped++;
      return false;
    }
    this.items.push(item);
    this.bytes += size;
    if (this.bytes > this.highWaterBytes) this.highWaterBytes = this.bytes;
    const depth = this.items.length - this.head;
    if (depth > this.highWater) this.highWater = depth;
    if (this.scheduled === null) this.scheduled = setImmediate(this.tick);
    return true;
  }

  /** Processes everything queued now, synchronously (used on stop). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    while (this.length > 0) this.runBatch();
  }

  private readonly tick = (): void => {
    this.scheduled = null;
    this.runBatch();
    if (this.length > 0) this.scheduled = setImmediate(this.tick);
  };

  private runBatch(): void {
    const end = Math.min(this.items.length, this.head + this.opts.batchSize);
    const batch = this.items.slice(this.head, end) as T[];
    this.head = end;
    if (this.sizeOf) {
      let freed = 0;
      for (let i = 0; i < batch.length; i++) freed += this.sizeOf(batch[i]!);
      this.bytes -= freed;
    }
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 65_536) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    try {
      this.opts.process(batch);
    } catch (err) {
      this.opts.onError?.(err, batch.length);
    }
  }
}

/** Default memory budget of a listener's intake queue: ~340,000 syslog messages of 200 bytes, or 2,000 of 64 KiB. */
export const DEFAULT_INTAKE_QUEUE_BYTES = 128 * 1024 * 1024;
/**
 * Heap a queued datagram holds besides its bytes: measured 187 bytes for a
 * syslog record (Buffer view, record object, array slot) with --expose-gc.
 */
export const QUEUED_MESSAGE_OVERHEAD = 192;
