import { describe, expect, it } from 'vitest';
import { MAX_BATCH_EVENTS, MAX_PARAMS_DEPTH, checkRemoteEvents } from '../../../server/events/remote-event.schema.js';

const good = { receivedAt: 1_700_000_000_000, reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.1', deviceId: null, severity: 'warning', type: 'LINK-3-UPDOWN', message: 'down', params: { facility: 23, sd: { a: ['x', 1, true, null] } } };

describe('events from a remote collector', () => {
  it('keeps valid events as new objects, with deviceId null for the centre to resolve and unknown fields dropped', () => {
    const r = checkRemoteEvents([{ ...good, deviceId: 42, extra: 'x' }, { ...good, sourceAddress: '2001:db8::1', reportedAt: 5 }]);
    expect(r.invalid).toBe(0);
    expect(r.events).toHaveLength(2);
    expect(r.events[0]).toEqual({ ...good, deviceId: null });
    expect('extra' in r.events[0]!).toBe(false);
    expect(r.events[1]!.sourceAddress).toBe('2001:db8::1');
  });

  it('drops and counts garbage, wrong types and out-of-range values, keeping the good events of the batch', () => {
    const bad: unknown[] = [
      'garbage', 42, null, [],
      { ...good, source: 'pigeon' },
      { ...good, severity: 'loud' },
      { ...good, receivedAt: 'yesterday' },
      { ...good, receivedAt: -1 },
      { ...good, sourceAddress: 'not-an-ip' },
      { ...good, type: 7 },
      { ...good, message: undefined },
      { ...good, params: [] },
      { ...good, params: 'x' },
      { ...good, params: { n: Number.NaN } },
    ];
    const r = checkRemoteEvents([...bad, good]);
    expect(r.invalid).toBe(bad.length);
    expect(r.events).toEqual([{ ...good, deviceId: null }]);
    expect(r.reasons.length).toBeGreaterThan(0);
  });

  it('drops events whose params carry prototype keys at any depth, without touching Object.prototype', () => {
    const items = JSON.parse(
      `[${JSON.stringify({ ...good, params: {} }).replace('"params":{}', '"params":{"__proto__":{"polluted":1}}')},` +
        `${JSON.stringify({ ...good, params: { a: { constructor: { prototype: 1 } } } })},` +
        `${JSON.stringify({ ...good, params: { list: [{ nested: {} }] } }).replace('"nested":{}', '"nested":{"__proto__":{"polluted":1}}')}]`,
    ) as unknown[];
    const r = checkRemoteEvents(items);
    expect(r.invalid).toBe(3);
    expect(r.events).toHaveLength(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('bounds params depth and size, message length and batch size', () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < MAX_PARAMS_DEPTH + 2; i++) deep = (deep.x = {}) as Record<string, unknown>;
    expect(checkRemoteEvents([{ ...good, params: root }]).invalid).toBe(1);
    expect(checkRemoteEvents([{ ...good, params: { big: 'x'.repeat(300_000) } }]).invalid).toBe(1);
    expect(checkRemoteEvents([{ ...good, message: 'x'.repeat(1_048_577) }]).invalid).toBe(1);
    expect(checkRemoteEvents([{ ...good, type: 'x'.repeat(1025) }]).invalid).toBe(1);
    const huge = checkRemoteEvents(new Array(MAX_BATCH_EVENTS + 1).fill(good));
    expect(huge.invalid).toBe(MAX_BATCH_EVENTS + 1);
    expect(huge.events).toHaveLength(0);
  });
});
