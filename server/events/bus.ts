import { EventEmitter } from 'node:events';
import type { BusEventMap } from '../contracts/bus.js';

/**
 * The event bus: collectors publish, the engine/store/realtime subscribe.
 * Narrow on purpose (publish + subscribe by topic) so a broker-backed
 * implementation (NATS, Redis streams, …) can replace the in-process one.
 */
export interface EventBus {
  publish<K extends keyof BusEventMap>(topic: K, payload: BusEventMap[K]): void;
  /** Returns an unsubscribe function. */
  subscribe<K extends keyof BusEventMap>(topic: K, handler: (payload: BusEventMap[K]) => void): () => void;
}

type ErrorSink = (topic: string, err: unknown) => void;

/**
 * In-process bus. A subscriber that throws is reported to `onError` and does
 * not stop delivery to the other subscribers or the publisher.
 */
export class InProcessBus implements EventBus {
  private readonly emitter = new EventEmitter();

  constructor(private readonly onError: ErrorSink = () => {}) {
    this.emitter.setMaxListeners(0);
  }

  publish<K extends keyof BusEventMap>(topic: K, payload: BusEventMap[K]): void {
    for (const listener of this.emitter.listeners(topic as string)) {
      try {
        (listener as (p: BusEventMap[K]) => void)(payload);
      } catch (err) {
        this.onError(topic as string, err);
      }
    }
  }

  subscribe<K extends keyof BusEventMap>(topic: K, handler: (payload: BusEventMap[K]) => void): () => void {
    this.emitter.on(topic as string, handler);
    return () => {
      this.emitter.off(topic as string, handler);
    };
  }
}
