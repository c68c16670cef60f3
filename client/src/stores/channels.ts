import { ref } from 'vue';
import { defineStore } from 'pinia';
import type { ChannelDeliveryDto, ChannelType, NotificationChannelDto } from '@contracts/alarms';
import { api } from '@/api/client';

export interface ChannelInput {
  name: string;
  type: ChannelType;
  enabled: boolean;
  config: Record<string, unknown>;
  /** Quiet hours and digest. */
  delivery?: ChannelDeliveryDto;
}

/** Notification channels (admins only). Secrets are never returned, only `<name>Set`. */
export const useChannelsStore = defineStore('channels', () => {
  const items = ref<NotificationChannelDto[]>([]);
  const loaded = ref(false);

  async function load(): Promise<void> {
    items.value = (await api.get<{ items: NotificationChannelDto[] }>('/notification-channels')).items;
    loaded.value = true;
  }

  function put(c: NotificationChannelDto): void {
    items.value = items.value.some((x) => x.id === c.id) ? items.value.map((x) => (x.id === c.id ? c : x)) : [...items.value, c];
  }

  async function create(input: ChannelInput): Promise<NotificationChannelDto> {
    const c = await api.post<NotificationChannelDto>('/notification-channels', input);
    put(c);
    return c;
  }

  async function update(id: number, input: Partial<Omit<ChannelInput, 'type'>>): Promise<NotificationChannelDto> {
    const c = await api.patch<NotificationChannelDto>(`/notification-channels/${id}`, input);
    put(c);
    return c;
  }

  async function remove(id: number): Promise<void> {
    await api.delete(`/notification-channels/${id}`);
    items.value = items.value.filter((x) => x.id !== id);
  }

  /** Sends a test message now; the channel's counters and last error are re-read after. */
  async function test(id: number): Promise<{ ok: boolean; error?: string }> {
    const res = await api.post<{ ok: boolean; error?: string }>(`/notification-channels/${id}/test`, {});
    try {
      put(await api.get<NotificationChannelDto>(`/notification-channels/${id}`));
    } catch {
      // The result above still stands.
    }
    return res;
  }

  function reset(): void {
    items.value = [];
    loaded.value = false;
  }

  return { items, loaded, load, create, update, remove, test, reset };
});
