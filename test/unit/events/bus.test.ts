import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../../../server/events/bus.js';

describe('in-process bus', () => {
  it('delivers to every subscriber even when one throws, and reports the error', () => {
    const errors: string[] = [];
    const bus = new InProcessBus((topic) => errors.push(topic));
    const got: number[] = [];
    bus.subscribe('device.deleted', () => {
      throw new Error('boom');
    });
    bus.subscribe('device.deleted', (p) => got.push(p.id));
    bus.publish('device.deleted', { id: 7 });
    expect(got).toEqual([7]);
    expect(errors).toEqual(['device.deleted']);
  });

  it('stops delivering after unsubscribe', () => {
    const bus = new InProcessBus();
    const got: number[] = [];
    const off = bus.subscribe('device.deleted', (p) => got.push(p.id));
    bus.publish('device.deleted', { id: 1 });
    off();
    bus.publish('device.deleted', { id: 2 });
    expect(got).toEqual([1]);
  });
});
