import { ref, shallowRef } from 'vue';
import { defineStore } from 'pinia';
import type { UnknownSenderDto } from '@contracts/events';
import { api } from '@/api/client';
import { onServerEvent } from '@/realtime/socket';

const PAGE = 100;

/**
 * Addresses that send syslog or traps but are not devices (GET /unknown-senders),
 * busiest first. A sender added as a device leaves the list at once.
 */
export const useUnknownSendersStore = defineStore('unknown-senders', () => {
  const items = shallowRef<UnknownSenderDto[]>([]);
  const nextCursor = ref<string | null>(null);
  const loaded = ref(false);
  const loading = ref(false);
  let generation = 0;

  async function load(): Promise<void> {
    const gen = ++generation;
    loading.value = true;
    try {
      const res = await api.get<{ items: UnknownSenderDto[]; nextCursor: string | null }>(`/unknown-senders?limit=${PAGE}`);
      if (gen !== generation) return;
      items.value = res.items;
      nextCursor.value = res.nextCursor;
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
      const res = await api.get<{ items: UnknownSenderDto[]; nextCursor: string | null }>(
        `/unknown-senders?limit=${PAGE}&cursor=${encodeURIComponent(nextCursor.value)}`,
      );
      if (gen !== generation) return;
      items.value = [...items.value, ...res.items];
      nextCursor.value = res.nextCursor;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  function forget(address: string): void {
    items.value = items.value.filter((s) => s.address !== address);
  }

  async function dismiss(address: string): Promise<void> {
    await api.delete(`/unknown-senders/${encodeURIComponent(address)}`);
    forget(address);
  }

  // A new device (from this console or any other) takes its address off the list.
  onServerEvent('device.created', (d) => forget(d.address));

  return { items, nextCursor, loaded, loading, load, loadMore, dismiss, forget };
});
