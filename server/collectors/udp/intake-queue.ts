/**
 * Bounded FIFO between a receive callback and the code that parses and hands
 * on what was received. `push` is O(1) and never blocks; the consumer runs
 * later (setImmediate) in batches, so a socket's receive loop never waits on
 * parsing or on the sink. When the queue is full the item is dropped and
 * counted (visible overload, never a silent one).
 */
export interface IntakeQueueOptions<T> {
  /** Items held at most; further pushes are dropped and counted. */
  capacity: number;
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

  constructor(private readonly opts: IntakeQueueOptions<T>) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): boolean {
    if (this.items.length - this.head >= this.opts.capacity) {
      this.dropped++;
      return false;
    }
    this.items.push(item);
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
