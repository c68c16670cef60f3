import { ref, shallowRef } from 'vue';
import { defineStore } from 'pinia';
import type { AuditEntryDto, AuditListDto } from '@contracts/audit';
import { api } from '@/api/client';

export interface AuditFilter {
  user: string;
  object: string;
  outcome: '' | AuditEntryDto['outcome'];
}

const PAGE = 50;

/** The audit log (admins): newest first, cursor pages, one filter. */
export const useAuditStore = defineStore('audit', () => {
  const items = shallowRef<AuditEntryDto[]>([]);
  const objectTypes = ref<string[]>([]);
  const filter = ref<AuditFilter>({ user: '', object: '', outcome: '' });
  const nextCursor = ref<number | null>(null);
  const loaded = ref(false);
  const loading = ref(false);
  let generation = 0;

  function query(cursor: number | null): string {
    const q = new URLSearchParams({ limit: String(PAGE) });
    const f = filter.value;
    if (f.user.trim()) q.set('user', f.user.trim());
    if (f.object) q.set('object', f.object);
    if (f.outcome) q.set('outcome', f.outcome);
    if (cursor !== null) q.set('before', String(cursor));
    return q.toString();
  }

  /** First page for the current filter; a slower earlier load never overwrites a newer one. */
  async function load(): Promise<void> {
    const gen = ++generation;
    loading.value = true;
    try {
      const [res, types] = await Promise.all([api.get<AuditListDto>(`/audit?${query(null)}`), api.get<{ items: string[] }>('/audit/object-types')]);
      if (gen !== generation) return;
      items.value = res.items;
      nextCursor.value = res.nextCursor;
      objectTypes.value = types.items;
      loaded.value = true;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  async function loadMore(): Promise<void> {
    if (nextCursor.value === null || loading.value) return;
    const gen = generation;
    loading.value = true;
    try {
      const res = await api.get<AuditListDto>(`/audit?${query(nextCursor.value)}`);
      if (gen !== generation) return;
      items.value = [...items.value, ...res.items];
      nextCursor.value = res.nextCursor;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  return { items, objectTypes, filter, nextCursor, loaded, loading, load, loadMore };
});
