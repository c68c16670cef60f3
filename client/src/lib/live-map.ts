/**
 * A map of server objects kept current from two sources: full list loads over
 * REST and single changes (socket events, our own writes). A list answer may
 * have been read before changes that arrive while it is in flight, so those
 * changes are replayed on top of it. An older copy of an object (by updatedAt)
 * never replaces a newer one. Pure: works on whatever Map it is given (the
 * store passes a reactive one).
 */
export interface Versioned {
  id: number;
  updatedAt: number;
}

export interface LiveMap<T extends Versioned> {
  upsert(item: T): void;
  forget(id: number): void;
  /** Replaces the contents with a fresh list, keeping changes made meanwhile. */
  load(fetchAll: () => Promise<T[]>): Promise<void>;
  clear(): void;
}

export function createLiveMap<T extends Versioned>(map: Map<number, T>): LiveMap<T> {
  let inFlight = 0;
  let replay: (() => void)[] = [];

  function apply(change: () => void): void {
    change();
    if (inFlight > 0) replay.push(change);
  }

  function put(item: T): void {
    const cur = map.get(item.id);
    if (cur && cur.updatedAt > item.updatedAt) return;
    map.set(item.id, item);
  }

  return {
    upsert: (item) => apply(() => put(item)),
    forget: (id) => apply(() => void map.delete(id)),
    async load(fetchAll) {
      inFlight++;
      try {
        const items = await fetchAll();
        map.clear();
        for (const item of items) map.set(item.id, item);
        for (const change of replay) change();
      } finally {
        if (--inFlight === 0) replay = [];
      }
    },
    clear() {
      map.clear();
      replay = [];
    },
  };
}
