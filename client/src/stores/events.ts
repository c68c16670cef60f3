import { computed, ref, shallowRef } from 'vue';
import { defineStore } from 'pinia';
import type { StoredEvent } from '@contracts/events';
import { api } from '@/api/client';
import { onConnectionState, onServerEvent } from '@/realtime/socket';
import { appendOlder, emptyFilter, filterQuery, matchesFilter, prependBatch, type EventFilter } from '@/lib/event-list';

/** At most this many events are kept in the browser; the oldest are dropped. */
export const EVENT_CAP = 100_000;
const PAGE = 500;

/**
 * The event console: history from GET /events (newest first, cursor pages) with
 * live batches from `events.new` on top. One filter applies to both. The live
 * subscription exists only while the page is open (`start()` returns the stop).
 */
export const useEventsStore = defineStore('events', () => {
  /** Newest first. A shallow ref: replaced, never mutated in place (100k rows). */
  const items = shallowRef<StoredEvent[]>([]);
  const filter = ref<EventFilter>(emptyFilter());
  const nextCursor = ref<number | null>(null);
  const loaded = ref(false);
  const loading = ref(false);
  const loadingMore = ref(false);
  const error = ref<unknown>(null);
  const paused = ref(false);
  /** Matching events that arrived while paused, applied on resume. */
  const held = shallowRef<StoredEvent[]>([]);
  const heldCount = computed(() => held.value.length);
  /** Events the server left out of live pushes under a flood (they are stored: reload to see them). */
  const overflowSkipped = ref(0);
  /** Older events dropped from the browser to stay under the cap. */
  const capped = ref(false);
  let generation = 0;

  /**
   * One page of history below `cursor`. A page the server cut short on its scan
   * bound (`partial`: a rare combination over many events) is followed by the
   * next ones, a few at most, so the list does not stop short with events left.
   */
  async function fetchPage(cursor: number | null, gen: number): Promise<{ items: StoredEvent[]; nextCursor: number | null }> {
    const items: StoredEvent[] = [];
    let next = cursor;
    for (let round = 0; round < 10; round++) {
      const res = await api.get<{ items: StoredEvent[]; nextCursor: number | null; partial?: boolean }>(`/events?${filterQuery(filter.value, next, PAGE - items.length)}`);
      items.push(...res.items);
      next = res.nextCursor;
      if (!res.partial || next === null || items.length >= PAGE / 2 || gen !== generation) break;
    }
    return { items, nextCursor: next };
  }

  async function load(): Promise<void> {
    const gen = ++generation;
    loading.value = true;
    error.value = null;
    try {
      const res = await fetchPage(null, gen);
      if (gen !== generation) return;
      // Live events that came in while the page was loading stay on top.
      const newer = items.value.filter((e) => e.id > (res.items[0]?.id ?? 0) && matchesFilter(e, filter.value));
      items.value = prependBatch(res.items, [...newer].reverse(), EVENT_CAP);
      nextCursor.value = res.nextCursor;
      held.value = [];
      overflowSkipped.value = 0;
      capped.value = false;
      loaded.value = true;
    } catch (err) {
      if (gen === generation) error.value = err;
      throw err;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  /** The next older page (on scrolling to the bottom). */
  async function loadMore(): Promise<void> {
    if (nextCursor.value === null || loadingMore.value || loading.value) return;
    if (items.value.length >= EVENT_CAP) {
      capped.value = true;
      return;
    }
    const gen = generation;
    loadingMore.value = true;
    try {
      const res = await fetchPage(nextCursor.value, gen);
      if (gen !== generation) return;
      items.value = appendOlder(items.value, res.items, EVENT_CAP);
      nextCursor.value = res.nextCursor;
    } finally {
      loadingMore.value = false;
    }
  }

  function setFilter(next: EventFilter): Promise<void> {
    filter.value = next;
    items.value = [];
    return load();
  }

  function receive(batch: StoredEvent[]): void {
    if (!loaded.value) return;
    const f = filter.value;
    const fitting = batch.filter((e) => matchesFilter(e, f));
    if (fitting.length === 0) return;
    if (paused.value) {
      held.value = prependBatch(held.value, fitting, EVENT_CAP);
      return;
    }
    const before = items.value.length;
    items.value = prependBatch(items.value, fitting, EVENT_CAP);
    if (before + fitting.length > EVENT_CAP) capped.value = true;
  }

  function pause(): void {
    paused.value = true;
  }

  function resume(): void {
    paused.value = false;
    if (held.value.length) {
      const oldestFirst = [...held.value].reverse();
      held.value = [];
      receive(oldestFirst);
    }
  }

  /** Follows the live stream; returns the function that stops (call on unmount). */
  function start(): () => void {
    let wasDown = false;
    const stops = [
      onServerEvent('events.new', receive),
      onServerEvent('events.overflow', (n) => {
        overflowSkipped.value += n;
      }),
      // Events pushed while the socket was down were missed: reload once it is back.
      onConnectionState((state) => {
        if (state !== 'connected') wasDown = true;
        else if (wasDown && loaded.value && !paused.value) {
          wasDown = false;
          void load().catch(() => undefined);
        }
      }),
    ];
    return () => stops.forEach((s) => s());
  }

  function reset(): void {
    generation++;
    items.value = [];
    held.value = [];
    loaded.value = false;
    nextCursor.value = null;
    paused.value = false;
  }

  return { items, filter, nextCursor, loaded, loading, loadingMore, error, paused, heldCount, overflowSkipped, capped, load, loadMore, setFilter, pause, resume, start, reset, receive };
});
