import { describe, expect, it } from 'vitest';
import { createLiveMap } from '../../../client/src/lib/live-map.js';

interface Item {
  id: number;
  updatedAt: number;
  name: string;
}
const item = (id: number, updatedAt: number, name = `d${id}`): Item => ({ id, updatedAt, name });

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('live device map', () => {
  it('loads a list and applies created, updated and deleted events', async () => {
    const map = new Map<number, Item>();
    const live = createLiveMap(map);
    await live.load(async () => [item(1, 10), item(2, 10)]);
    live.upsert(item(3, 11));
    live.upsert(item(1, 12, 'renamed'));
    live.forget(2);
    expect([...map.values()].map((d) => d.name).sort()).toEqual(['d3', 'renamed']);
  });

  it('never lets an older copy replace a newer one', () => {
    const map = new Map<number, Item>();
    const live = createLiveMap(map);
    live.upsert(item(1, 20, 'new'));
    live.upsert(item(1, 10, 'old'));
    expect(map.get(1)?.name).toBe('new');
  });

  it('keeps changes that arrive while a list request is in flight', async () => {
    const map = new Map<number, Item>();
    const live = createLiveMap(map);
    await live.load(async () => [item(1, 10), item(2, 10)]);
    const answer = deferred<Item[]>();
    const loading = live.load(() => answer.promise);
    // Meanwhile: a device is added, one renamed, one deleted.
    live.upsert(item(3, 20));
    live.upsert(item(1, 20, 'renamed'));
    live.forget(2);
    // The answer was read before those changes.
    answer.resolve([item(1, 10), item(2, 10)]);
    await loading;
    expect([...map.values()].map((d) => d.name).sort()).toEqual(['d3', 'renamed']);
  });

  it('drops objects the server no longer lists and forgets replays after the load', async () => {
    const map = new Map<number, Item>();
    const live = createLiveMap(map);
    live.upsert(item(9, 1));
    await live.load(async () => [item(1, 1)]);
    expect([...map.keys()]).toEqual([1]);
    await live.load(async () => [item(1, 1)]);
    expect([...map.keys()]).toEqual([1]);
  });
});
