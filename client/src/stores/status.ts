import { ref } from 'vue';
import { defineStore } from 'pinia';
import type { StatusDto } from '@contracts/dto';
import { api } from '@/api/client';
import { onServerEvent } from '@/realtime/socket';

/** Server status: listeners and database from REST, counters live from the socket. */
export const useStatusStore = defineStore('status', () => {
  const status = ref<StatusDto | null>(null);
  const counters = ref<Record<string, number>>({});
  /** When counters last arrived (ms since epoch), from REST or the socket. */
  const countersAt = ref<number | null>(null);

  async function load(): Promise<void> {
    const s = await api.get<StatusDto>('/status');
    status.value = s;
    counters.value = s.counters;
    countersAt.value = Date.now();
  }

  function reset(): void {
    status.value = null;
    counters.value = {};
    countersAt.value = null;
  }

  onServerEvent('status.counters', (next) => {
    counters.value = next;
    countersAt.value = Date.now();
  });

  return { status, counters, countersAt, load, reset };
});
