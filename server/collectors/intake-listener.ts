import type { ListenerStatus } from '../contracts/dto.js';
import type { NormalizedEvent } from '../contracts/events.js';

/** Where a listener hands what it parsed: one batch of events per call (it never throws back). */
export type EventSink = (events: NormalizedEvent[]) => void;

/**
 * What syslog and trap intake have in common: bind, unbind, count, report the sockets.
 * Events go out in batches, to an `EventSink` (syslog) or an `EventIntake` that also
 * reports when they are committed (traps, for INFORM acknowledgements).
 */
export interface IntakeListener {
  /** Binds every socket; a socket that cannot bind is reported in its status, not thrown. */
  start(): Promise<ListenerStatus[]>;
  stop(): Promise<void>;
  /** Plain counters for /metrics and the status page. */
  counters(): Record<string, number>;
  status(): ListenerStatus[];
}
