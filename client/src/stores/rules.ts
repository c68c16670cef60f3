import { ref } from 'vue';
import { defineStore } from 'pinia';
import type { RuleBody, RuleDto, RuleTestResult } from '@contracts/alarms';
import { api } from '@/api/client';

export interface RuleInput {
  name: string;
  description: string;
  enabled: boolean;
  body: RuleBody;
}

/** Rules in evaluation order (admins edit; everyone reads). */
export const useRulesStore = defineStore('rules', () => {
  const items = ref<RuleDto[]>([]);
  const loaded = ref(false);

  async function load(): Promise<void> {
    items.value = (await api.get<{ items: RuleDto[] }>('/rules')).items;
    loaded.value = true;
  }

  async function create(input: RuleInput, position?: number): Promise<RuleDto> {
    const r = await api.post<RuleDto>('/rules', position ? { ...input, position } : input);
    await load();
    return r;
  }

  async function update(id: number, input: Partial<RuleInput>): Promise<RuleDto> {
    const r = await api.patch<RuleDto>(`/rules/${id}`, input);
    items.value = items.value.map((x) => (x.id === id ? { ...r, hits: r.hits ?? x.hits } : x));
    return r;
  }

  async function remove(id: number): Promise<void> {
    await api.delete(`/rules/${id}`);
    items.value = items.value.filter((x) => x.id !== id);
  }

  /** Moves a rule one place up (-1) or down (+1) in the evaluation order. */
  async function move(id: number, delta: -1 | 1): Promise<void> {
    const ids = items.value.map((r) => r.id);
    const i = ids.indexOf(id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= ids.length) return;
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    await api.post<{ items: RuleDto[] }>('/rules/reorder', { ids });
    await load();
  }

  function test(body: RuleBody, limit: number): Promise<RuleTestResult> {
    return api.post<RuleTestResult>('/rules/test', { body, limit });
  }

  function reset(): void {
    items.value = [];
    loaded.value = false;
  }

  return { items, loaded, load, create, update, remove, move, test, reset };
});
