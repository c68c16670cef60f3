import type { NormalizedEvent } from '../contracts/events.js';

/**
 * What became of events handed to an intake:
 * - `committed`: the store committed them (a crash of the process from now on
 *   cannot lose them), or a rule discarded them on purpose in the same batch;
 * - `dropped`: refused because the store's queue is full (counted);
 * - `failed`: the write failed, or the store is stopping (counted, logged).
 */
export type IntakeOutcome = 'committed' | 'dropped' | 'failed';

export type OnSettled = (outcome: IntakeOutcome) => void;

/**
 * Where producers (collectors, the API, a broker consumer) hand events to the
 * store. Acknowledged means stored: a producer that acknowledges to its sender
 * (an SNMP INFORM's Response, an API's 2xx, a broker's ack) does so only from
 * `onSettled('committed')`, never on hand-over. On `dropped` or `failed` it
 * does not acknowledge, so the sender retries.
 */
export interface EventIntake {
  /**
   * Never blocks and never throws. With `onSettled` the call is all or
   * nothing (the events are refused together when the queue cannot take them
   * all) and `onSettled` runs exactly once, asynchronously, after every event
   * of the call is settled. Without it, events are taken one by one and those
   * that do not fit are dropped and counted.
   */
  submit(events: NormalizedEvent[], onSettled?: OnSettled, key?: string): void;
}

/**
 * An intake that can say whether a keyed call (`submit(…, onSettled, key)`) was committed
 * before: a store that commits the key in the same transaction as the call's events, so a
 * producer that may hand the same batch again (a broker redelivering what was stored but not
 * acknowledged) stores it once.
 */
export interface KeyedIntake extends EventIntake {
  committedBefore(key: string): boolean;
}

/** `submit` as a promise, for producers written with async/await (e.g. an API route answering 2xx). */
export function submitDurably(intake: EventIntake, events: NormalizedEvent[], key?: string): Promise<IntakeOutcome> {
  return new Promise((resolve) => intake.submit(events, resolve, key));
}
