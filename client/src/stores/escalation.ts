import { ref } from 'vue';
import { defineStore } from 'pinia';
import type { EscalationPolicyBody, EscalationPolicyDto } from '@contracts/escalation';
import { api } from '@/api/client';

/** Escalation policies (everyone reads; admins change them). */
export const useEscalationStore = defineStore('escalation', () => {
  const items = ref<EscalationPolicyDto[]>([]);
  const loaded = ref(false);

  async function load(): Promise<void> {
    items.value = (await api.get<{ items: EscalationPolicyDto[] }>('/escalation-policies')).items;
    loaded.value = true;
  }

  const sorted = (list: EscalationPolicyDto[]) => [...list].sort((a, b) => a.position - b.position || a.id - b.id);

  async function create(body: EscalationPolicyBody): Promise<EscalationPolicyDto> {
    const p = await api.post<EscalationPolicyDto>('/escalation-policies', body);
    items.value = sorted([...items.value, p]);
    return p;
  }

  async function update(id: number, body: Partial<EscalationPolicyBody>): Promise<EscalationPolicyDto> {
    const p = await api.patch<EscalationPolicyDto>(`/escalation-policies/${id}`, body);
    items.value = sorted(items.value.map((x) => (x.id === id ? p : x)));
    return p;
  }

  async function remove(id: number): Promise<void> {
    await api.delete(`/escalation-policies/${id}`);
    items.value = items.value.filter((x) => x.id !== id);
  }

  function reset(): void {
    items.value = [];
    loaded.value = false;
  }

  return { items, loaded, load, create, update, remove, reset };
});
