import { ref } from 'vue';
import { defineStore } from 'pinia';
import type { ApiTokenDto } from '@contracts/dto';
import { api } from '@/api/client';

/** The logged-in user's long-lived API tokens. A new token's secret is shown once. */
export const useTokensStore = defineStore('tokens', () => {
  const items = ref<ApiTokenDto[]>([]);
  const loaded = ref(false);

  async function load(): Promise<void> {
    const res = await api.get<{ items: ApiTokenDto[] }>('/tokens');
    items.value = res.items;
    loaded.value = true;
  }

  /** Returns the secret token; it cannot be fetched again. */
  async function create(name: string, expiresInDays?: number): Promise<string> {
    const { token, ...dto } = await api.post<ApiTokenDto & { token: string }>('/tokens', {
      name,
      ...(expiresInDays ? { expiresInDays } : {}),
    });
    items.value = [...items.value, dto];
    return token;
  }

  async function revoke(id: number): Promise<void> {
    await api.delete(`/tokens/${id}`);
    items.value = items.value.filter((t) => t.id !== id);
  }

  function reset(): void {
    items.value = [];
    loaded.value = false;
  }

  return { items, loaded, load, create, revoke, reset };
});
