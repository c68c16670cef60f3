import { ref, shallowRef } from 'vue';
import { defineStore } from 'pinia';
import type { RuleDto } from '@contracts/alarms';
import type { InboxEntryWithProposal, ProposedRule } from '@contracts/inbox';
import { api } from '@/api/client';

/** The unmatched inbox (GET /inbox): event types no rule matched, with proposed rules. */
export const useInboxStore = defineStore('inbox', () => {
  const items = shallowRef<InboxEntryWithProposal[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const showAll = ref(false);
  let generation = 0;

  async function load(): Promise<void> {
    const gen = ++generation;
    loading.value = true;
    try {
      const res = await api.get<{ items: InboxEntryWithProposal[] }>(`/inbox?limit=500${showAll.value ? '&all=true' : ''}`);
      if (gen !== generation) return;
      items.value = res.items;
      loaded.value = true;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  async function accept(id: number, rules: ProposedRule[]): Promise<RuleDto[]> {
    const res = await api.post<{ entry: InboxEntryWithProposal; rules: RuleDto[] }>(`/inbox/${id}/accept`, { rules });
    await load();
    return res.rules;
  }

  async function saveEdit(id: number, rules: ProposedRule[] | null): Promise<void> {
    await api.put(`/inbox/${id}/proposal`, { rules });
    await load();
  }

  async function dismiss(id: number): Promise<void> {
    await api.post(`/inbox/${id}/dismiss`);
    await load();
  }

  return { items, loaded, loading, showAll, load, accept, saveEdit, dismiss };
});
