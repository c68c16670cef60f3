import type { InventoryRequest } from '../collectors/snmp/snmp.collect.js';
import type { InventorySnapshot } from '../contracts/inventory.js';
import type { PollResult } from '../contracts/poll.js';
import type { Logger } from '../log/logger.js';

/** When a device's inventory is read next, and its sysUpTime at the last poll (a smaller one = rebooted). */
interface Entry {
  nextDue: number;
  upCs: number | null;
  /** Outcome of the last inventory read (refresh reports it). */
  last: InventoryOutcome | null;
}

export interface InventoryOutcome {
  at: number;
  error: string | null;
}

/** A failed read is tried again after this long at most (an interval at most). */
const RETRY_MS = 15 * 60_000;

/**
 * Which polls read ENTITY-MIB entPhysicalTable (the poller's side of the inventory): a device's
 * first poll, the first poll after it rebooted (sysUpTime went back: decided in the worker, from
 * the sysUpTime remembered here), and every `intervalMs`. Each read goes to `sink` as a snapshot
 * of source 'entity-mib'. Without a sink (an output that keeps no inventory) no poll asks for it.
 */
export class InventorySchedule {
  private readonly entries = new Map<number, Entry>();
  readonly stats = { inventory_reads: 0, inventory_errors: 0 };

  constructor(
    private readonly sink: ((snapshot: InventorySnapshot) => void) | undefined,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.sink !== undefined;
  }

  private entry(deviceId: number): Entry {
    let e = this.entries.get(deviceId);
    if (!e) this.entries.set(deviceId, (e = { nextDue: 0, upCs: null, last: null }));
    return e;
  }

  /** What the next poll of the device asks of ENTITY-MIB. */
  request(deviceId: number): InventoryRequest | undefined {
    if (!this.sink) return undefined;
    const e = this.entry(deviceId);
    return { always: Date.now() >= e.nextDue, ifUptimeBelowCs: e.upCs };
  }

  /** After a poll that carried a request: remember sysUpTime, hand a read inventory on, schedule the next. */
  done(deviceId: number, r: PollResult): void {
    const e = this.entries.get(deviceId);
    if (!e || !this.sink) return;
    if (r.ok) e.upCs = r.system?.sysUpTimeCs ?? null;
    if (r.inventory) {
      e.nextDue = Date.now() + this.intervalMs;
      e.last = { at: r.startedAt, error: null };
      this.stats.inventory_reads++;
      try {
        this.sink({ deviceId, source: 'entity-mib', collectedAt: r.startedAt, items: r.inventory });
      } catch (err) {
        this.stats.inventory_errors++;
        this.log.error({ err, deviceId }, 'cannot store inventory');
      }
    } else if (r.errors.inventory || !r.ok) {
      // Asked but not read (timeout, agent error, unreachable): try again sooner than a full interval.
      if (Date.now() >= e.nextDue) e.nextDue = Date.now() + Math.min(this.intervalMs, RETRY_MS);
      e.last = { at: r.startedAt, error: r.errors.inventory?.message ?? r.error?.message ?? 'not read' };
      this.stats.inventory_errors++;
    }
  }

  /** The next poll reads the inventory; returns the outcome of the last read so far (to see a new one arrive). */
  due(deviceId: number): InventoryOutcome | null {
    const e = this.entry(deviceId);
    e.nextDue = 0;
    return e.last;
  }

  last(deviceId: number): InventoryOutcome | null {
    return this.entries.get(deviceId)?.last ?? null;
  }

  forget(deviceId: number): void {
    this.entries.delete(deviceId);
  }
}
