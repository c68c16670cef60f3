import { computed, reactive, ref } from 'vue';
import { defineStore } from 'pinia';
import type { AlarmDto } from '@contracts/alarms';
import type { StoredEvent } from '@contracts/events';
import type { AlarmImpactDto } from '@contracts/root-cause';
import { api } from '@/api/client';
import { onConnectionState, onServerEvent } from '@/realtime/socket';
import { compareAlarms } from '@/lib/event-list';

const OPEN_LIMIT = 1000;

export type AlarmAction = 'ack' | 'unack' | 'clear';
export type AlarmWithEvents = AlarmDto & { events: StoredEvent[] };

/**
 * Alarms: the open ones (active or acknowledged) kept live by `alarm.changed`,
 * and pages of cleared ones for the history tab.
 */
export const useAlarmsStore = defineStore('alarms', () => {
  const open = reactive(new Map<number, AlarmDto>());
  const loaded = ref(false);
  /** The server returned its maximum: more open alarms exist than are shown. */
  const truncated = ref(false);
  const history = ref<AlarmDto[]>([]);
  const historyCursor = ref<number | null>(null);
  const historyLoaded = ref(false);

  const active = computed(() => [...open.values()].sort(compareAlarms));

  function put(a: AlarmDto): void {
    if (a.state === 'cleared' || a.archived) {
      open.delete(a.id);
      if (historyLoaded.value && !a.archived) history.value = [a, ...history.value.filter((h) => h.id !== a.id)];
    } else {
      open.set(a.id, a);
      if (historyLoaded.value) history.value = history.value.filter((h) => h.id !== a.id);
    }
  }

  async function load(): Promise<void> {
    // Causes and standalone problems (`root=true`) always load, even when thousands of
    // suppressed alarms fill the open list's limit (issue 17: 5,000 devices behind one cause).
    const [res, roots] = await Promise.all([
      api.get<{ items: AlarmDto[] }>(`/alarms?state=open&limit=${OPEN_LIMIT}`),
      api.get<{ items: AlarmDto[] }>(`/alarms?state=open&root=true&limit=${OPEN_LIMIT}`),
    ]);
    truncated.value = res.items.length >= OPEN_LIMIT;
    open.clear();
    for (const a of res.items) open.set(a.id, a);
    for (const a of roots.items) open.set(a.id, a);
    loaded.value = true;
  }

  /** Devices behind a root-cause alarm and the alarms suppressed under it. */
  function impact(id: number): Promise<AlarmImpactDto> {
    return api.get<AlarmImpactDto>(`/alarms/${id}/impact`);
  }

  async function loadHistory(more = false): Promise<void> {
    const cursor = more && historyCursor.value !== null ? `&before=${historyCursor.value}` : '';
    const res = await api.get<{ items: AlarmDto[]; nextCursor: number | null }>(`/alarms?state=cleared&limit=200${cursor}`);
    history.value = more ? [...history.value, ...res.items] : res.items;
    historyCursor.value = res.nextCursor;
    historyLoaded.value = true;
  }

  async function act(id: number, action: AlarmAction): Promise<AlarmDto> {
    const a = await api.post<AlarmDto>(`/alarms/${id}/${action}`, {});
    put(a);
    return a;
  }

  async function bulk(ids: number[], action: AlarmAction): Promise<{ updated: AlarmDto[]; skipped: { id: number; reason: string }[] }> {
    const res = await api.post<{ updated: AlarmDto[]; skipped: { id: number; reason: string }[] }>('/alarms/bulk', { ids, action });
    res.updated.forEach(put);
    return res;
  }

  async function addNote(id: number, text: string): Promise<AlarmDto> {
    const a = await api.post<AlarmDto>(`/alarms/${id}/notes`, { text });
    put(a);
    return a;
  }

  function detail(id: number): Promise<AlarmWithEvents> {
    return api.get<AlarmWithEvents>(`/alarms/${id}?events=200`);
  }

  function reset(): void {
    open.clear();
    loaded.value = false;
    history.value = [];
    historyLoaded.value = false;
  }

  onServerEvent('alarm.changed', (a) => {
    if (loaded.value) put(a);
  });
  onConnectionState((state) => {
    if (state === 'connected' && loaded.value) void load().catch(() => undefined);
  });

  return { active, loaded, truncated, history, historyCursor, historyLoaded, load, loadHistory, act, bulk, addNote, detail, impact, reset, put };
});
